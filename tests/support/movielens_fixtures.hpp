#pragma once
/// @file
/// Small MovieLens fixtures in each format, written by the tests (never copies of MovieLens
/// files). Counts worked out by hand are in the comments of movielens_fixtures.cpp.

#include <filesystem>
#include <string>

namespace recsys::test {

/// Writes the files of `variant` ("100k", "1m" or "latest-small") into `directory`.
void write_movielens_fixture(const std::string& variant, const std::filesystem::path& directory);

}  // namespace recsys::test
