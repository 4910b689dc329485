#pragma once
/// @file
/// Line-oriented reading of delimited and CSV text files, with the file and line in every
/// error, and a policy for malformed lines.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::movielens {

/// What to do with a line the parser rejects.
enum class BadLinePolicy { error, skip };

/// Calls `on_line(fields)` for each non-empty line of `file`, split at `delimiter` (a string,
/// e.g. "\t", "|" or "::"), or as one RFC 4180 CSV record when `delimiter` is "," (quoted
/// fields may hold commas and doubled quotes; a record is one line). A trailing '\r' (CRLF)
/// never reaches a field. `skip_header` drops the first line. When `on_line` throws
/// std::invalid_argument the line is bad: with BadLinePolicy::error a DataError naming the file
/// and line is thrown, with ::skip the line is counted and skipped. Returns the lines skipped.
/// The buffers are reused from line to line: no allocation per line once they have grown.
std::int64_t for_each_record(const std::filesystem::path& file, std::string_view delimiter, bool skip_header,
                             BadLinePolicy policy,
                             const std::function<void(const std::vector<std::string_view>&)>& on_line);

/// Base-10 integer field; throws std::invalid_argument naming `what`.
std::int64_t parse_int(std::string_view field, const char* what);
/// Decimal number field (ratings may be half stars); throws std::invalid_argument naming `what`.
double parse_double(std::string_view field, const char* what);

/// Decodes ISO-8859-1 (Latin-1) to UTF-8; every byte is a valid Latin-1 character.
std::string latin1_to_utf8(std::string_view text);

/// The year in the last "(dddd)" group of a title ("Some Film (Un film quelconque) (1995)" ->
/// 1995), or -1 when there is none.
std::int64_t year_from_title(std::string_view title);

}  // namespace recsys::movielens
