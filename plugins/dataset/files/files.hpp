#pragma once
/// @file
/// The `files` dataset: the user's own interaction, user and item files (CSV, TSV or RecBole
/// atomic files; plain or gzip), typed by their headers or by `[dataset.columns.<name>]`.
/// docs/config.md lists every key; docs/your-data.md walks through them.

#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include "files_options.hpp"
#include "recsys/plugin.hpp"

namespace recsys::files {

struct LoadState;

class FilesDataset final : public Dataset {
 public:
  explicit FilesDataset(const PluginArgs& args);
  ~FilesDataset() override;
  InteractionData load() override;
  void fit_on_training_split(InteractionData& data, const torch::Tensor& train_rows) override;

 private:
  FilesOptions options_;
  std::unique_ptr<LoadState> state_;        // what load() leaves for the fit: missing values
  std::shared_future<void> cache_written_;  // the background write of the parsed cache
};

}  // namespace recsys::files
