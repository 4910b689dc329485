#include "formats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <spdlog/spdlog.h>

namespace recsys::movielens {

namespace fs = std::filesystem;

namespace {

using Fields = std::vector<std::string_view>;

constexpr int kGenres100k = 19;
const char* const kGenreNames100k[kGenres100k] = {"unknown",   "action",   "adventure",   "animation", "childrens",
                                                  "comedy",    "crime",    "documentary", "drama",     "fantasy",
                                                  "film_noir", "horror",   "musical",     "mystery",   "romance",
                                                  "sci_fi",    "thriller", "war",         "western"};

[[noreturn]] void bad(const std::string& message) {
  throw std::invalid_argument(message);
}

void expect_fields(const Fields& f, std::size_t n, const char* layout) {
  if (f.size() != n) {
    bad("expected " + std::to_string(n) + " fields (" + layout + "), found " + std::to_string(f.size()));
  }
}

RecordOptions options(std::string_view delimiter, BadLinePolicy policy, std::vector<std::string> columns = {}) {
  RecordOptions o;
  o.delimiter = delimiter;
  o.policy = policy;
  o.columns = std::move(columns);
  return o;
}

/// What a users or movies file had repaired, added to RawData and logged once for the file.
struct FileNotes {
  std::int64_t titles_replaced = 0;
  std::int64_t identical_duplicates = 0;
};

void report(RawData& data, const fs::path& file, const FileNotes& notes) {
  const std::string name = file.filename().string();
  if (notes.titles_replaced > 0) {
    spdlog::warn("{}: {} titles had invalid UTF-8 or control characters, replaced", name, notes.titles_replaced);
  }
  if (notes.identical_duplicates > 0) {
    spdlog::info("{}: {} repeated identical rows dropped", name, notes.identical_duplicates);
  }
  data.titles_replaced += notes.titles_replaced;
  data.duplicate_rows += notes.identical_duplicates;
}

/// The ids of a users or movies file, refusing one listed twice with different attributes.
class IdRows {
 public:
  explicit IdRows(const char* what) : what_(what) {}

  /// Whether `id` is already listed with the same attributes (`same(row)` compares the row that
  /// holds it): the line is an identical repeat, to drop. Otherwise `id` is remembered as row
  /// `row`, first listed at `line`. Throws (a bad line) when `id` is listed with other values.
  template <typename Same>
  bool repeated(std::int64_t id, std::size_t line, std::size_t row, const Same& same) {
    const auto [it, added] = rows_.try_emplace(id, line, row);
    if (added) return false;
    if (!same(it->second.second)) {
      bad(std::string(what_) + " " + std::to_string(id) + " is listed twice with different attributes (first at line " +
          std::to_string(it->second.first) + ")");
    }
    return true;
  }

 private:
  const char* what_;
  std::unordered_map<std::int64_t, std::pair<std::size_t, std::size_t>> rows_;  ///< id -> (line, row)
};

/// The genres of "Action|Comedy", sorted and distinct; none for "(no genres listed)".
std::vector<std::string> split_genres(std::string_view list) {
  std::vector<std::string> genres;
  if (list == "(no genres listed)") return genres;
  for (std::size_t begin = 0; begin <= list.size();) {
    const std::size_t end = std::min(list.find('|', begin), list.size());
    if (end > begin) genres.emplace_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  std::sort(genres.begin(), genres.end());
  genres.erase(std::unique(genres.begin(), genres.end()), genres.end());
  return genres;
}

/// The genre vocabulary of a movies file, growing as new genres appear, and each item's genres.
class GenreTable {
 public:
  void add(const std::vector<std::string>& genres) {
    std::vector<std::size_t> columns;
    for (const auto& genre : genres) {
      auto [it, added] = index_.emplace(genre, names_.size());
      if (added) names_.push_back(genre);
      columns.push_back(it->second);
    }
    item_genres_.push_back(std::move(columns));
  }

  bool same(std::size_t row, const std::vector<std::string>& genres) const {
    const auto& columns = item_genres_.at(row);
    if (columns.size() != genres.size()) return false;
    for (std::size_t k = 0; k < genres.size(); ++k) {
      if (names_[columns[k]] != genres[k]) return false;
    }
    return true;
  }

  /// Genre columns in alphabetical order (stable across files), flags row-major.
  void finish(RawData& data) const {
    std::vector<std::size_t> order(names_.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names_[a] < names_[b]; });
    std::vector<std::size_t> column(names_.size());
    for (std::size_t c = 0; c < order.size(); ++c) column[order[c]] = c;
    for (std::size_t c = 0; c < order.size(); ++c) data.genre_names.push_back(names_[order[c]]);
    data.genre_flags.assign(item_genres_.size() * names_.size(), 0.0f);
    for (std::size_t i = 0; i < item_genres_.size(); ++i) {
      for (std::size_t g : item_genres_[i]) data.genre_flags[i * names_.size() + column[g]] = 1.0f;
    }
  }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::vector<std::size_t>> item_genres_;
};

float female(std::string_view gender) {
  if (gender != "M" && gender != "F") bad("gender: expected M or F, found '" + std::string(gender) + "'");
  return gender == "F" ? 1.0f : 0.0f;
}

bool same_user(const RawUser& a, const RawUser& b) {
  return a.age == b.age && a.female == b.female && a.occupation == b.occupation && a.zip == b.zip;
}

bool same_item(const RawItem& a, const RawItem& b) {
  return a.title == b.title && a.year == b.year;
}

/// Adds `user` unless it repeats an identical row (then counted in `notes`).
void add_user(RawData& data, IdRows& ids, FileNotes& notes, RawUser user, std::size_t line) {
  const auto same = [&](std::size_t row) { return same_user(data.users[row], user); };
  if (ids.repeated(user.id, line, data.users.size(), same)) {
    ++notes.identical_duplicates;
    return;
  }
  data.users.push_back(std::move(user));
}

/// A rating: an integer 1-5, or with `half_stars` 0.5-5.0 in steps of 0.5.
float parse_rating(std::string_view field, bool half_stars) {
  if (!half_stars) {
    const std::int64_t rating = parse_int(field, "rating");
    if (rating < 1 || rating > 5) bad("rating: expected an integer 1-5, found " + std::to_string(rating));
    return static_cast<float>(rating);
  }
  const double rating = parse_double(field, "rating");
  if (!(rating >= 0.5 && rating <= 5.0) || std::floor(rating * 2) != rating * 2) {
    bad("rating: expected 0.5-5.0 in half stars, found '" + std::string(field) + "'");
  }
  return static_cast<float>(rating);
}

/// Keeps one rating per (user, item): the latest timestamp (ties: the later line), at the
/// position of the pair's first line. Returns how many ratings were merged away.
std::int64_t merge_duplicates(std::vector<RawRating>& ratings) {
  const auto less = [](const RawRating& a, const RawRating& b) {
    return a.user != b.user ? a.user < b.user : a.item < b.item;
  };
  const auto same = [](const RawRating& a, const RawRating& b) { return a.user == b.user && a.item == b.item; };
  const std::size_t n = ratings.size();
  std::vector<std::size_t> order;  // rows by (user, item), first lines first; empty: as read
  if (!std::is_sorted(ratings.begin(), ratings.end(), less)) {
    order.resize(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return less(ratings[a], ratings[b]); });
  }
  const auto row = [&](std::size_t k) -> RawRating& { return ratings[order.empty() ? k : order[k]]; };
  std::vector<bool> drop(n, false);
  std::int64_t merged = 0;
  for (std::size_t begin = 0, end; begin < n; begin = end) {
    RawRating& kept = row(begin);
    for (end = begin + 1; end < n && same(row(end), kept); ++end) {
      if (row(end).timestamp >= kept.timestamp) {
        kept.rating = row(end).rating;
        kept.timestamp = row(end).timestamp;
      }
      drop[order.empty() ? end : order[end]] = true;
      ++merged;
    }
  }
  if (merged == 0) return 0;
  std::size_t out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!drop[i]) ratings[out++] = ratings[i];
  }
  ratings.resize(out);
  return merged;
}

/// Reads ratings, refusing users and items the other files do not list, and merges repeated
/// (user, item) pairs.
void read_ratings(RawData& data, const fs::path& file, const RecordOptions& options, bool half_stars) {
  std::unordered_set<std::int64_t> users, items;
  for (const auto& u : data.users) users.insert(u.id);
  for (const auto& i : data.items) items.insert(i.id);
  data.skipped_lines += for_each_record(file, options, [&](const Fields& f, std::size_t) {
    expect_fields(f, 4, "user, item, rating, timestamp");
    RawRating r;
    r.user = parse_int(f[0], "user id");
    r.item = parse_int(f[1], "item id");
    r.rating = parse_rating(f[2], half_stars);
    r.timestamp = parse_int(f[3], "timestamp");
    if (r.timestamp < 0) bad("timestamp: expected seconds since 1970 (>= 0), found " + std::to_string(r.timestamp));
    if (data.has_users && !users.count(r.user)) bad("user " + std::to_string(r.user) + " is not in the users file");
    if (!items.count(r.item)) bad("item " + std::to_string(r.item) + " is not in the movies file");
    data.ratings.push_back(r);
  });
  data.duplicate_ratings = merge_duplicates(data.ratings);
  if (data.duplicate_ratings > 0) {
    spdlog::warn("{}: {} duplicate (user, item) ratings merged, the latest kept", file.filename().string(),
                 data.duplicate_ratings);
  }
}

/// The year of a 100k release date, "dd-Mon-yyyy" (day 1-31 in one or two digits, an English
/// month abbreviation), or kMissingYear when the field is empty.
std::int64_t release_year(std::string_view date) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (date.empty()) return kMissingYear;
  const auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  const std::size_t dash = date.find('-');
  const std::size_t dash2 = dash == std::string_view::npos ? dash : date.find('-', dash + 1);
  if (dash2 != std::string_view::npos) {
    const std::string_view day = date.substr(0, dash), month = date.substr(dash + 1, dash2 - dash - 1);
    const std::string_view year = date.substr(dash2 + 1);
    const bool known_month = std::find(std::begin(kMonths), std::end(kMonths), month) != std::end(kMonths);
    if (digits(day) && day.size() <= 2 && parse_int(day, "day") >= 1 && parse_int(day, "day") <= 31 && known_month &&
        digits(year) && year.size() == 4) {
      return parse_int(year, "release year");
    }
  }
  bad("release date: expected dd-Mon-yyyy (e.g. 01-Jan-1995) or nothing, found '" + std::string(date) + "'");
}

void read_users_100k(RawData& data, const fs::path& file, BadLinePolicy policy) {
  IdRows ids("user");
  FileNotes notes;
  data.skipped_lines += for_each_record(file, options("|", policy), [&](const Fields& f, std::size_t line) {
    expect_fields(f, 5, "id|age|gender|occupation|zip");
    const std::int64_t id = parse_int(f[0], "user id");
    const std::int64_t age = parse_int(f[1], "age");
    if (age < 1 || age > 120) bad("age: expected 1-120, found " + std::to_string(age));
    add_user(data, ids, notes,
             {id, static_cast<float>(age) / 100.0f, female(f[2]), std::string(f[3]), std::string(f[4])}, line);
  });
  report(data, file, notes);
}

void read_items_100k(RawData& data, const fs::path& file, BadLinePolicy policy) {
  IdRows ids("item");
  FileNotes notes;
  data.genre_names.assign(kGenreNames100k, kGenreNames100k + kGenres100k);
  data.skipped_lines += for_each_record(file, options("|", policy), [&](const Fields& f, std::size_t line) {
    expect_fields(f, 5 + kGenres100k, "id|title|release date|video date|url|19 genre flags");
    float flags[kGenres100k];
    for (int g = 0; g < kGenres100k; ++g) {
      const std::int64_t flag = parse_int(f[5 + g], "genre flag");
      if (flag != 0 && flag != 1) bad("genre flag: expected 0 or 1");
      flags[g] = static_cast<float>(flag);
    }
    bool replaced = false;
    RawItem item{parse_int(f[0], "item id"), sanitize_text(latin1_to_utf8(f[1]), &replaced), release_year(f[2])};
    const auto same = [&](std::size_t row) {
      return same_item(data.items[row], item) &&
             std::equal(flags, flags + kGenres100k, data.genre_flags.begin() + row * kGenres100k);
    };
    if (ids.repeated(item.id, line, data.items.size(), same)) {
      ++notes.identical_duplicates;
      return;
    }
    data.items.push_back(std::move(item));
    data.genre_flags.insert(data.genre_flags.end(), flags, flags + kGenres100k);
    notes.titles_replaced += replaced ? 1 : 0;
  });
  report(data, file, notes);
}

RawData read_100k(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  data.has_users = true;
  read_users_100k(data, dir / "u.user", policy);
  read_items_100k(data, dir / "u.item", policy);
  read_ratings(data, dir / "u.data", options("\t", policy), false);
  return data;
}

void read_users_1m(RawData& data, const fs::path& file, BadLinePolicy policy) {
  static const std::int64_t kAgeCodes[] = {1, 18, 25, 35, 45, 50, 56};
  IdRows ids("user");
  FileNotes notes;
  data.skipped_lines += for_each_record(file, options("::", policy), [&](const Fields& f, std::size_t line) {
    expect_fields(f, 5, "UserID::Gender::Age::Occupation::Zip-code");
    const std::int64_t id = parse_int(f[0], "user id");
    const float is_female = female(f[1]);
    const std::int64_t age = parse_int(f[2], "age");
    if (std::find(std::begin(kAgeCodes), std::end(kAgeCodes), age) == std::end(kAgeCodes)) {
      bad("age: expected a bucket code (1, 18, 25, 35, 45, 50, 56), found " + std::to_string(age));
    }
    const std::int64_t occupation = parse_int(f[3], "occupation");
    if (occupation < 0 || occupation > 20) bad("occupation: expected 0-20, found " + std::to_string(occupation));
    add_user(data, ids, notes,
             {id, static_cast<float>(age) / 100.0f, is_female, std::to_string(occupation), std::string(f[4])}, line);
  });
  report(data, file, notes);
}

/// Reads a movies file, movieId, title, genres: 1m's (Latin-1, never quoted: titles may hold
/// a literal '"') or a CSV version's (UTF-8).
void read_movies(RawData& data, const fs::path& file, const RecordOptions& options, bool latin1) {
  IdRows ids("movie");
  FileNotes notes;
  GenreTable genres;
  data.skipped_lines += for_each_record(file, options, [&](const Fields& f, std::size_t line) {
    expect_fields(f, 3, "movie id, title, genres");
    const std::int64_t id = parse_int(f[0], "movie id");
    bool replaced = false;
    std::string title = sanitize_text(latin1 ? latin1_to_utf8(f[1]) : std::string(f[1]), &replaced);
    const std::int64_t year = year_from_title(title);
    RawItem item{id, std::move(title), year};
    const std::vector<std::string> list = split_genres(f[2]);
    const auto same = [&](std::size_t row) { return same_item(data.items[row], item) && genres.same(row, list); };
    if (ids.repeated(id, line, data.items.size(), same)) {
      ++notes.identical_duplicates;
      return;
    }
    data.items.push_back(std::move(item));
    genres.add(list);
    notes.titles_replaced += replaced ? 1 : 0;
  });
  genres.finish(data);
  report(data, file, notes);
}

RawData read_1m(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  data.has_users = true;
  read_users_1m(data, dir / "users.dat", policy);
  read_movies(data, dir / "movies.dat", options("::", policy), true);
  read_ratings(data, dir / "ratings.dat", options("::", policy), false);
  return data;
}

RawData read_csv(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  read_movies(data, dir / "movies.csv", options(",", policy, {"movieId", "title", "genres"}), false);
  read_ratings(data, dir / "ratings.csv", options(",", policy, {"userId", "movieId", "rating", "timestamp"}), true);
  return data;
}

}  // namespace

std::vector<std::string> required_files(const std::string& variant) {
  if (variant == "100k") return {"u.data", "u.user", "u.item"};
  if (variant == "1m") return {"ratings.dat", "users.dat", "movies.dat"};
  return {"ratings.csv", "movies.csv"};
}

RawData read_movielens(const std::string& variant, const fs::path& directory, BadLinePolicy policy) {
  if (variant == "100k") return read_100k(directory, policy);
  if (variant == "1m") return read_1m(directory, policy);
  return read_csv(directory, policy);
}

}  // namespace recsys::movielens
