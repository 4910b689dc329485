// Loading speed of the movielens plugin on a generated 25-million-row ratings.csv (the
// size of ml-25m): the first load parses the CSV, the second reads the binary cache. Prints
// seconds and peak resident memory. Goal: under 10 s and 2 GB parsing, under 1 s from cache.
//
//   build/bin/recsys-bench-load [DIR] [ROWS]     (default /tmp/recsys-bench-ml-25m, 25000000)
// The files are generated once into DIR/ml-25m (about 700 MB, `recsys-bench-generate planted`'s
// MovieLens layout) and reused; the parsed cache
// goes to ${XDG_CACHE_HOME:-~/.cache}/recsys/parsed (set XDG_CACHE_HOME to keep it elsewhere).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include <spdlog/spdlog.h>

#include "generate_planted.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"

namespace fs = std::filesystem;

namespace {

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? argv[1] : "/tmp/recsys-bench-ml-25m";
  const std::int64_t rows = argc > 2 ? std::stoll(argv[2]) : 25000000;
  const fs::path dir = root / "ml-25m";
  if (!fs::exists(dir / "ratings.csv")) {
    std::printf("generating %lld ratings into %s ...\n", static_cast<long long>(rows), dir.c_str());
    recsys_bench::PlantedOptions options;
    options.dir = root.string();
    options.rows = rows;
    recsys_bench::planted(options);  // the scale tests' one generator (recsys-bench-generate planted)
  }
  spdlog::set_level(spdlog::level::warn);
  recsys::core::PluginRegistry registry;
  for (const auto& d : recsys::core::default_plugin_directories()) registry.scan_directory(d);
  auto load = [&](bool cache, const char* label) {
    const auto config =
        recsys::core::PipelineConfig::parse("[d]\nvariant = \"25m\"\ncache = " + std::string(cache ? "true" : "false") +
                                                "\ndata_dir = \"" + dir.string() + "\"\n",
                                            "bench");
    const auto start = std::chrono::steady_clock::now();
    const auto data = registry.create<recsys::PluginKind::dataset>("movielens", config.section("d"))->load();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-34s %7.2f s  peak RSS %7.0f MB  (%lld positives, %lld users, %lld items)\n", label, seconds,
                peak_rss_mb(), static_cast<long long>(data.num_interactions()),
                static_cast<long long>(data.schema.user.num_ids), static_cast<long long>(data.schema.item.num_ids));
  };
  load(false, "first load (parse, no cache)");
  load(true, "parse and write the cache");
  load(true, "load from the cache");
  return 0;
}
