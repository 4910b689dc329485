#pragma once
/// @file
/// Structured inputs for the torch archive readers (parsed-data cache, checkpoint). A torch
/// archive is a zip of pickles that libtorch (not instrumented, so blind to the fuzzer's
/// coverage) parses; mutating its bytes mostly tests libtorch's zip reader. Instead the input is
/// a recipe of entries, each written with OutputArchive::write, so that the mutator controls
/// what our readers see: missing keys, values of the wrong type, tensors of any dtype and shape,
/// lengths that do not match, nested archives. Each input is written to a file with
/// OutputArchive::save_to and read back by the reader under test.
///
/// Recipe: entries until the input ends (at most kMaxEntries):
///   entry  := key value
///   key    := u8 k: names[k] when k < names.size(), else a string
///   string := u16 LE length, bytes
///   value  := u8 type (% 6): 0 int64 (8 bytes LE), 1 double (8 bytes), 2 string, 3 bool (u8),
///             4 tensor: u8 dtype (% 4: int64, float32, uint8, float64), u8 rank (% 3),
///               u16 LE per dimension (% 8192; over kMaxElements elements: empty), the
///               elements' bytes; 5 nested archive: u8 entry count, entries (depth <= kMaxDepth)
/// Missing bytes read as zeros. An entry OutputArchive refuses (a key with a dot, twice the
/// same key) is left out.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/types.h>

namespace recsys::fuzz {

constexpr std::size_t kMaxEntries = 256;
constexpr std::int64_t kMaxElements = 8192;
constexpr int kMaxDepth = 4;  // checkpoint: optimizer / param_groups / param_groups/0 / options
enum RecipeType : std::uint8_t { kInt = 0, kDouble, kString, kBool, kTensor, kArchive, kTypeCount };

class RecipeReader {
 public:
  RecipeReader(const std::uint8_t* data, std::size_t size) : at_(data), end_(data + size) {}
  bool done() const { return at_ == end_; }
  std::uint8_t byte() { return at_ < end_ ? *at_++ : 0; }
  void bytes(void* out, std::size_t count) {
    if (count == 0) return;  // `out` may be null (an empty tensor's data)
    const std::size_t have = std::min(count, static_cast<std::size_t>(end_ - at_));
    std::memcpy(out, at_, have);
    std::memset(static_cast<char*>(out) + have, 0, count - have);
    at_ += have;
  }
  template <typename T>
  T value() {
    T out;
    bytes(&out, sizeof out);
    return out;
  }
  std::string string() {
    std::string out(value<std::uint16_t>(), '\0');
    bytes(out.data(), out.size());
    return out;
  }

 private:
  const std::uint8_t* at_;
  const std::uint8_t* end_;
};

inline torch::Dtype recipe_dtype(std::uint8_t code) {
  static const torch::Dtype dtypes[] = {torch::kInt64, torch::kFloat32, torch::kUInt8, torch::kFloat64};
  return dtypes[code % 4];
}

inline torch::Tensor read_tensor(RecipeReader& in) {
  const torch::Dtype dtype = recipe_dtype(in.byte());
  std::vector<std::int64_t> sizes(in.byte() % 3);
  std::int64_t elements = 1;
  for (auto& size : sizes) elements *= (size = in.value<std::uint16_t>() % 8192);
  if (elements > kMaxElements) sizes.assign(1, elements = 0);
  torch::Tensor tensor = torch::empty(sizes, torch::TensorOptions().dtype(dtype));
  in.bytes(tensor.data_ptr(), static_cast<std::size_t>(tensor.nbytes()));
  return tensor;
}

inline void read_entries(RecipeReader& in, const std::vector<std::string>& names, torch::serialize::OutputArchive& out,
                         std::size_t count, int depth, std::size_t& budget) {
  for (std::size_t i = 0; i < count && !in.done() && budget > 0; ++i, --budget) {
    const std::uint8_t k = in.byte();
    const std::string key = k < names.size() ? names[k] : in.string();
    const std::uint8_t type = in.byte() % kTypeCount;
    try {
      if (type == kInt) out.write(key, c10::IValue(in.value<std::int64_t>()));
      if (type == kDouble) out.write(key, c10::IValue(in.value<double>()));
      if (type == kString) out.write(key, c10::IValue(in.string()));
      if (type == kBool) out.write(key, c10::IValue(in.byte() % 2 == 1));
      if (type == kTensor) out.write(key, read_tensor(in));
      if (type == kArchive) {
        torch::serialize::OutputArchive nested;
        if (depth < kMaxDepth) read_entries(in, names, nested, in.byte(), depth + 1, budget);
        out.write(key, nested);
      }
    } catch (const c10::Error&) {
      // OutputArchive refused the key (a dot, a duplicate): the entry is left out.
    }
  }
}

/// The archive the recipe describes.
inline void build_archive(const std::uint8_t* data, std::size_t size, const std::vector<std::string>& names,
                          torch::serialize::OutputArchive& archive) {
  RecipeReader in(data, size);
  std::size_t budget = kMaxEntries;
  read_entries(in, names, archive, kMaxEntries, 0, budget);
}

/// Writes recipes (for the seed corpora): the inverse of RecipeReader.
class RecipeWriter {
 public:
  explicit RecipeWriter(const std::vector<std::string>& names) : names_(names) {}
  RecipeWriter& integer(const std::string& key, std::int64_t v) { return entry(key, kInt).raw(&v, sizeof v); }
  RecipeWriter& real(const std::string& key, double v) { return entry(key, kDouble).raw(&v, sizeof v); }
  RecipeWriter& string(const std::string& key, const std::string& v) { return entry(key, kString).text(v); }
  /// A contiguous int64, float32, uint8 or float64 tensor of rank 0 to 2.
  RecipeWriter& tensor(const std::string& key, const torch::Tensor& t) {
    static const torch::Dtype dtypes[] = {torch::kInt64, torch::kFloat32, torch::kUInt8, torch::kFloat64};
    const auto code = std::find(std::begin(dtypes), std::end(dtypes), t.scalar_type()) - std::begin(dtypes);
    entry(key, kTensor).byte(static_cast<std::uint8_t>(code)).byte(static_cast<std::uint8_t>(t.dim()));
    for (auto size : t.sizes()) {
      const auto dimension = static_cast<std::uint16_t>(size);
      raw(&dimension, sizeof dimension);
    }
    const torch::Tensor c = t.contiguous();
    return raw(c.data_ptr(), static_cast<std::size_t>(c.nbytes()));
  }
  RecipeWriter& boolean(const std::string& key, bool v) { return entry(key, kBool).byte(v ? 1 : 0); }
  /// A nested archive of the `count` entries written next.
  RecipeWriter& archive(const std::string& key, std::uint8_t count) { return entry(key, kArchive).byte(count); }
  RecipeWriter& append(const std::string& recipe) {
    bytes_ += recipe;
    return *this;
  }
  const std::vector<std::string>& names() const { return names_; }
  const std::string& bytes() const { return bytes_; }

 private:
  RecipeWriter& byte(std::uint8_t b) {
    bytes_ += static_cast<char>(b);
    return *this;
  }
  RecipeWriter& raw(const void* data, std::size_t size) {
    bytes_.append(static_cast<const char*>(data), size);
    return *this;
  }
  RecipeWriter& text(const std::string& s) {
    const auto length = static_cast<std::uint16_t>(std::min<std::size_t>(s.size(), 65535));
    return raw(&length, sizeof length).raw(s.data(), length);
  }
  RecipeWriter& entry(const std::string& key, RecipeType type) {
    const auto k = std::find(names_.begin(), names_.end(), key) - names_.begin();
    if (k < static_cast<std::ptrdiff_t>(names_.size()) && k < 255) {
      byte(static_cast<std::uint8_t>(k));
    } else {
      byte(255).text(key);
    }
    return byte(type);
  }
  const std::vector<std::string>& names_;
  std::string bytes_;
};

/// Whether a recipe holds `t`: one of its dtypes, rank 0 to 2, at most kMaxElements.
inline bool recipe_holds(const torch::Tensor& t) {
  const auto type = t.scalar_type();
  const bool dtype =
      type == torch::kInt64 || type == torch::kFloat32 || type == torch::kUInt8 || type == torch::kFloat64;
  return dtype && t.dim() <= 2 && t.numel() <= kMaxElements &&
         std::all_of(t.sizes().begin(), t.sizes().end(), [](std::int64_t size) { return size < 8192; });
}

/// Writes the entries of `archive` (nested ones included, to kMaxDepth) that a recipe can hold
/// into `out`, except the keys in `skip`; returns how many. The seeds are recipes of the files
/// our own writers produce, so they follow any change of those formats.
inline std::size_t write_recipe_of(torch::serialize::InputArchive& archive, RecipeWriter& out,
                                   const std::vector<std::string>& skip = {}, int depth = 0) {
  std::size_t count = 0;
  for (const auto& key : archive.keys()) {
    c10::IValue v;
    if (key == "training" || std::find(skip.begin(), skip.end(), key) != skip.end() || !archive.try_read(key, v)) {
      continue;  // "training": the flag every torch module has, not an entry
    }
    if (v.isInt()) {
      out.integer(key, v.toInt());
    } else if (v.isDouble()) {
      out.real(key, v.toDouble());
    } else if (v.isString()) {
      out.string(key, v.toStringRef());
    } else if (v.isBool()) {
      out.boolean(key, v.toBool());
    } else if (v.isTensor() && recipe_holds(v.toTensor())) {
      out.tensor(key, v.toTensor());
    } else if (v.isObject() && depth < kMaxDepth) {
      torch::serialize::InputArchive nested;
      archive.read(key, nested);
      RecipeWriter entries(out.names());
      const std::size_t n = std::min<std::size_t>(write_recipe_of(nested, entries, {}, depth + 1), 255);
      out.archive(key, static_cast<std::uint8_t>(n)).append(entries.bytes());
    } else {
      continue;
    }
    ++count;
  }
  return count;
}

/// Whether the input is a whole archive file rather than a recipe: only with
/// RECSYS_FUZZ_RAW_ARCHIVES set, and only when it starts as a zip does. Off by default, since
/// mutated archive bytes test libtorch's reader (zip, pickle, TorchScript types), which cannot
/// read untrusted files safely: fuzz/known-issues/ holds a SEGV and a 4 GB allocation inside
/// libtorch 1.13 that it finds within a minute.
inline bool raw_archive(const std::uint8_t* data, std::size_t size) {
  static const bool enabled = std::getenv("RECSYS_FUZZ_RAW_ARCHIVES") != nullptr;
  return enabled && size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0;
}

}  // namespace recsys::fuzz
