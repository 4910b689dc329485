#include "cache.hpp"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "mapped_archive.hpp"

namespace recsys::files {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kFormat = 4;  // 2: categorical values; 3: narrow integer columns; 4: mapped columns

/// Writes in flight in this process by key: a read of the same key waits for its write.
std::mutex in_flight_mutex;
std::map<std::string, std::shared_future<void>> in_flight;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

fs::path cache_file(const std::string& key) {
  fs::path root;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
    root = fs::path(cache) / "recsys" / "parsed";
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    root = fs::path(home) / ".cache" / "recsys" / "parsed";
  } else {
    root = fs::temp_directory_path() / "recsys-parsed";
  }
  std::ostringstream name;
  name << "files-" << std::hex << std::hash<std::string>{}(key) << ".pt";
  return root / name.str();
}

/// Tensors of at least this many elements are stored raw and mapped when read (mapped_archive.hpp):
/// the interaction columns and the per-interaction context, most of a cache's bytes.
constexpr std::int64_t kRawElements = 4096;

/// An int64 tensor; throws std::runtime_error for another type.
void read_int(MappedArchiveReader& a, const std::string& name, torch::Tensor& t) {
  a.read(name, t);
  if (t.scalar_type() != torch::kInt64) throw std::runtime_error(name + " is not int64");
}

/// Strings as one byte tensor and their lengths (any byte may be in an id or a title).
void write_strings(MappedArchiveWriter& a, const std::string& name, const std::vector<std::string>& s) {
  std::string bytes;
  std::vector<std::int64_t> lengths;
  for (const auto& text : s) {
    bytes += text;
    lengths.push_back(static_cast<std::int64_t>(text.size()));
  }
  a.write(name + ".bytes",
          torch::from_blob(bytes.data(), {static_cast<std::int64_t>(bytes.size())}, torch::kUInt8).clone());
  a.write(name + ".lengths", torch::tensor(lengths, torch::kInt64));
}

std::vector<std::string> read_strings(MappedArchiveReader& a, const std::string& name) {
  torch::Tensor bytes, lengths;
  a.read(name + ".bytes", bytes);
  a.read(name + ".lengths", lengths);
  if (lengths.numel() > 0 &&
      (lengths.min().item<std::int64_t>() < 0 || lengths.sum().item<std::int64_t>() != bytes.numel())) {
    throw std::runtime_error("string lengths do not match their bytes");
  }
  std::vector<std::string> out;
  const auto* data = reinterpret_cast<const char*>(bytes.contiguous().data_ptr<std::uint8_t>());
  std::int64_t at = 0;
  for (std::int64_t i = 0; i < lengths.numel(); ++i) {
    const std::int64_t n = lengths[i].item<std::int64_t>();
    out.emplace_back(data + at, static_cast<std::size_t>(n));
    at += n;
  }
  return out;
}

void write_side(MappedArchiveWriter& a, const std::string& p, const SideTables& side) {
  a.write(p + "continuous", side.features.continuous);
  a.write(p + "categorical", side.features.categorical);
  a.write(p + "missing", side.missing.to(torch::kUInt8));  // uint8: any byte reads back as a valid value
  write_strings(a, p + "continuous_names", side.schema.continuous_names);
  std::vector<std::string> names;
  std::vector<std::int64_t> cards;
  for (const auto& f : side.schema.categorical) {
    names.push_back(f.name);
    cards.push_back(f.cardinality);
  }
  write_strings(a, p + "categorical_names", names);
  for (std::size_t k = 0; k < side.values.size(); ++k)
    write_strings(a, p + "values" + std::to_string(k), side.values[k]);
  a.write(p + "cardinalities", torch::tensor(cards, torch::kInt64));
  names.clear();
  cards.clear();
  std::vector<std::int64_t> pooling;
  for (std::size_t m = 0; m < side.schema.multi_categorical.size(); ++m) {
    const auto& f = side.schema.multi_categorical[m];
    names.push_back(f.name);
    cards.push_back(f.cardinality);
    pooling.push_back(static_cast<std::int64_t>(f.pooling));
    a.write(p + "multi" + std::to_string(m) + ".values", side.features.multi_categorical[m].values);
    a.write(p + "multi" + std::to_string(m) + ".offsets", side.features.multi_categorical[m].offsets);
  }
  write_strings(a, p + "multi_names", names);
  a.write(p + "multi_cardinalities", torch::tensor(cards, torch::kInt64));
  a.write(p + "multi_pooling", torch::tensor(pooling, torch::kInt64));
}

std::vector<std::int64_t> ints(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

SideTables read_side(MappedArchiveReader& a, const std::string& p) {
  SideTables side;
  a.read(p + "continuous", side.features.continuous);
  read_int(a, p + "categorical", side.features.categorical);
  a.read(p + "missing", side.missing);
  if (side.missing.scalar_type() != torch::kUInt8) throw std::runtime_error(p + "missing is not uint8");
  side.missing = side.missing.ne(0);
  side.schema.continuous_names = read_strings(a, p + "continuous_names");
  side.schema.continuous_dim = side.features.continuous.size(1);
  side.transforms.assign(static_cast<std::size_t>(side.schema.continuous_dim), ContinuousTransform{});
  torch::Tensor cards, pooling;
  const auto names = read_strings(a, p + "categorical_names");
  a.read(p + "cardinalities", cards);
  const auto c = ints(cards);
  for (std::size_t k = 0; k < names.size() && k < c.size(); ++k) {
    side.schema.categorical.push_back({names[k], c[k]});
    side.values.push_back(read_strings(a, p + "values" + std::to_string(k)));
    if (static_cast<std::int64_t>(side.values.back().size()) != c[k]) throw std::runtime_error("values per code");
  }
  const auto multi = read_strings(a, p + "multi_names");
  a.read(p + "multi_cardinalities", cards);
  a.read(p + "multi_pooling", pooling);
  const auto mc = ints(cards), mp = ints(pooling);
  for (std::size_t m = 0; m < multi.size() && m < mc.size() && m < mp.size(); ++m) {
    side.schema.multi_categorical.push_back({multi[m], mc[m], mp[m] == 0 ? Pooling::sum : Pooling::mean});
    JaggedCodes field;
    read_int(a, p + "multi" + std::to_string(m) + ".values", field.values);
    a.read(p + "multi" + std::to_string(m) + ".offsets", field.offsets);
    side.features.multi_categorical.push_back(std::move(field));
  }
  return side;
}

/// Throws std::runtime_error for cached data that does not hang together.
void check_consistent(const Parsed& p) {
  const InteractionData& d = p.data;
  const std::int64_t n = d.user_id.numel();
  const auto fail = [](const char* what) { throw std::runtime_error(what); };
  if (d.user_id.dim() != 1 || d.user_id.scalar_type() != torch::kInt64 || d.item_id.scalar_type() != torch::kInt64 ||
      d.rating.scalar_type() != torch::kFloat32 || (d.label.defined() && d.label.scalar_type() != torch::kFloat32) ||
      d.item_id.numel() != n || d.rating.numel() != n || d.timestamp.numel() != n ||
      (d.label.defined() && d.label.numel() != n) || (d.split.defined() && d.split.numel() != n)) {
    fail("the interaction columns differ in length or type");
  }
  if (n > 0 && (d.user_id.min().item<std::int64_t>() < 0 ||
                d.user_id.max().item<std::int64_t>() >= static_cast<std::int64_t>(d.user_original_id.size()) ||
                d.item_id.min().item<std::int64_t>() < 0 ||
                d.item_id.max().item<std::int64_t>() >= static_cast<std::int64_t>(d.item_original_id.size()))) {
    fail("an id is out of range");
  }
  for (const SideTables* side : {&p.users, &p.items, &p.context}) {
    const auto& f = side->features;
    if (f.continuous.dim() != 2 || f.categorical.dim() != 2 || side->missing.sizes() != f.continuous.sizes() ||
        f.continuous.size(0) != f.categorical.size(0) || f.continuous.scalar_type() != torch::kFloat32 ||
        f.categorical.scalar_type() != torch::kInt64 ||
        f.categorical.size(1) != static_cast<std::int64_t>(side->schema.categorical.size()) ||
        static_cast<std::int64_t>(side->schema.continuous_names.size()) != f.continuous.size(1)) {
      fail("a feature table does not match its schema");
    }
    for (std::int64_t k = 0; k < f.categorical.size(1) && f.categorical.size(0) > 0; ++k) {
      const torch::Tensor column = f.categorical.select(1, k);
      if (column.min().item<std::int64_t>() < 0 ||
          column.max().item<std::int64_t>() >= side->schema.categorical[static_cast<std::size_t>(k)].cardinality) {
        fail("a categorical code is outside its cardinality");
      }
    }
    if (f.multi_categorical.size() != side->schema.multi_categorical.size()) fail("multi-valued fields are missing");
    for (std::size_t m = 0; m < f.multi_categorical.size(); ++m) {
      const JaggedCodes& j = f.multi_categorical[m];
      if (j.offsets.dim() != 1 || j.values.dim() != 1 || j.offsets.scalar_type() != torch::kInt64 ||
          j.values.scalar_type() != torch::kInt64 || j.offsets.size(0) != f.categorical.size(0) + 1 ||
          j.offsets[0].item<std::int64_t>() != 0 || j.offsets[-1].item<std::int64_t>() != j.values.size(0) ||
          (j.offsets.size(0) > 1 && j.offsets.diff().lt(0).any().item<bool>())) {
        fail("a multi-valued field's offsets do not match its values");
      }
      if (j.values.numel() > 0 &&
          (j.values.min().item<std::int64_t>() < 0 ||
           j.values.max().item<std::int64_t>() >= side->schema.multi_categorical[m].cardinality)) {
        fail("a multi-valued code is outside its cardinality");
      }
    }
  }
  if (p.users.features.categorical.size(0) != static_cast<std::int64_t>(d.user_original_id.size()) ||
      p.items.features.categorical.size(0) != static_cast<std::int64_t>(d.item_original_id.size()) ||
      p.context.features.categorical.size(0) != n) {
    fail("a feature table does not have one row per id");
  }
}

}  // namespace

std::string cache_key(const FilesOptions& o) {
  std::ostringstream key;
  key << RECSYS_PLUGIN_VERSION << "|" << o.table.separator << "|" << o.table.quoted << "|" << o.labelled << "|"
      << o.has_threshold << "|" << o.threshold << "|" << o.merge_duplicates << "|" << o.min_user_interactions << "|"
      << o.min_item_interactions << "|" << static_cast<int>(o.on_bad_line) << "|" << o.title_column << "|" << o.atomic;
  for (const auto& [name, c] : o.columns) {
    key << "|" << name << ":" << static_cast<int>(c.role) << ":" << static_cast<int>(c.kind) << ":" << c.separator
        << ":" << c.width << ":" << static_cast<int>(c.pooling) << ":" << c.kind_declared;
  }
  for (const fs::path& file : {o.interactions, o.validation, o.test, o.users, o.items}) {
    if (file.empty()) continue;
    std::error_code ec;
    key << "|" << fs::weakly_canonical(file, ec).string() << ":" << fs::file_size(file, ec) << ":"
        << fs::last_write_time(file, ec).time_since_epoch().count();
  }
  return key.str();
}

std::optional<Parsed> read_cache(const std::string& key) {
  std::shared_future<void> writing;
  {
    const std::lock_guard<std::mutex> lock(in_flight_mutex);
    const auto found = in_flight.find(key);
    if (found != in_flight.end()) writing = found->second;
  }
  if (writing.valid()) writing.wait();
  return read_cache_file(cache_file(key), key);
}

std::optional<Parsed> read_cache_file(const fs::path& file, const std::string& key) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  try {
    MappedArchiveReader a(file);
    c10::IValue v;
    a.read("format", v);
    if (v.toInt() != kFormat) return std::nullopt;
    a.read("key", v);
    if (v.toStringRef() != key) return std::nullopt;
    Parsed p;
    InteractionData& d = p.data;
    read_int(a, "user_id", d.user_id);
    read_int(a, "item_id", d.item_id);
    a.read("rating", d.rating);
    read_int(a, "timestamp", d.timestamp);
    a.read("flags", v);
    if (v.toInt() & 1) a.read("label", d.label);
    if (v.toInt() & 2) read_int(a, "split", d.split);
    d.user_original_id = read_strings(a, "user_original_id");
    d.item_original_id = read_strings(a, "item_original_id");
    d.item_title = read_strings(a, "item_title");
    p.users = read_side(a, "users.");
    p.items = read_side(a, "items.");
    p.context = read_side(a, "context.");
    check_consistent(p);
    spdlog::info("files: parsed data from the cache {}", file.string());
    return p;
  } catch (const std::exception& e) {
    spdlog::warn("files: ignoring the unreadable cache {}: {}", file.string(), std::string(e.what()).substr(0, 200));
    return std::nullopt;
  }
}

namespace {

/// The entries of `p`, its tensors by reference (no copy).
std::unique_ptr<MappedArchiveWriter> archive_of(const std::string& key, const Parsed& p,
                                                std::int64_t min_raw_elements) {
  const InteractionData& d = p.data;
  auto archive = std::make_unique<MappedArchiveWriter>(min_raw_elements);
  MappedArchiveWriter& a = *archive;
  a.write("format", c10::IValue(kFormat));
  a.write("key", c10::IValue(key));
  a.write("user_id", d.user_id);
  a.write("item_id", d.item_id);
  a.write("rating", d.rating);
  a.write("timestamp", d.timestamp);
  a.write("flags", c10::IValue(static_cast<std::int64_t>((d.labelled() ? 1 : 0) | (d.split.defined() ? 2 : 0))));
  if (d.labelled()) a.write("label", d.label);
  if (d.split.defined()) a.write("split", d.split);
  write_strings(a, "user_original_id", d.user_original_id);
  write_strings(a, "item_original_id", d.item_original_id);
  write_strings(a, "item_title", d.item_title);
  write_side(a, "users.", p.users);
  write_side(a, "items.", p.items);
  write_side(a, "context.", p.context);
  return archive;
}

/// Saves `a` at `file` (all or nothing, see MappedArchiveWriter::save); a failure is only logged.
void save(MappedArchiveWriter& a, const fs::path& file) {
  try {
    fs::create_directories(file.parent_path());
    a.save(file);
  } catch (const std::exception& e) {
    spdlog::warn("files: cannot write the cache {}: {}", file.string(), std::string(e.what()).substr(0, 200));
  }
}

}  // namespace

void write_cache_file(const fs::path& file, const std::string& key, const Parsed& p, std::int64_t min_raw_elements) {
  try {
    save(*archive_of(key, p, min_raw_elements), file);
  } catch (const std::exception& e) {
    spdlog::warn("files: cannot write the cache {}: {}", file.string(), std::string(e.what()).substr(0, 200));
  }
}

std::shared_future<void> write_cache_in_background(const std::string& key, const Parsed& parsed) {
  std::shared_ptr<MappedArchiveWriter> archive;
  try {
    archive = archive_of(key, parsed, kRawElements);
  } catch (const std::exception& e) {
    spdlog::warn("files: cannot write the cache: {}", std::string(e.what()).substr(0, 200));
    return {};
  }
  const fs::path file = cache_file(key);
  std::shared_future<void> done = std::async(std::launch::async, [archive, file] {
                                    const auto start = std::chrono::steady_clock::now();
                                    save(*archive, file);
                                    spdlog::info("files: parsed data cached in {} ({:.2f} s, in the background)",
                                                 file.string(), seconds_since(start));
                                  }).share();
  const std::lock_guard<std::mutex> lock(in_flight_mutex);
  in_flight[key] = done;
  return done;
}

}  // namespace recsys::files
