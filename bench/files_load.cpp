// Loading speed and memory of the files plugin on the files of `recsys-bench-generate scale`
// (a 25M-row interactions TSV with string ids and two context columns, a users file, an items
// file whose tags field holds about 10 values per item). Prints the load's seconds, the fit's,
// the peak resident memory and the tags field's size. Goal (issue 19): first load under 10 s
// and 2 GB on 2 cores.
//
//   build/bin/recsys-bench-generate scale /tmp/recsys-bench-files
//   build/bin/recsys-bench-files-load /tmp/recsys-bench-files
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include <torch/torch.h>

#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp/recsys-bench-files";
  recsys::core::PluginRegistry registry;
  for (const auto& directory : recsys::core::default_plugin_directories()) registry.scan_directory(directory);
  const auto config = recsys::core::PipelineConfig::parse(
      "[dataset]\nplugin = \"files\"\ndata_dir = \"" + dir +
          "\"\ninteractions = \"interactions.tsv\"\nusers = \"users.tsv\"\nitems = \"items.tsv\"\n"
          "[dataset.columns.device]\nrole = \"context\"\n[dataset.columns.hour]\nrole = \"context\"\n"
          "[dataset.columns.age]\nkind = \"numeric\"\n[dataset.columns.country]\nrole = \"feature\"\n"
          "[dataset.columns.brand]\nrole = \"feature\"\n[dataset.columns.tags]\nkind = \"multi_categorical\"\n"
          "separator = \"|\"\n",
      "bench.toml");
  const auto dataset = registry.create<recsys::PluginKind::dataset>("files", config.section("dataset"));
  auto start = std::chrono::steady_clock::now();
  recsys::InteractionData data = dataset->load();
  const double load = seconds_since(start);
  start = std::chrono::steady_clock::now();
  const auto n = data.num_interactions();
  dataset->fit_on_training_split(data, torch::arange(n * 8 / 10, torch::kInt64));
  const double fit = seconds_since(start);
  std::printf(
      "rows %lld, users %lld, items %lld; load %.2f s, fit %.2f s, peak RSS %.0f MB; tags: %lld values on %lld "
      "items\n",
      static_cast<long long>(n), static_cast<long long>(data.schema.user.num_ids),
      static_cast<long long>(data.schema.item.num_ids), load, fit, peak_rss_mb(),
      static_cast<long long>(data.item_features.multi_categorical.at(0).values.numel()),
      static_cast<long long>(data.schema.item.num_ids));
  return 0;
}
