// Fuzzes the parsed-data cache reader (plugins/dataset/movielens/cache.cpp, read_cache): it
// must return the data or nothing for any file, never crash, throw or read out of bounds.
//
// Input: a recipe (archive_recipe.hpp) over the keys write_cache writes (with
// RECSYS_FUZZ_RAW_ARCHIVES, also whole archive files). RECSYS_FUZZ_WRITE_SEEDS=DIR checks that
// a cache of write_cache's own reads back and writes the recipe of its entries into DIR, then
// exits.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "archive_recipe.hpp"
#include "cache.hpp"
#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;
using recsys::fuzz::RecipeWriter;

/// The key every cache of this target is written and read with.
const std::string kKey = "fuzz: /data/ml-100k/u.data:1:2;";

const std::vector<std::string>& cache_keys() {
  static const std::vector<std::string> keys = {"format",
                                                "user_id",
                                                "item_id",
                                                "rating",
                                                "timestamp",
                                                "user_continuous",
                                                "user_categorical",
                                                "item_continuous",
                                                "item_categorical",
                                                "user_original_id",
                                                "item_original_id",
                                                "item_title",
                                                "labelled",
                                                "label",
                                                "user_num_ids",
                                                "user_continuous_dim",
                                                "user_continuous_names",
                                                "user_categorical_names",
                                                "user_cardinalities",
                                                "item_num_ids",
                                                "item_continuous_dim",
                                                "item_continuous_names",
                                                "item_categorical_names",
                                                "item_cardinalities"};
  return keys;
}

torch::Tensor ints(std::vector<std::int64_t> values) {
  return torch::tensor(values, torch::kInt64);
}

/// Two users, three items, three interactions; users have one continuous and one categorical
/// feature, items two genres.
recsys::InteractionData small_data() {
  recsys::InteractionData d;
  d.user_id = ints({0, 1, 1});
  d.item_id = ints({0, 1, 2});
  d.rating = torch::tensor({4.0f, 5.0f, 4.5f});
  d.timestamp = ints({100, 101, 102});
  d.schema.user = {2, 1, {"age"}, {{"gender", 2}}};
  d.schema.item = {3, 2, {"drama", "comedy"}, {}};
  d.user_features = {torch::tensor({0.24f, 0.53f}).reshape({2, 1}), ints({0, 1}).reshape({2, 1})};
  d.item_features = {torch::zeros({3, 2}), torch::zeros({3, 0}, torch::kInt64)};
  d.user_original_id = {"1", "2"};
  d.item_original_id = {"10", "20", "267"};
  d.item_title = {"Toy Story (1995)", "Caf\xc3\xa9 (1993)", ""};
  return d;
}

/// A valid cache of write_cache's own, read back, and the recipe of its entries; the file
/// itself joins the seeds only for RECSYS_FUZZ_RAW_ARCHIVES.
void write_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path file = recsys::fuzz::scratch_dir() / "valid_cache.pt";
  recsys::movielens::write_cache(file, kKey, small_data());
  if (!recsys::movielens::read_cache(file, kKey)) {
    std::fprintf(stderr, "fuzz_movielens_cache: the seed cache does not read back\n");
    std::exit(1);
  }
  torch::serialize::InputArchive archive;
  archive.load_from(file.string());
  RecipeWriter recipe(cache_keys());
  recsys::fuzz::write_recipe_of(archive, recipe);
  recsys::fuzz::write_file(dir / "valid_cache.recipe", recipe.bytes());
  if (std::getenv("RECSYS_FUZZ_RAW_ARCHIVES")) fs::copy_file(file, dir / "valid_cache.pt");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // read_cache logs every file it ignores (and why: shown with RECSYS_FUZZ_VERBOSE).
  spdlog::set_level(recsys::fuzz::verbose() ? spdlog::level::info : spdlog::level::off);
  if (const char* dir = std::getenv("RECSYS_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path file = recsys::fuzz::scratch_dir() / "cache.pt";
  if (recsys::fuzz::raw_archive(data, size)) {
    recsys::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));
  } else {
    torch::serialize::OutputArchive archive;
    recsys::fuzz::build_archive(data, size, cache_keys(), archive);
    archive.save_to(file.string());
  }
  // read_cache catches what it throws itself: nothing may escape it.
  auto read = recsys::movielens::read_cache(file, kKey);
  if (recsys::fuzz::verbose()) std::fprintf(stderr, "%s\n", read ? "read" : "ignored");
  if (read) {
    recsys::fuzz::check(read->item_title.size() == read->item_original_id.size(), "a title per item");
  }
  return 0;
}
