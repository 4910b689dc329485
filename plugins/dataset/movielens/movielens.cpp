#include "movielens.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "cache.hpp"
#include "download.hpp"
#include "formats.hpp"
#include "recsys/errors.hpp"
#include "text_reader.hpp"

namespace recsys::movielens {

namespace fs = std::filesystem;

namespace {

/// Where the data lives by default: $RECSYS_DATA_DIR, else the user's cache.
fs::path default_data_root() {
  if (const char* root = std::getenv("RECSYS_DATA_DIR"); root && *root) return root;
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return fs::path(cache) / "recsys";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "recsys";
  return fs::path("data");
}

struct PublishedChecksum {
  const char* variant;
  const char* algorithm;
  const char* digest;
  bool rolling;  ///< a rolling release: a mismatch is only a warning unless verify = "strict"
};

constexpr PublishedChecksum kChecksums[] = {
    {"100k", "md5", "0e33842e24a9c977be4e0107933c0723", false},
    {"1m", "md5", "c4d9eecfca2ab87c1945afe126590906", false},
    {"25m", "md5", "6b51fb2759a8657d3bfcbfc42b592ada", false},
    {"32m", "md5", "d472be332d4daa821edc399621853b57", false},
    {"latest-small", "sha256", "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436", true},
};

}  // namespace

MovieLensOptions MovieLensOptions::from_config(const Config& config) {
  MovieLensOptions o;
  o.variant = config.get_string("variant", o.variant);
  bool known = false;
  for (const auto& c : kChecksums) known = known || o.variant == c.variant;
  if (!known) {
    config.fail("variant",
                "unknown MovieLens version '" + o.variant + "' (available: 100k, 1m, latest-small, 25m, 32m)");
  }
  o.data_dir = fs::path(config.get_string("data_dir", (default_data_root() / o.folder()).string())).lexically_normal();
  if (!o.data_dir.has_filename()) o.data_dir = o.data_dir.parent_path();  // "ml-100k/" -> "ml-100k"
  o.positive_threshold = config.get_double("positive_threshold", o.positive_threshold);
  const std::string feedback = config.get_string("feedback", "implicit");
  if (feedback != "implicit" && feedback != "labelled")
    config.fail("feedback", "expected \"implicit\" or \"labelled\"");
  o.labelled = feedback == "labelled";
  o.cache = config.get_bool("cache", o.cache);
  o.download = config.get_bool("download", o.download);
  o.base_url = config.get_string("base_url", o.base_url);
  if (!o.base_url.empty() && o.base_url.back() != '/') o.base_url += '/';
  o.checksum = config.get_string("checksum", "");
  for (auto& c : o.checksum) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!o.checksum.empty() && o.checksum.rfind("md5:", 0) != 0 && o.checksum.rfind("sha256:", 0) != 0) {
    config.fail("checksum", "expected \"md5:<hex>\" or \"sha256:<hex>\"");
  }
  const std::string verify = config.get_string("verify", "default");
  if (verify != "default" && verify != "strict") config.fail("verify", "expected \"default\" or \"strict\"");
  o.strict = verify == "strict";
  const std::string bad = config.get_string("on_bad_line", "error");
  if (bad != "error" && bad != "skip") config.fail("on_bad_line", "expected \"error\" or \"skip\"");
  o.on_bad_line = bad == "skip" ? BadLinePolicy::skip : BadLinePolicy::error;

  if (o.download && !o.files_present() && o.data_dir.filename() != o.folder()) {
    config.fail("data_dir", "to download, data_dir must end in the archive's folder '" + o.folder() + "' (it is '" +
                                o.data_dir.string() + "')");
  }
  if (!o.download && !o.files_present()) {
    std::error_code ec;
    if (!fs::is_directory(o.data_dir, ec)) {
      config.fail("data_dir", "data directory '" + o.data_dir.string() +
                                  "' does not exist (set dataset.data_dir, or RECSYS_DATA_DIR to the folder that "
                                  "holds " +
                                  o.folder() + "/, or download = true to fetch it)");
    }
    std::string files;
    for (const auto& f : required_files(o.variant)) files += (files.empty() ? "" : ", ") + f;
    config.fail("data_dir", "'" + o.data_dir.string() + "' lacks MovieLens " + o.variant + " files (" + files +
                                "); set download = true to fetch them");
  }
  return o;
}

bool MovieLensOptions::files_present() const {
  std::error_code ec;
  for (const auto& f : required_files(variant)) {
    if (!fs::is_regular_file(data_dir / f, ec)) return false;
  }
  return true;
}

namespace {

/// Sorted-unique codes of `values` (the semantics of scikit-learn's LabelEncoder).
template <typename T>
std::vector<std::int64_t> encode(const std::vector<T>& values, std::int64_t* cardinality) {
  std::vector<T> classes = values;
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  std::vector<std::int64_t> codes(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    codes[i] = std::lower_bound(classes.begin(), classes.end(), values[i]) - classes.begin();
  }
  *cardinality = static_cast<std::int64_t>(classes.size());
  return codes;
}

/// Row of each original id in a feature file.
std::map<std::int64_t, std::size_t> row_of(const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, std::size_t> rows;
  for (std::size_t i = 0; i < ids.size(); ++i) rows.emplace(ids[i], i);
  return rows;
}

}  // namespace

namespace {

/// The positives (ratings >= threshold), or with `labelled` every rating labelled by the
/// threshold, with users and items encoded 0..n-1 in the order of their original ids. Throws
/// DataError when no rating is a positive.
InteractionData encode_ratings(const RawData& raw, double threshold, bool labelled, const std::string& ratings_file) {
  std::vector<const RawRating*> positives;
  for (const auto& r : raw.ratings) {
    if (labelled || r.rating >= threshold) positives.push_back(&r);
  }
  const bool any_positive =
      std::any_of(positives.begin(), positives.end(), [&](const RawRating* r) { return r->rating >= threshold; });
  if (!any_positive) positives.clear();
  if (positives.empty()) {
    throw DataError(ratings_file, 0, "no rating reaches positive_threshold " + std::to_string(threshold));
  }
  const auto n = static_cast<std::int64_t>(positives.size());
  std::vector<std::int64_t> user_raw(n), item_raw(n), timestamp(n);
  std::vector<float> rating(n);
  for (std::int64_t i = 0; i < n; ++i) {
    user_raw[i] = positives[i]->user;
    item_raw[i] = positives[i]->item;
    rating[i] = positives[i]->rating;
    timestamp[i] = positives[i]->timestamp;
  }
  InteractionData data;
  std::int64_t num_users = 0, num_items = 0;
  const auto user_code = encode(user_raw, &num_users);
  const auto item_code = encode(item_raw, &num_items);
  data.user_original_id.assign(num_users, "");
  data.item_original_id.assign(num_items, "");
  for (std::int64_t i = 0; i < n; ++i) {
    data.user_original_id[user_code[i]] = std::to_string(user_raw[i]);
    data.item_original_id[item_code[i]] = std::to_string(item_raw[i]);
  }
  data.user_id = torch::tensor(user_code, torch::kInt64);
  data.item_id = torch::tensor(item_code, torch::kInt64);
  data.rating = torch::tensor(rating, torch::kFloat32);
  data.timestamp = torch::tensor(timestamp, torch::kInt64);
  if (labelled) data.label = data.rating.ge(threshold).to(torch::kFloat32);
  data.context_features = {torch::zeros({n, 0}, torch::kFloat32), torch::zeros({n, 0}, torch::kInt64), {}};
  data.schema.user.num_ids = num_users;
  data.schema.item.num_ids = num_items;
  return data;
}

/// The users' age and gender (continuous) and occupation and zip code (categorical), from the
/// users file when the version has one; empty tables otherwise.
void add_user_features(const RawData& raw, InteractionData& data) {
  const std::int64_t num_users = data.schema.user.num_ids;
  if (!raw.has_users) {
    data.user_features.continuous = torch::zeros({num_users, 0}, torch::kFloat32);
    data.user_features.categorical = torch::zeros({num_users, 0}, torch::kInt64);
    return;
  }
  // Encoders are fitted over every row of the users file, as the reference does.
  std::vector<std::string> occupations, zips;
  std::vector<std::int64_t> ids;
  for (const auto& u : raw.users) {
    occupations.push_back(u.occupation);
    zips.push_back(u.zip);
    ids.push_back(u.id);
  }
  std::int64_t occupation_card = 0, zip_card = 0;
  const auto occupation = encode(occupations, &occupation_card);
  const auto zip = encode(zips, &zip_card);
  const auto rows = row_of(ids);
  data.user_features.continuous = torch::empty({num_users, 2}, torch::kFloat32);
  data.user_features.categorical = torch::empty({num_users, 2}, torch::kInt64);
  auto uc = data.user_features.continuous.accessor<float, 2>();
  auto uk = data.user_features.categorical.accessor<std::int64_t, 2>();
  for (std::int64_t u = 0; u < num_users; ++u) {
    const std::size_t row = rows.at(std::stoll(data.user_original_id[u]));  // ratings of unknown users were refused
    uc[u][0] = raw.users[row].age;
    uc[u][1] = raw.users[row].female;
    uk[u][0] = occupation[row];
    uk[u][1] = zip[row];
  }
  SideSchema& user = data.schema.user;
  user.continuous_dim = 2;
  user.continuous_names = {"age", "gender"};
  user.categorical = {{"occupation", occupation_card}, {"zip_code", zip_card}};
}

/// Sorted distinct release years of the items file (missing years left out).
std::vector<std::int64_t> known_years(const std::vector<RawItem>& items) {
  std::vector<std::int64_t> years;
  for (const auto& item : items) {
    if (item.year != kMissingYear) years.push_back(item.year);
  }
  std::sort(years.begin(), years.end());
  years.erase(std::unique(years.begin(), years.end()), years.end());
  return years;
}

/// The items' genre flags (continuous), release year bucket (categorical; a missing year is
/// the last bucket) and titles.
void add_item_features(const RawData& raw, InteractionData& data) {
  const std::int64_t num_items = data.schema.item.num_ids;
  const std::vector<std::int64_t> years = known_years(raw.items);
  const auto year_card = static_cast<std::int64_t>(years.size());
  const bool any_missing =
      std::any_of(raw.items.begin(), raw.items.end(), [](const RawItem& i) { return i.year == kMissingYear; });
  std::vector<std::int64_t> ids;
  for (const auto& item : raw.items) ids.push_back(item.id);
  const auto rows = row_of(ids);
  const auto genres = static_cast<std::int64_t>(raw.genre_names.size());
  data.item_features.continuous = torch::zeros({num_items, genres}, torch::kFloat32);
  data.item_features.categorical = torch::empty({num_items, 1}, torch::kInt64);
  auto ic = data.item_features.continuous.accessor<float, 2>();
  auto ik = data.item_features.categorical.accessor<std::int64_t, 2>();
  data.item_title.resize(num_items);
  for (std::int64_t i = 0; i < num_items; ++i) {
    const std::size_t row = rows.at(std::stoll(data.item_original_id[i]));  // ratings of unknown items were refused
    for (std::int64_t g = 0; g < genres; ++g) ic[i][g] = raw.genre_flags[row * genres + g];
    const std::int64_t year = raw.items[row].year;
    ik[i][0] = year == kMissingYear ? year_card : std::lower_bound(years.begin(), years.end(), year) - years.begin();
    data.item_title[i] = raw.items[row].title;
  }
  SideSchema& item = data.schema.item;
  item.continuous_dim = genres;
  item.continuous_names = raw.genre_names;
  item.categorical = {{"year", year_card + (any_missing ? 1 : 0)}};
}

InteractionData build(const RawData& raw, double threshold, bool labelled, const std::string& ratings_file) {
  InteractionData data = encode_ratings(raw, threshold, labelled, ratings_file);
  add_user_features(raw, data);
  add_item_features(raw, data);
  return data;
}

/// The archive to fetch and the checksum it must have: the published one of the version
/// (a rolling release's only warns unless verify = "strict"), or `checksum` when given.
DownloadRequest download_request(const MovieLensOptions& o) {
  DownloadRequest request;
  request.url = o.base_url + o.folder() + ".zip";
  request.parent = o.data_dir.parent_path();
  request.folder = o.folder();
  bool rolling = false;
  for (const auto& c : kChecksums) {
    if (o.variant == c.variant) {
      request.algorithm = c.algorithm;
      request.expected = c.digest;
      rolling = c.rolling;
    }
  }
  if (!o.checksum.empty()) {
    const auto colon = o.checksum.find(':');
    request.algorithm = o.checksum.substr(0, colon);
    request.expected = o.checksum.substr(colon + 1);
    rolling = false;
  }
  request.strict = o.strict || !rolling;
  return request;
}

/// The parsed-data cache key. It holds everything the parsed result depends on: the
/// plugin's version (a parser change), the exact threshold, the bad-line policy and the
/// sources' identity.
std::string cache_key(const MovieLensOptions& o, const std::vector<std::string>& files) {
  char threshold[32];
  std::snprintf(threshold, sizeof threshold, "%.17g", o.positive_threshold);
  return std::string(RECSYS_PLUGIN_VERSION) + "|" + o.variant + "|" + threshold + (o.labelled ? "|labelled|" : "|") +
         (o.on_bad_line == BadLinePolicy::skip ? "skip" : "error") + "|" + source_signature(o.data_dir, files);
}

}  // namespace

InteractionData load_movielens(const MovieLensOptions& o) {
  // from_config has checked that the files are there, or that download is on with a
  // data_dir that ends in the archive's folder.
  if (!o.files_present()) download_and_unpack(download_request(o));
  const std::vector<std::string> files = required_files(o.variant);
  const std::string key = cache_key(o, files);
  const fs::path cache = cache_path(key);
  if (o.cache) {
    if (auto cached = read_cache(cache, key)) {
      spdlog::info("movielens: parsed data from the cache {}", cache.string());
      return std::move(*cached);
    }
  }
  RawData raw = read_movielens(o.variant, o.data_dir, o.on_bad_line);
  if (raw.skipped_lines > 0) {
    spdlog::warn("movielens: {} malformed lines skipped (on_bad_line = \"skip\")", raw.skipped_lines);
  }
  InteractionData data = build(raw, o.positive_threshold, o.labelled, (o.data_dir / files.front()).string());
  if (o.cache) write_cache(cache, key, data);
  return data;
}

MovieLensDataset::MovieLensDataset(const PluginArgs& args) : options_(MovieLensOptions::from_config(args.config)) {}

InteractionData MovieLensDataset::load() {
  return load_movielens(options_);
}

}  // namespace recsys::movielens

RECSYS_EXPORT_PLUGIN(recsys::movielens::MovieLensDataset,
                     "MovieLens 100k, 1m, latest-small, 25m and 32m as implicit or labelled feedback", "");
