#include "formats.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace recsys::movielens {

namespace fs = std::filesystem;

namespace {

constexpr int kGenres100k = 19;
const char* const kGenreNames100k[kGenres100k] = {"unknown",   "action",   "adventure",   "animation", "childrens",
                                                  "comedy",    "crime",    "documentary", "drama",     "fantasy",
                                                  "film_noir", "horror",   "musical",     "mystery",   "romance",
                                                  "sci_fi",    "thriller", "war",         "western"};

[[noreturn]] void bad(const std::string& message) {
  throw std::invalid_argument(message);
}

void expect_fields(const std::vector<std::string_view>& f, std::size_t n, const char* layout) {
  if (f.size() != n) {
    bad("expected " + std::to_string(n) + " fields (" + layout + "), found " + std::to_string(f.size()));
  }
}

/// "Action|Comedy" -> flags over `names`, growing the vocabulary as new genres appear.
void add_genres(std::string_view list, std::vector<std::string>& names,
                std::unordered_map<std::string, std::size_t>& index,
                std::vector<std::vector<std::size_t>>& item_genres) {
  std::vector<std::size_t> genres;
  if (list != "(no genres listed)") {
    for (std::size_t begin = 0; begin <= list.size();) {
      const std::size_t end = std::min(list.find('|', begin), list.size());
      const std::string genre(list.substr(begin, end - begin));
      if (!genre.empty()) {
        auto [it, added] = index.emplace(genre, names.size());
        if (added) names.push_back(genre);
        genres.push_back(it->second);
      }
      begin = end + 1;
    }
  }
  item_genres.push_back(std::move(genres));
}

/// Genre columns in alphabetical order (stable across files), flags row-major.
void finish_genres(RawData& data, std::vector<std::string> names,
                   const std::vector<std::vector<std::size_t>>& item_genres) {
  std::vector<std::size_t> order(names.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  std::vector<std::size_t> column(names.size());
  for (std::size_t c = 0; c < order.size(); ++c) column[order[c]] = c;
  for (std::size_t c = 0; c < order.size(); ++c) data.genre_names.push_back(names[order[c]]);
  data.genre_flags.assign(item_genres.size() * names.size(), 0.0f);
  for (std::size_t i = 0; i < item_genres.size(); ++i) {
    for (std::size_t g : item_genres[i]) data.genre_flags[i * names.size() + column[g]] = 1.0f;
  }
}

/// Reads ratings, refusing users and items the other files do not list.
void read_ratings(RawData& data, const fs::path& file, std::string_view delimiter, bool header, BadLinePolicy policy,
                  bool fractional) {
  std::unordered_set<std::int64_t> users, items;
  for (const auto& u : data.users) users.insert(u.id);
  for (const auto& i : data.items) items.insert(i.id);
  data.skipped_lines += for_each_record(file, delimiter, header, policy, [&](const std::vector<std::string_view>& f) {
    expect_fields(f, 4, "user, item, rating, timestamp");
    RawRating r;
    r.user = parse_int(f[0], "user id");
    r.item = parse_int(f[1], "item id");
    r.rating =
        static_cast<float>(fractional ? parse_double(f[2], "rating") : static_cast<double>(parse_int(f[2], "rating")));
    r.timestamp = parse_int(f[3], "timestamp");
    if (data.has_users && !users.count(r.user)) bad("user " + std::to_string(r.user) + " is not in the users file");
    if (!items.count(r.item)) bad("item " + std::to_string(r.item) + " is not in the movies file");
    data.ratings.push_back(r);
  });
}

RawData read_100k(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  data.has_users = true;
  data.skipped_lines +=
      for_each_record(dir / "u.user", "|", false, policy, [&](const std::vector<std::string_view>& f) {
        expect_fields(f, 5, "id|age|gender|occupation|zip");
        if (f[2] != "M" && f[2] != "F") bad("gender: expected M or F, found '" + std::string(f[2]) + "'");
        data.users.push_back({parse_int(f[0], "user id"), static_cast<float>(parse_int(f[1], "age")) / 100.0f,
                              f[2] == "F" ? 1.0f : 0.0f, std::string(f[3]), std::string(f[4])});
      });
  data.genre_names.assign(kGenreNames100k, kGenreNames100k + kGenres100k);
  data.skipped_lines +=
      for_each_record(dir / "u.item", "|", false, policy, [&](const std::vector<std::string_view>& f) {
        expect_fields(f, 5 + kGenres100k, "id|title|release date|video date|url|19 genre flags");
        const std::string_view date = f[2];  // dd-Mon-yyyy, or empty: a missing value
        const auto dash = date.rfind('-');
        float flags[kGenres100k];
        for (int g = 0; g < kGenres100k; ++g) {
          const std::int64_t flag = parse_int(f[5 + g], "genre flag");
          if (flag != 0 && flag != 1) bad("genre flag: expected 0 or 1");
          flags[g] = static_cast<float>(flag);
        }
        data.items.push_back(
            {parse_int(f[0], "item id"), latin1_to_utf8(f[1]),
             dash == std::string_view::npos ? kMissingYear : parse_int(date.substr(dash + 1), "release year")});
        data.genre_flags.insert(data.genre_flags.end(), flags, flags + kGenres100k);
      });
  read_ratings(data, dir / "u.data", "\t", false, policy, false);
  return data;
}

RawData read_1m(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  data.has_users = true;
  data.skipped_lines +=
      for_each_record(dir / "users.dat", "::", false, policy, [&](const std::vector<std::string_view>& f) {
        expect_fields(f, 5, "UserID::Gender::Age::Occupation::Zip-code");
        if (f[1] != "M" && f[1] != "F") bad("gender: expected M or F, found '" + std::string(f[1]) + "'");
        const std::int64_t occupation = parse_int(f[3], "occupation");
        if (occupation < 0 || occupation > 20) bad("occupation: expected 0-20, found " + std::to_string(occupation));
        data.users.push_back({parse_int(f[0], "user id"), static_cast<float>(parse_int(f[2], "age")) / 100.0f,
                              f[1] == "F" ? 1.0f : 0.0f, std::to_string(occupation), std::string(f[4])});
      });
  std::vector<std::string> names;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::vector<std::size_t>> item_genres;
  data.skipped_lines +=
      for_each_record(dir / "movies.dat", "::", false, policy, [&](const std::vector<std::string_view>& f) {
        expect_fields(f, 3, "MovieID::Title::Genres");
        const std::string title = latin1_to_utf8(f[1]);  // may hold literal '"': '::' files are not quoted
        data.items.push_back({parse_int(f[0], "movie id"), title, year_from_title(title)});
        add_genres(f[2], names, index, item_genres);
      });
  finish_genres(data, names, item_genres);
  read_ratings(data, dir / "ratings.dat", "::", false, policy, false);
  return data;
}

RawData read_csv(const fs::path& dir, BadLinePolicy policy) {
  RawData data;
  std::vector<std::string> names;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::vector<std::size_t>> item_genres;
  data.skipped_lines +=
      for_each_record(dir / "movies.csv", ",", true, policy, [&](const std::vector<std::string_view>& f) {
        expect_fields(f, 3, "movieId,title,genres");
        const std::string title(f[1]);
        data.items.push_back({parse_int(f[0], "movie id"), title, year_from_title(title)});
        add_genres(f[2], names, index, item_genres);
      });
  finish_genres(data, names, item_genres);
  read_ratings(data, dir / "ratings.csv", ",", true, policy, true);
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
