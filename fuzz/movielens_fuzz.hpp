#pragma once
/// @file
/// The body of the MovieLens reader targets: the input holds the files of one version
/// (split_input, in the order the reader reads them), written to a scratch folder and read
/// with read_movielens under both bad-line policies. A DataError is the expected rejection;
/// anything else escaping, a sanitizer report, or a result that breaks the RawData invariants
/// is a finding. RECSYS_FUZZ_WRITE_SEEDS=DIR writes the tests' fixture of the version
/// (tests/support/movielens_fixtures.cpp) into DIR as one input, then exits.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unordered_set>
#include <vector>

#include "formats.hpp"
#include "fuzz_support.hpp"
#include "movielens_fixtures.hpp"
#include "recsys/errors.hpp"

namespace recsys::fuzz {

inline void check_raw(const movielens::RawData& raw, bool latin1, movielens::BadLinePolicy policy) {
  check(raw.genre_flags.size() == raw.items.size() * raw.genre_names.size(), "genre flags are items x genres");
  for (float flag : raw.genre_flags) check(flag == 0.0f || flag == 1.0f, "a genre flag is 0 or 1");
  std::unordered_set<std::int64_t> users, items;
  for (const auto& user : raw.users) users.insert(user.id);
  for (const auto& item : raw.items) {
    items.insert(item.id);
    check(item.year == movielens::kMissingYear || item.year >= 0, "a year is known or kMissingYear");
    if (latin1) check(valid_utf8(item.title), "a title decoded from Latin-1 is UTF-8");
  }
  for (const auto& rating : raw.ratings) {
    check(items.count(rating.item) == 1, "every rating's item is listed");
    check(!raw.has_users || users.count(rating.user) == 1, "every rating's user is listed");
  }
  check(policy == movielens::BadLinePolicy::skip || raw.skipped_lines == 0, "no line skipped under ::error");
}

/// One MovieLens version's reader: its files in reading order, and whether they are Latin-1.
struct MovieLensTarget {
  std::string variant;
  std::vector<std::string> files;
  bool latin1;
};

/// Writes the tests' fixture of `target` into `dir` as one input ("fixture"), when
/// RECSYS_FUZZ_WRITE_SEEDS names `dir`, and exits.
inline void write_seeds_if_asked(const MovieLensTarget& target) {
  const char* dir = std::getenv("RECSYS_FUZZ_WRITE_SEEDS");
  if (!dir) return;
  const auto fixture = scratch_dir() / "fixture";
  test::write_movielens_fixture(target.variant, fixture);
  std::string input;
  for (const auto& file : target.files) {
    std::ostringstream text;
    text << std::ifstream(fixture / file, std::ios::binary).rdbuf();
    input += (input.empty() ? "" : std::string(1, kFileSeparator)) + text.str();
  }
  std::filesystem::create_directories(dir);
  write_file(std::filesystem::path(dir) / "fixture", input);
  std::exit(0);
}

/// Runs read_movielens on the input split into the target's files.
inline int fuzz_movielens(const MovieLensTarget& target, const std::uint8_t* data, std::size_t size) {
  const auto parts = split_input(data, size, target.files.size());
  for (std::size_t i = 0; i < parts.size(); ++i) write_file(scratch_dir() / target.files[i], parts[i]);
  for (auto policy : {movielens::BadLinePolicy::skip, movielens::BadLinePolicy::error}) {
    try {
      check_raw(movielens::read_movielens(target.variant, scratch_dir(), policy), target.latin1, policy);
    } catch (const DataError&) {
      // A bad line under BadLinePolicy::error (or an unreadable file).
    }
  }
  return 0;
}

}  // namespace recsys::fuzz
