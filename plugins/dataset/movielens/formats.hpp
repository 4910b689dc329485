#pragma once
/// @file
/// The MovieLens file formats, parsed into one intermediate form.
///
/// - 100k: u.data (tab: user item rating timestamp), u.user (id|age|gender|occupation|zip),
///   u.item (id|title|release date|video date|url|19 genre flags), Latin-1.
/// - 1m: ratings.dat (UserID::MovieID::Rating::Timestamp), users.dat
///   (UserID::Gender::Age::Occupation::Zip-code; age is a bucket code, occupation 0-20),
///   movies.dat (MovieID::Title::Genres, genres '|'-separated), Latin-1, never quoted.
/// - latest-small, 25m, 32m: ratings.csv (userId,movieId,rating,timestamp) and movies.csv
///   (movieId,title,genres) with a header and RFC 4180 quoting, UTF-8, half-star ratings; no
///   user demographics.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "text_reader.hpp"

namespace recsys::movielens {

constexpr std::int64_t kMissingYear = -1;

struct RawRating {
  std::int64_t user, item, timestamp;
  float rating;
};

struct RawUser {
  std::int64_t id;
  float age;                    ///< age / 100 (100k) or age bucket code / 100 (1m)
  float female;                 ///< 1 for F
  std::string occupation, zip;  ///< categorical values, kept as text ("T8H1N" is a zip)
};

struct RawItem {
  std::int64_t id;
  std::string title;  ///< UTF-8
  std::int64_t year;  ///< kMissingYear when unknown
};

struct RawData {
  std::vector<RawRating> ratings;
  bool has_users = false;  ///< the CSV versions have no user file
  std::vector<RawUser> users;
  std::vector<RawItem> items;
  std::vector<std::string> genre_names;  ///< one continuous flag column each
  std::vector<float> genre_flags;        ///< row-major [items, genres]
  std::int64_t skipped_lines = 0;
};

/// The files a version needs, relative to its data directory.
std::vector<std::string> required_files(const std::string& variant);

/// Reads a version's files from `directory`. A rating whose user or item the other files do
/// not list is a bad line, like a wrong field count or a non-numeric value. Throws DataError
/// (file and line) under BadLinePolicy::error.
RawData read_movielens(const std::string& variant, const std::filesystem::path& directory, BadLinePolicy policy);

}  // namespace recsys::movielens
