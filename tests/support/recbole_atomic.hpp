#pragma once
/// @file
/// MovieLens 100k written as RecBole atomic files, as the own-data issue specifies them (an
/// independent writer, so the files plugin is checked against it rather than against itself).

#include <filesystem>

namespace recsys::test {

/// Writes `out/ml-100k.inter` (user_id:token item_id:token rating:float timestamp:float),
/// `ml-100k.user` (user_id:token age:token gender:token occupation:token zip_code:token) and
/// `ml-100k.item` (item_id:token movie_title:token_seq release_year:token class:token_seq) from
/// `ml100k/u.data`, `u.user`, `u.item` and `u.genre`: the title without its trailing
/// " (yyyy)", release_year the last 4 characters of the release date (empty when there is
/// none), class the names of the genres flagged 1 joined with spaces; tab-separated, UTF-8.
void write_recbole_ml100k(const std::filesystem::path& ml100k, const std::filesystem::path& out);

}  // namespace recsys::test
