#include "cache.hpp"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <sstream>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

namespace recsys::movielens {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kCacheFormat = 3;  // 2: the key is stored and checked; 3: labels, string ids

fs::path cache_root() {
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return fs::path(cache) / "recsys" / "parsed";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "recsys" / "parsed";
  return fs::temp_directory_path() / "recsys-parsed";
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "\n" : "") + parts[i];
  return out;
}

std::vector<std::string> split(const std::string& text, std::size_t count) {
  std::vector<std::string> parts;
  if (count == 0) return parts;
  // n parts need n - 1 separators: a count past that is a damaged file, not an allocation to make.
  if (count > text.size() + 1) throw std::runtime_error("a name list shorter than its count");
  std::stringstream in(text);
  for (std::string line; parts.size() < count && std::getline(in, line);) parts.push_back(line);
  parts.resize(count);
  return parts;
}

torch::Tensor ints(const std::vector<std::int64_t>& values) {
  return torch::tensor(values, torch::kInt64);
}

/// MovieLens ids are integers: stored as int64, read back as their decimal text.
std::vector<std::string> to_ids(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  std::vector<std::string> ids;
  for (std::int64_t i = 0; i < c.numel(); ++i) ids.push_back(std::to_string(c.data_ptr<std::int64_t>()[i]));
  return ids;
}

torch::Tensor from_ids(const std::vector<std::string>& ids) {
  std::vector<std::int64_t> values;
  for (const auto& id : ids) values.push_back(std::stoll(id));
  return ints(values);
}

std::vector<std::int64_t> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

void write_side(torch::serialize::OutputArchive& a, const std::string& p, const SideSchema& s) {
  a.write(p + "num_ids", c10::IValue(s.num_ids));
  a.write(p + "continuous_names", c10::IValue(join(s.continuous_names)));
  a.write(p + "continuous_dim", c10::IValue(s.continuous_dim));
  std::vector<std::string> names;
  std::vector<std::int64_t> cards;
  for (const auto& f : s.categorical) {
    names.push_back(f.name);
    cards.push_back(f.cardinality);
  }
  a.write(p + "categorical_names", c10::IValue(join(names)));
  a.write(p + "cardinalities", ints(cards));
}

void read_side(torch::serialize::InputArchive& a, const std::string& p, SideSchema& s) {
  c10::IValue v;
  a.read(p + "num_ids", v);
  s.num_ids = v.toInt();
  a.read(p + "continuous_dim", v);
  s.continuous_dim = v.toInt();
  a.read(p + "continuous_names", v);
  s.continuous_names = v.toStringRef().empty() ? std::vector<std::string>{} : split(v.toStringRef(), s.continuous_dim);
  torch::Tensor cards;
  a.read(p + "cardinalities", cards);
  a.read(p + "categorical_names", v);
  const auto names = split(v.toStringRef(), static_cast<std::size_t>(cards.numel()));
  const auto values = to_vector(cards);
  for (std::size_t i = 0; i < values.size(); ++i) s.categorical.push_back({names[i], values[i]});
}

/// Throws std::runtime_error naming the first inconsistency of cached data (a tampered or
/// damaged file that torch still reads), so it is ignored rather than trained on.
void check_consistent(const InteractionData& d) {
  const auto fail = [](const std::string& what) { throw std::runtime_error(what); };
  const std::int64_t n = d.user_id.numel(), users = d.schema.user.num_ids, items = d.schema.item.num_ids;
  if (d.user_id.dim() != 1 || d.item_id.numel() != n || d.rating.numel() != n || d.timestamp.numel() != n ||
      (d.label.defined() && d.label.numel() != n))
    fail("the interaction columns differ in length");
  if (d.user_id.scalar_type() != torch::kInt64 || d.item_id.scalar_type() != torch::kInt64) fail("ids not int64");
  if (n > 0 && (d.user_id.min().item<std::int64_t>() < 0 || d.user_id.max().item<std::int64_t>() >= users ||
                d.item_id.min().item<std::int64_t>() < 0 || d.item_id.max().item<std::int64_t>() >= items))
    fail("an id is out of range");
  if (static_cast<std::int64_t>(d.user_original_id.size()) != users ||
      static_cast<std::int64_t>(d.item_original_id.size()) != items)
    fail("the original ids do not match the id counts");
  for (const auto* f : {&d.user_features, &d.item_features}) {
    const std::int64_t rows = f == &d.user_features ? users : items;
    if ((f->continuous.defined() && f->continuous.size(0) != rows) ||
        (f->categorical.defined() && f->categorical.size(0) != rows))
      fail("a side-feature table does not have one row per id");
  }
}

}  // namespace

fs::path cache_path(const std::string& key) {
  std::ostringstream name;
  name << std::hex << std::hash<std::string>{}(key) << ".pt";
  return cache_root() / name.str();
}

std::string source_signature(const fs::path& directory, const std::vector<std::string>& files) {
  std::string key;
  for (const auto& f : files) {
    std::error_code ec;
    const fs::path path = fs::weakly_canonical(directory / f, ec);
    const auto size = fs::file_size(path, ec);
    const auto time = fs::last_write_time(path, ec).time_since_epoch().count();
    key += path.string() + ":" + std::to_string(size) + ":" + std::to_string(time) + ";";
  }
  return key;
}

std::optional<InteractionData> read_cache(const fs::path& file, const std::string& key) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  try {
    torch::serialize::InputArchive a;
    a.load_from(file.string());
    c10::IValue v;
    a.read("format", v);
    if (v.toInt() != kCacheFormat) return std::nullopt;
    a.read("key", v);
    if (v.toStringRef() != key) {
      spdlog::info("movielens: the cache {} was written for other data; parsing the files", file.string());
      return std::nullopt;
    }
    InteractionData d;
    a.read("user_id", d.user_id);
    a.read("item_id", d.item_id);
    a.read("rating", d.rating);
    a.read("timestamp", d.timestamp);
    a.read("user_continuous", d.user_features.continuous);
    a.read("user_categorical", d.user_features.categorical);
    a.read("item_continuous", d.item_features.continuous);
    a.read("item_categorical", d.item_features.categorical);
    torch::Tensor users, items;
    a.read("user_original_id", users);
    a.read("item_original_id", items);
    d.user_original_id = to_ids(users);
    d.item_original_id = to_ids(items);
    a.read("labelled", v);
    if (v.toBool()) a.read("label", d.label);
    read_side(a, "user_", d.schema.user);
    read_side(a, "item_", d.schema.item);
    a.read("item_title", v);
    d.item_title = split(v.toStringRef(), d.item_original_id.size());
    const std::int64_t n = d.user_id.numel();
    d.context_features = {torch::zeros({n, 0}, torch::kFloat32), torch::zeros({n, 0}, torch::kInt64), {}};
    check_consistent(d);
    return d;
  } catch (const std::exception& e) {
    spdlog::warn("movielens: ignoring the unreadable cache {}: {}", file.string(),
                 std::string(e.what()).substr(0, 200));
    return std::nullopt;
  }
}

void write_cache(const fs::path& file, const std::string& key, const InteractionData& d) {
  try {
    torch::serialize::OutputArchive a;
    a.write("format", c10::IValue(kCacheFormat));
    a.write("key", c10::IValue(key));
    a.write("user_id", d.user_id);
    a.write("item_id", d.item_id);
    a.write("rating", d.rating);
    a.write("timestamp", d.timestamp);
    a.write("user_continuous", d.user_features.continuous);
    a.write("user_categorical", d.user_features.categorical);
    a.write("item_continuous", d.item_features.continuous);
    a.write("item_categorical", d.item_features.categorical);
    a.write("user_original_id", from_ids(d.user_original_id));
    a.write("item_original_id", from_ids(d.item_original_id));
    a.write("labelled", c10::IValue(d.labelled()));
    if (d.labelled()) a.write("label", d.label);
    write_side(a, "user_", d.schema.user);
    write_side(a, "item_", d.schema.item);
    a.write("item_title", c10::IValue(join(d.item_title)));
    fs::create_directories(file.parent_path());
    // Written under a name of our own, then renamed: a concurrent reader sees all or nothing.
    const fs::path temp = file.string() + ".tmp." + std::to_string(getpid());
    a.save_to(temp.string());
    fs::rename(temp, file);
  } catch (const std::exception& e) {
    spdlog::warn("movielens: cannot write the cache {}: {}", file.string(), std::string(e.what()).substr(0, 200));
  }
}

}  // namespace recsys::movielens
