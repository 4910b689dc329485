#pragma once
/// @file
/// The `movielens` dataset plugin: MovieLens (Harper & Konstan 2015, "The MovieLens
/// Datasets: History and Context") as implicit feedback, in its 100k, 1m, latest-small, 25m
/// and 32m versions, fetched when missing.
///
/// Positives are ratings >= positive_threshold. Users and items that carry a positive are
/// re-encoded to contiguous ids in increasing order of their original id.
/// User features (100k, 1m): continuous [age / 100 (1m: age bucket code / 100), gender (F = 1)],
/// categorical occupation and zip_code (codes in sorted order of the values of every user in
/// the users file). The CSV versions have no user features.
/// Item features: continuous genre flags (100k: its 19 columns; others: one per genre found,
/// alphabetical), categorical year of release (sorted years of every item, plus one last
/// bucket for a missing date).

#include <cstdint>
#include <filesystem>
#include <string>

#include "recsys/dataset.hpp"
#include "recsys/plugin.hpp"
#include "text_reader.hpp"

namespace recsys::movielens {

/// `[dataset]` table of the movielens plugin.
struct MovieLensOptions {
  std::string variant = "100k";     ///< 100k, 1m, latest-small, 25m, 32m
  std::filesystem::path data_dir;   ///< default $RECSYS_DATA_DIR/ml-<variant>
  double positive_threshold = 4.0;  ///< rating >= threshold is a positive (labelled: label 1)
  bool labelled = false;            ///< feedback = "labelled": every rating a row, labelled 1 or 0
  bool download = false;            ///< fetch the archive when the files are missing
  std::string base_url = "https://files.grouplens.org/datasets/movielens/";
  std::string checksum;  ///< "md5:<hex>" or "sha256:<hex>"; default: the published value
  bool strict = false;   ///< verify = "strict": a checksum mismatch is always an error
  BadLinePolicy on_bad_line = BadLinePolicy::error;
  bool cache = true;  ///< keep the parsed data in ${XDG_CACHE_HOME:-~/.cache}/recsys/parsed

  /// Reads the table; throws ConfigError for a bad value, or for missing files when
  /// download is false.
  static MovieLensOptions from_config(const Config& config);
  /// The archive's top folder ("ml-100k", "ml-latest-small", ...).
  std::string folder() const { return "ml-" + variant; }
  bool files_present() const;
};

/// Reads the version's files (downloading them first when missing and allowed).
/// Throws DataError naming the file and line of a malformed record.
InteractionData load_movielens(const MovieLensOptions& options);

class MovieLensDataset final : public Dataset {
 public:
  explicit MovieLensDataset(const PluginArgs& args);
  InteractionData load() override;

 private:
  MovieLensOptions options_;
};

}  // namespace recsys::movielens
