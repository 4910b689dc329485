#pragma once
/// @file
/// Line-oriented reading of delimited and CSV text files, with the file and line in every
/// error, and a policy for malformed lines.
///
/// CSV files (delimiter ",") follow RFC 4180: quoted fields may hold commas, doubled quotes
/// and line breaks (a record whose count of '"' is odd continues on the next physical line,
/// joined with '\n'); a UTF-8 byte order mark at the start of the file is dropped. A header
/// may be checked by name (RecordOptions::columns), its columns in any order.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::movielens {

/// What to do with a line the parser rejects.
enum class BadLinePolicy { error, skip };

/// How for_each_record reads a file.
struct RecordOptions {
  std::string_view delimiter;  ///< "\t", "|", "::", or "," for RFC 4180 CSV
  /// The columns a header line must name (any order, extra columns ignored); when given, the
  /// first line is that header and the fields reach `on_record` in this order. A first line
  /// without them is a DataError at line 1 whatever the policy (a missing header would
  /// otherwise lose a record, or read columns as the wrong ones).
  std::vector<std::string> columns;
  bool skip_header = false;  ///< drop the first line unread (ignored when `columns` is given)
  BadLinePolicy policy = BadLinePolicy::error;
};

/// Calls `on_record(fields, line)` for each non-empty record of `file`, split at
/// `options.delimiter`, or as one RFC 4180 CSV record when it is "," (see the file comment);
/// `line` is the 1-based number of the record's first physical line. A trailing '\r' (CRLF)
/// never reaches a field. When `on_record` throws std::invalid_argument the record is bad:
/// with BadLinePolicy::error a DataError naming the file and the record's first line is
/// thrown, with ::skip the record is counted and skipped. Returns the records skipped. The
/// buffers are reused from record to record: no allocation per record once they have grown.
std::int64_t for_each_record(
    const std::filesystem::path& file, const RecordOptions& options,
    const std::function<void(const std::vector<std::string_view>&, std::size_t line)>& on_record);

/// The same with the fields only: `skip_header` drops the first line.
std::int64_t for_each_record(const std::filesystem::path& file, std::string_view delimiter, bool skip_header,
                             BadLinePolicy policy,
                             const std::function<void(const std::vector<std::string_view>&)>& on_line);

/// Base-10 integer field; throws std::invalid_argument naming `what`.
std::int64_t parse_int(std::string_view field, const char* what);
/// Decimal number field (ratings may be half stars); throws std::invalid_argument naming `what`.
double parse_double(std::string_view field, const char* what);

/// Decodes ISO-8859-1 (Latin-1) to UTF-8; every byte is a valid Latin-1 character.
std::string latin1_to_utf8(std::string_view text);

/// `text` as clean UTF-8 for titles: each ill-formed UTF-8 sequence (its maximal subpart, as
/// Unicode recommends) and each C0 or C1 control character or DEL becomes U+FFFD, except the
/// whitespace controls (tab, line feed, vertical tab, form feed, carriage return, U+0085),
/// which become a space. `*changed` (when given) tells whether anything was replaced.
std::string sanitize_text(std::string_view text, bool* changed = nullptr);

/// The year in the last "(dddd)" group of a title ("Some Film (Un film quelconque) (1995)" ->
/// 1995), or -1 when there is none.
std::int64_t year_from_title(std::string_view title);

}  // namespace recsys::movielens
