// Reading and checking the `[dataset]` table of the files plugin.
#include <cstdlib>
#include <system_error>

#include "files_options.hpp"
#include "recsys/errors.hpp"

namespace recsys::files {

namespace fs = std::filesystem;

namespace {

/// `$RECSYS_DATA_DIR` (or `${RECSYS_DATA_DIR}`) at the start of `path` replaced by its value,
/// as movielens's default data_dir uses it (default: ${XDG_CACHE_HOME:-~/.cache}/recsys).
fs::path expand_data_root(const std::string& path) {
  for (const std::string prefix : {"${RECSYS_DATA_DIR}", "$RECSYS_DATA_DIR"}) {
    if (path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string root;
    if (const char* env = std::getenv("RECSYS_DATA_DIR"); env && *env) {
      root = env;
    } else if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) {
      root = std::string(cache) + "/recsys";
    } else if (const char* home = std::getenv("HOME"); home && *home) {
      root = std::string(home) + "/.cache/recsys";
    } else {
      root = "data";
    }
    return fs::path(root + path.substr(prefix.size())).lexically_normal();
  }
  return fs::path(path).lexically_normal();
}

template <typename Enum>
Enum choice(const Config& config, const std::string& key, const std::string& fallback,
            const std::vector<std::pair<std::string, Enum>>& options) {
  const std::string value = config.get_string(key, fallback);
  std::string names;
  for (const auto& [name, e] : options) {
    if (name == value) return e;
    names += (names.empty() ? "" : ", ") + name;
  }
  config.fail(key, "unknown value '" + value + "' (expected one of: " + names + ")");
}

ColumnSpec read_column(const Config& table, const std::string& name) {
  ColumnSpec c;
  c.name = name;
  c.role = choice<Role>(table, "role", "feature",
                        {{"user_id", Role::user_id},
                         {"item_id", Role::item_id},
                         {"label", Role::label},
                         {"rating", Role::rating},
                         {"timestamp", Role::timestamp},
                         {"context", Role::context},
                         {"feature", Role::feature},
                         {"ignore", Role::ignore}});
  c.kind = choice<Kind>(table, "kind", "categorical",
                        {{"categorical", Kind::categorical},
                         {"multi_categorical", Kind::multi_categorical},
                         {"numeric", Kind::numeric},
                         {"vector", Kind::vector}});
  c.kind_declared = table.contains("kind");
  c.separator = table.get_string("separator", c.separator);
  if (c.separator.empty()) table.fail("separator", "must not be empty");
  c.width = table.get_int_in("width", c.width, 0, 1 << 20);
  c.pooling = choice<Pooling>(table, "pooling", "mean", {{"mean", Pooling::mean}, {"sum", Pooling::sum}});
  if (c.role == Role::context && c.kind == Kind::multi_categorical) {
    table.fail("kind", "a context column cannot be multi_categorical (plugin API 2.0)");
  }
  table.check_unknown_keys();
  return c;
}

/// The one `*.inter` file of `dir`'s stem, for `name`'s default.
std::string only_inter_file(const Config& config, const fs::path& dir) {
  std::vector<std::string> stems;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".inter") stems.push_back(entry.path().stem().string());
  }
  if (stems.size() == 1) return stems.front();
  config.fail("name", stems.empty() ? "'" + dir.string() + "' has no *.inter file (RecBole atomic files)"
                                    : "'" + dir.string() + "' has several *.inter files: name the one to read");
}

void require_file(const Config& config, const std::string& key, const fs::path& file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) config.fail(key, "no such file '" + file.string() + "'");
}

/// The files to read, by format.
void read_files(const Config& config, FilesOptions& o) {
  const std::string format = config.get_string("format", config.contains("interactions") ? "" : "atomic");
  if (format != "" && format != "atomic" && format != "csv" && format != "tsv") {
    config.fail("format", "unknown format '" + format + "' (expected atomic, csv or tsv)");
  }
  o.atomic = format == "atomic";
  if (o.atomic) {
    o.name = config.contains("name") ? config.get_string("name") : only_inter_file(config, o.data_dir);
    o.interactions = o.data_dir / (o.name + ".inter");
    std::error_code ec;
    if (!fs::exists(o.interactions, ec) && fs::exists(o.data_dir / (o.name + ".train.inter"), ec)) {
      o.interactions = o.data_dir / (o.name + ".train.inter");  // RecBole's benchmark files
      o.validation = o.data_dir / (o.name + ".valid.inter");
      o.test = o.data_dir / (o.name + ".test.inter");
      require_file(config, "name", o.validation);
      require_file(config, "name", o.test);
    }
    require_file(config, "name", o.interactions);
    if (fs::is_regular_file(o.data_dir / (o.name + ".user"), ec)) o.users = o.data_dir / (o.name + ".user");
    if (fs::is_regular_file(o.data_dir / (o.name + ".item"), ec)) o.items = o.data_dir / (o.name + ".item");
    o.table = {"\t", false};
    return;
  }
  o.interactions = o.data_dir / config.get_string("interactions");
  require_file(config, "interactions", o.interactions);
  if (config.contains("validation") != config.contains("test")) {
    config.fail(config.contains("test") ? "test" : "validation", "give both validation and test files, or neither");
  }
  for (auto [key, path] : {std::pair{"users", &o.users}, std::pair{"items", &o.items},
                           std::pair{"validation", &o.validation}, std::pair{"test", &o.test}}) {
    if (!config.contains(key)) continue;
    *path = o.data_dir / config.get_string(key);
    require_file(config, key, *path);
  }
  const std::string name = o.interactions.filename().string();
  const bool tsv =
      format == "tsv" ||
      (format.empty() && (name.find(".tsv") != std::string::npos || name.find(".txt") != std::string::npos));
  o.table = {tsv ? "\t" : ",", !tsv};
}

}  // namespace

FilesOptions FilesOptions::from_config(const Config& config) {
  FilesOptions o;
  o.data_dir = expand_data_root(config.get_string("data_dir"));
  std::error_code ec;
  if (!fs::is_directory(o.data_dir, ec)) config.fail("data_dir", "no such directory '" + o.data_dir.string() + "'");
  read_files(config, o);
  o.table.separator = config.get_string("separator", o.table.separator);
  if (o.table.separator.empty()) config.fail("separator", "must not be empty");
  o.table.quoted = config.get_bool("quoting", o.table.quoted);
  const std::string feedback = config.get_string("feedback", "implicit");
  if (feedback != "implicit" && feedback != "labelled") config.fail("feedback", "expected implicit or labelled");
  o.labelled = feedback == "labelled";
  // Read only when given: a default would be recorded in the run's config and given next time.
  o.has_threshold = config.contains("positive_threshold");
  if (o.has_threshold) o.threshold = config.get_double("positive_threshold");
  o.merge_duplicates = config.get_bool("merge_duplicates", !o.labelled);
  o.min_user_interactions = config.get_int_in("min_user_interactions", 0, 0, 1'000'000'000);
  o.min_item_interactions = config.get_int_in("min_item_interactions", 0, 0, 1'000'000'000);
  o.min_count = config.get_int_in("min_count", 1, 1, 1'000'000'000);
  o.scaling = choice<Scaling>(config, "scaling", "none",
                              {{"none", Scaling::none}, {"standard", Scaling::standard}, {"minmax", Scaling::minmax}});
  o.on_bad_line =
      choice<BadLines>(config, "on_bad_line", "error", {{"error", BadLines::error}, {"skip", BadLines::skip}});
  o.title_column = config.get_string("title_column", "");
  o.cache = config.get_bool("cache", o.cache);
  o.read_threads = config.get_int_in("read_threads", 0, 0, 64);
  const Config columns = config.get_table("columns");
  for (const std::string& name : columns.keys()) o.columns.emplace(name, read_column(columns.get_table(name), name));
  columns.check_unknown_keys();
  return o;
}

}  // namespace recsys::files
