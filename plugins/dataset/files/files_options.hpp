#pragma once
/// @file
/// The `[dataset]` options of the `files` plugin (no torch: the fuzz targets use them).
/// docs/config.md lists every key.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "columns.hpp"
#include "recsys/config.hpp"
#include "table_reader.hpp"

namespace recsys::files {

enum class BadLines { error, skip };
enum class Scaling { none, standard, minmax };

/// `[dataset]` table of the files plugin.
struct FilesOptions {
  std::filesystem::path data_dir;                    ///< `$RECSYS_DATA_DIR` at its start is expanded
  bool atomic = false;                               ///< format = "atomic": RecBole's <name>.inter/.user/.item
  std::string name;                                  ///< atomic: the files' stem (default: the one *.inter)
  std::filesystem::path interactions, users, items;  ///< the files; users and items may be empty
  /// Pre-split interactions: `interactions` then trains, these validate and test (both or none;
  /// atomic: `<name>.train.inter`, `<name>.valid.inter`, `<name>.test.inter`, RecBole's names).
  std::filesystem::path validation, test;
  TableFormat table;                                                  ///< separator and quoting
  bool labelled = false;                                              ///< feedback = "labelled"
  bool has_threshold = false;                                         ///< positive_threshold given
  double threshold = 0.0;                                             ///< rating >= threshold: positive / label 1
  bool merge_duplicates = true;                                       ///< default: implicit true, labelled false
  std::int64_t min_user_interactions = 0, min_item_interactions = 0;  ///< k-core
  std::int64_t min_count = 1;  ///< fewer training occurrences: the out-of-vocabulary code
  Scaling scaling = Scaling::none;
  BadLines on_bad_line = BadLines::error;
  std::string title_column;                   ///< item titles for `recommend`; "" for none
  bool cache = true;                          ///< keep the parse in ${XDG_CACHE_HOME:-~/.cache}/recsys/parsed
  std::int64_t read_threads = 0;              ///< threads reading a plain interactions file; 0: auto
  std::map<std::string, ColumnSpec> columns;  ///< declared columns by name

  /// Reads and checks the table; throws ConfigError (missing files included).
  static FilesOptions from_config(const Config& config);
};

}  // namespace recsys::files
