#include "movielens.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "text_reader.hpp"

namespace recsys::movielens {

namespace fs = std::filesystem;

MovieLensOptions MovieLensOptions::from_config(const Config& config) {
  MovieLensOptions o;
  o.variant = config.get_string("variant", o.variant);
  if (o.variant != "100k") {
    config.fail("variant", "unsupported MovieLens variant '" + o.variant + "' (available: 100k)");
  }
  const char* root = std::getenv("RECSYS_DATA_DIR");
  const std::string fallback = (fs::path(root && *root ? root : "data") / "ml-100k").string();
  o.data_dir = config.get_string("data_dir", fallback);
  o.positive_threshold = config.get_double("positive_threshold", o.positive_threshold);

  std::error_code ec;
  if (!fs::is_directory(o.data_dir, ec)) {
    config.fail("data_dir", "data directory '" + o.data_dir.string() +
                                "' does not exist (set dataset.data_dir, or RECSYS_DATA_DIR to the "
                                "folder that holds ml-100k/)");
  }
  for (const char* file : {"u.data", "u.user", "u.item"}) {
    if (!fs::is_regular_file(o.data_dir / file, ec)) {
      config.fail("data_dir", "'" + (o.data_dir / file).string() +
                                  "' is missing: data_dir must hold MovieLens 100k (u.data, u.user, u.item)");
    }
  }
  return o;
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

struct Rating {
  std::int64_t user, item, timestamp;
  float rating;
};

std::vector<Rating> read_ratings(const fs::path& file) {
  std::vector<Rating> ratings;
  ratings.reserve(100000);
  for_each_record(file, "\t", [&](const std::vector<std::string_view>& f) {
    if (f.size() != 4) {
      throw std::invalid_argument("expected 4 tab-separated fields (user item rating timestamp), found " +
                                  std::to_string(f.size()));
    }
    ratings.push_back({parse_int(f[0], "user id"), parse_int(f[1], "item id"),
                       parse_int(f[3], "timestamp"), static_cast<float>(parse_int(f[2], "rating"))});
  });
  return ratings;
}

struct UserTable {
  std::vector<std::int64_t> id;
  std::vector<float> age, female;
  std::vector<std::string> occupation, zip;
};

UserTable read_users(const fs::path& file) {
  UserTable t;
  for_each_record(file, "|", [&](const std::vector<std::string_view>& f) {
    if (f.size() != 5) {
      throw std::invalid_argument("expected 5 '|'-separated fields (id|age|gender|occupation|zip), found " +
                                  std::to_string(f.size()));
    }
    if (f[2] != "M" && f[2] != "F") {
      throw std::invalid_argument("gender: expected M or F, found '" + std::string(f[2]) + "'");
    }
    t.id.push_back(parse_int(f[0], "user id"));
    t.age.push_back(static_cast<float>(parse_int(f[1], "age")) / 100.0f);
    t.female.push_back(f[2] == "F" ? 1.0f : 0.0f);
    t.occupation.emplace_back(f[3]);
    t.zip.emplace_back(f[4]);
  });
  return t;
}

constexpr int kGenres = 19;
constexpr std::int64_t kMissingYear = -1;

struct ItemTable {
  std::vector<std::int64_t> id, year;
  std::vector<float> genres;  // row-major [n, 19]
  std::vector<std::string> title;
};

ItemTable read_items(const fs::path& file) {
  ItemTable t;
  for_each_record(file, "|", [&](const std::vector<std::string_view>& f) {
    if (f.size() != 5 + kGenres) {
      throw std::invalid_argument("expected 24 '|'-separated fields (id|title|release date|video "
                                  "date|url|19 genre flags), found " + std::to_string(f.size()));
    }
    t.id.push_back(parse_int(f[0], "item id"));
    t.title.push_back(latin1_to_utf8(f[1]));
    const std::string_view date = f[2];  // dd-Mon-yyyy, or empty
    const auto dash = date.rfind('-');
    t.year.push_back(dash == std::string_view::npos ? kMissingYear
                                                    : parse_int(date.substr(dash + 1), "release year"));
    for (int g = 0; g < kGenres; ++g) {
      const std::int64_t flag = parse_int(f[5 + g], "genre flag");
      if (flag != 0 && flag != 1) throw std::invalid_argument("genre flag: expected 0 or 1");
      t.genres.push_back(static_cast<float>(flag));
    }
  });
  return t;
}

const char* const kGenreNames[kGenres] = {
    "unknown", "action", "adventure", "animation", "childrens", "comedy", "crime",
    "documentary", "drama", "fantasy", "film_noir", "horror", "musical", "mystery",
    "romance", "sci_fi", "thriller", "war", "western"};

/// Row of each original id in a feature file.
std::map<std::int64_t, std::size_t> row_of(const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, std::size_t> rows;
  for (std::size_t i = 0; i < ids.size(); ++i) rows.emplace(ids[i], i);
  return rows;
}

}  // namespace

InteractionData load_movielens_100k(const MovieLensOptions& options) {
  const fs::path ratings_file = options.data_dir / "u.data";
  const fs::path users_file = options.data_dir / "u.user";
  const fs::path items_file = options.data_dir / "u.item";
  std::vector<Rating> ratings = read_ratings(ratings_file);
  const UserTable users = read_users(users_file);
  const ItemTable items = read_items(items_file);

  std::vector<Rating> positives;
  for (const auto& r : ratings) {
    if (r.rating >= options.positive_threshold) positives.push_back(r);
  }
  if (positives.empty()) {
    throw DataError(ratings_file.string(), 0,
                    "no rating reaches positive_threshold " + std::to_string(options.positive_threshold));
  }

  InteractionData data;
  std::vector<std::int64_t> user_raw, item_raw;
  for (const auto& r : positives) {
    user_raw.push_back(r.user);
    item_raw.push_back(r.item);
  }
  std::int64_t num_users = 0, num_items = 0;
  const auto user_code = encode(user_raw, &num_users);
  const auto item_code = encode(item_raw, &num_items);
  data.user_original_id.assign(num_users, 0);
  data.item_original_id.assign(num_items, 0);
  for (std::size_t i = 0; i < positives.size(); ++i) {
    data.user_original_id[user_code[i]] = user_raw[i];
    data.item_original_id[item_code[i]] = item_raw[i];
  }

  const auto n = static_cast<std::int64_t>(positives.size());
  data.user_id = torch::tensor(user_code, torch::kInt64);
  data.item_id = torch::tensor(item_code, torch::kInt64);
  std::vector<float> rating(n);
  std::vector<std::int64_t> timestamp(n);
  for (std::int64_t i = 0; i < n; ++i) {
    rating[i] = positives[i].rating;
    timestamp[i] = positives[i].timestamp;
  }
  data.rating = torch::tensor(rating, torch::kFloat32);
  data.timestamp = torch::tensor(timestamp, torch::kInt64);

  // Encoders are fitted over every row of the feature files, as the reference does.
  std::int64_t occupation_card = 0, zip_card = 0, year_card = 0;
  const auto occupation = encode(users.occupation, &occupation_card);
  const auto zip = encode(users.zip, &zip_card);
  std::vector<std::int64_t> known_years;
  for (auto y : items.year) {
    if (y != kMissingYear) known_years.push_back(y);
  }
  encode(known_years, &year_card);
  std::vector<std::int64_t> sorted_years = known_years;
  std::sort(sorted_years.begin(), sorted_years.end());
  sorted_years.erase(std::unique(sorted_years.begin(), sorted_years.end()), sorted_years.end());

  const auto user_rows = row_of(users.id);
  data.user_features.continuous = torch::empty({num_users, 2}, torch::kFloat32);
  data.user_features.categorical = torch::empty({num_users, 2}, torch::kInt64);
  auto uc = data.user_features.continuous.accessor<float, 2>();
  auto uk = data.user_features.categorical.accessor<std::int64_t, 2>();
  for (std::int64_t u = 0; u < num_users; ++u) {
    auto it = user_rows.find(data.user_original_id[u]);
    if (it == user_rows.end()) {
      throw DataError(users_file.string(), 0,
                      "user " + std::to_string(data.user_original_id[u]) + " of u.data is missing");
    }
    uc[u][0] = users.age[it->second];
    uc[u][1] = users.female[it->second];
    uk[u][0] = occupation[it->second];
    uk[u][1] = zip[it->second];
  }

  const auto item_rows = row_of(items.id);
  data.item_features.continuous = torch::empty({num_items, kGenres}, torch::kFloat32);
  data.item_features.categorical = torch::empty({num_items, 1}, torch::kInt64);
  auto ic = data.item_features.continuous.accessor<float, 2>();
  auto ik = data.item_features.categorical.accessor<std::int64_t, 2>();
  data.item_title.resize(num_items);
  for (std::int64_t i = 0; i < num_items; ++i) {
    auto it = item_rows.find(data.item_original_id[i]);
    if (it == item_rows.end()) {
      throw DataError(items_file.string(), 0,
                      "item " + std::to_string(data.item_original_id[i]) + " of u.data is missing");
    }
    const std::size_t row = it->second;
    for (int g = 0; g < kGenres; ++g) ic[i][g] = items.genres[row * kGenres + g];
    const std::int64_t year = items.year[row];
    ik[i][0] = year == kMissingYear
                   ? year_card  // the last bucket
                   : std::lower_bound(sorted_years.begin(), sorted_years.end(), year) - sorted_years.begin();
    data.item_title[i] = items.title[row];
  }

  FeatureSchema& s = data.schema;
  s.user.num_ids = num_users;
  s.user.continuous_dim = 2;
  s.user.continuous_names = {"age", "gender"};
  s.user.categorical = {{"occupation", occupation_card}, {"zip_code", zip_card}};
  s.item.num_ids = num_items;
  s.item.continuous_dim = kGenres;
  s.item.continuous_names.assign(kGenreNames, kGenreNames + kGenres);
  const bool any_missing =
      std::find(items.year.begin(), items.year.end(), kMissingYear) != items.year.end();
  s.item.categorical = {{"year", year_card + (any_missing ? 1 : 0)}};
  return data;
}

MovieLensDataset::MovieLensDataset(const PluginArgs& args)
    : options_(MovieLensOptions::from_config(args.config)) {}

InteractionData MovieLensDataset::load() { return load_movielens_100k(options_); }

}  // namespace recsys::movielens

RECSYS_EXPORT_PLUGIN(recsys::movielens::MovieLensDataset, "MovieLens 100k as implicit feedback", "");
