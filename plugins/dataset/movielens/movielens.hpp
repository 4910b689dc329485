#pragma once
/// @file
/// The `movielens` dataset plugin: MovieLens 100k (Harper & Konstan 2015, "The MovieLens
/// Datasets: History and Context") as implicit feedback.
///
/// Positives are ratings >= positive_threshold. Users and items that carry a positive are
/// re-encoded to contiguous ids in increasing order of their original id.
/// User features: continuous [age / 100, gender (F = 1)], categorical occupation and
/// zip_code (codes in sorted order of the values of all users in u.user).
/// Item features: continuous 19 genre flags, categorical year of release (sorted years of
/// all items in u.item, plus one last bucket for a missing release date).

#include <cstdint>
#include <filesystem>
#include <string>

#include "recsys/dataset.hpp"
#include "recsys/plugin.hpp"

namespace recsys::movielens {

/// `[dataset]` table of the movielens plugin.
struct MovieLensOptions {
  std::string variant = "100k";             ///< only "100k" for now
  std::filesystem::path data_dir;  ///< default $RECSYS_DATA_DIR/ml-100k, or data/ml-100k without it
  double positive_threshold = 4.0;          ///< rating >= threshold is a positive

  /// Reads the table; throws ConfigError for a bad value or a missing data directory/file.
  static MovieLensOptions from_config(const Config& config);
};

/// Reads u.data, u.user and u.item from `options.data_dir`. Throws DataError naming the
/// file and line of a malformed record.
InteractionData load_movielens_100k(const MovieLensOptions& options);

class MovieLensDataset final : public Dataset {
 public:
  explicit MovieLensDataset(const PluginArgs& args);
  InteractionData load() override;

 private:
  MovieLensOptions options_;
};

}  // namespace recsys::movielens
