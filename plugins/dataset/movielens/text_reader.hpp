#pragma once
/// @file
/// Line-oriented reading of delimited text files, with the file and line in every error.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::movielens {

/// Calls `on_line(fields)` for each non-empty line of `file`, split at
/// `delimiter`. A trailing '\r' (CRLF files) never reaches a field. Throws DataError when
/// the file cannot be opened or `on_line` throws std::invalid_argument (rethrown with the
/// file and line).
void for_each_record(const std::filesystem::path& file, std::string_view delimiter,
                     const std::function<void(const std::vector<std::string_view>&)>& on_line);

/// Parses a base-10 integer field; throws std::invalid_argument naming `what`.
std::int64_t parse_int(std::string_view field, const char* what);

/// Decodes ISO-8859-1 (Latin-1) to UTF-8; every byte is a valid Latin-1 character.
std::string latin1_to_utf8(std::string_view text);

}  // namespace recsys::movielens
