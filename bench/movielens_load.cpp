// Loading speed of the movielens plugin on a generated 25-million-row ratings.csv (the
// size of ml-25m): the first load parses the CSV, the second reads the binary cache. Prints
// seconds and peak resident memory. Goal: under 10 s and 2 GB parsing, under 1 s from cache.
//
//   build/bin/recsys-bench-load [DIR] [ROWS]     (default /tmp/recsys-bench-ml-25m, 25000000)
// The files are generated once into DIR/ml-25m (about 700 MB) and reused; the parsed cache
// goes to ${XDG_CACHE_HOME:-~/.cache}/recsys/parsed (set XDG_CACHE_HOME to keep it elsewhere).
#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <spdlog/spdlog.h>

#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/plugin_registry.hpp"

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kUsers = 162541, kMovies = 59047;  // ml-25m's counts

void generate(const fs::path& dir, std::int64_t rows) {
  fs::create_directories(dir);
  {
    std::ofstream movies(dir / "movies.csv");
    movies << "movieId,title,genres\n";
    const char* genres[] = {"Action", "Comedy", "Drama", "Romance|Drama", "Sci-Fi|Thriller", "(no genres listed)"};
    for (std::int64_t m = 1; m <= kMovies; ++m) {
      movies << m << ",\"Movie " << m << ", The (" << 1900 + m % 120 << ")\"," << genres[m % 6] << "\n";
    }
  }
  std::mt19937_64 rng(7);
  std::FILE* out = std::fopen((dir / "ratings.csv").c_str(), "wb");
  std::fputs("userId,movieId,rating,timestamp\n", out);
  std::string buffer;
  buffer.reserve(1 << 22);
  char number[32];
  for (std::int64_t r = 0; r < rows; ++r) {
    auto put = [&](std::int64_t v) {
      const auto end = std::to_chars(number, number + sizeof number, v).ptr;
      buffer.append(number, end);
    };
    put(static_cast<std::int64_t>(rng() % kUsers) + 1);
    buffer += ',';
    put(static_cast<std::int64_t>(rng() % kMovies) + 1);
    const int half_stars = static_cast<int>(rng() % 10) + 1;  // 0.5 .. 5.0
    buffer += ',';
    put(half_stars / 2);
    buffer += half_stars % 2 ? ".5," : ".0,";
    put(789652009 + static_cast<std::int64_t>(rng() % 900000000));
    buffer += '\n';
    if (buffer.size() > (1 << 22) - 64) {
      std::fwrite(buffer.data(), 1, buffer.size(), out);
      buffer.clear();
    }
  }
  std::fwrite(buffer.data(), 1, buffer.size(), out);
  std::fclose(out);
}

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
    generate(dir, rows);
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
