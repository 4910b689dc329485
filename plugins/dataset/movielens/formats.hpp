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
///   user demographics. The header is read by name (columns in any order); a file without it is
///   a DataError at line 1.
///
/// Checks, each a bad line naming the field and value: ratings 1-5 (integers; CSV: 0.5-5.0 in
/// half stars), timestamps >= 0, 100k ages 1-120, 1m ages one of the bucket codes 1, 18, 25,
/// 35, 45, 50, 56, 100k release dates dd-Mon-yyyy (day 1-31, an English month abbreviation) or
/// empty (missing), and a user or item id listed twice with different attributes (an identical
/// repeat is dropped and counted). A (user, item) pair rated more than once keeps one rating:
/// the latest timestamp (ties: the later line), at the position of the pair's first line;
/// merges are counted and logged. Titles are UTF-8 with ill-formed sequences and control
/// characters replaced (sanitize_text), counted and logged once per file.

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
  std::int64_t duplicate_ratings = 0;  ///< ratings merged into an earlier one of the same (user, item)
  std::int64_t duplicate_rows = 0;     ///< identical repeated rows of the users and movies files, dropped
  std::int64_t titles_replaced = 0;    ///< titles whose invalid UTF-8 or control characters were replaced
};

/// The files a version needs, relative to its data directory.
std::vector<std::string> required_files(const std::string& variant);

/// Reads a version's files from `directory`. A rating whose user or item the other files do
/// not list is a bad line, like a wrong field count, a non-numeric value or a value out of its
/// range (the file comment). Throws DataError (file and line) under BadLinePolicy::error.
RawData read_movielens(const std::string& variant, const std::filesystem::path& directory, BadLinePolicy policy);

}  // namespace recsys::movielens
