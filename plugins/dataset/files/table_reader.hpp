#pragma once
/// @file
/// Reading the user's delimited text files, plain or gzip-compressed (zlib reads both), record
/// by record with the file and line in every error.
///
/// With `quoted` (CSV) fields follow RFC 4180: a field that starts with '"' may hold the
/// separator, doubled quotes and line breaks (its record then spans several physical lines, at
/// most 100). Without it (TSV, RecBole's atomic files) a field is everything between two
/// separators. A trailing '\r' (CRLF) and a UTF-8 byte order mark at the start are dropped;
/// blank lines are skipped.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::files {

/// How a table file is split into fields.
struct TableFormat {
  std::string separator = ",";  ///< one or more bytes
  bool quoted = true;           ///< RFC 4180 quoting (CSV)
};

/// Reads `file` record by record. The first record is the header.
class TableReader {
 public:
  /// Reads from byte `offset` (0: the file's start, header included; else the start of a line of
  /// a plain file, for reading a byte range on another thread; line() then counts from there).
  /// Throws DataError(file, 0, "cannot open the file") when it cannot be opened.
  TableReader(std::filesystem::path file, TableFormat format, std::uint64_t offset = 0);
  ~TableReader();
  TableReader(const TableReader&) = delete;
  TableReader& operator=(const TableReader&) = delete;

  /// The next non-blank record's fields (views valid until the next call); false at the end.
  /// Throws std::invalid_argument for a record that cannot be split (an unterminated quote):
  /// the caller decides, by its bad-line policy, whether that is an error.
  bool next(std::vector<std::string_view>& fields);
  /// The 1-based line number of the last record's first line.
  std::size_t line() const { return first_line_; }
  const std::filesystem::path& file() const { return file_; }
  /// The byte offset in the file of the next physical line to read.
  std::uint64_t position() const { return offset_ + consumed_ + begin_; }
  /// The physical lines read so far.
  std::size_t lines() const { return number_; }
  /// Whether the file is plain text (not gzip): only a plain file can be read in byte ranges.
  bool plain() const;

 private:
  /// The next physical line (a view into the buffer, valid until the next read); false at the end.
  bool read_line(std::string_view& line);
  bool fill();

  std::filesystem::path file_;
  TableFormat format_;
  void* gz_ = nullptr;  // gzFile
  std::string buffer_;
  std::size_t begin_ = 0;
  std::uint64_t offset_ = 0, consumed_ = 0;  // where reading started; bytes dropped from buffer_
  bool eof_ = false;
  std::string record_;
  std::vector<std::string> unquoted_;
  std::size_t number_ = 0, first_line_ = 0;
};

/// Splits `record` at `format.separator` (RFC 4180 when quoted; unescaped quoted fields go to
/// `storage`). Throws std::invalid_argument for an unterminated quote or text after a closing
/// quote.
void split_fields(std::string_view record, const TableFormat& format, std::vector<std::string_view>& fields,
                  std::vector<std::string>& storage);

}  // namespace recsys::files
