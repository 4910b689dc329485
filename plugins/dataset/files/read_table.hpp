#pragma once
/// @file
/// One of the user's files parsed into typed columns, by its header.

#include <cstdint>
#include <filesystem>
#include <vector>

#include "columns.hpp"
#include "files_options.hpp"

namespace recsys::files {

/// Which file of a dataset a table is: what its columns may be.
enum class TableKind { interactions, users, items };

struct ParsedTable {
  std::filesystem::path file;
  std::vector<RawColumn> columns;  ///< the columns read, in header order (ignored ones left out)
  std::int64_t rows = 0;
  std::int64_t skipped = 0;        ///< bad lines skipped (on_bad_line = "skip")
  std::vector<std::size_t> lines;  ///< users and items files: the line of each row

  /// The first column with `role`, or null.
  const RawColumn* find(Role role) const;
  RawColumn* find(Role role);
};

/// Reads `file`: the header types the columns (RecBole's `name:type`, or the declared
/// `[dataset.columns]` and the standard names user_id, item_id, rating, timestamp, label);
/// every row is checked (field count, numbers, labels in {0, 1}, ids not empty). Throws
/// DataError naming the file, line and column of the first problem (with on_bad_line =
/// "error"), or for a header that lacks a declared or required column.
ParsedTable read_table(const std::filesystem::path& file, const FilesOptions& options, TableKind kind);

/// Several files with the same header read as one table (pre-split files: training, validation,
/// test); `rows_per_file` (when given) gets each file's count of rows read. Throws as above, and
/// DataError for a header that differs from the first file's.
ParsedTable read_table(const std::vector<std::filesystem::path>& files, const FilesOptions& options, TableKind kind,
                       std::vector<std::int64_t>* rows_per_file);

}  // namespace recsys::files
