// Fuzzes the files plugin's parsed-data cache reader (plugins/dataset/files/cache.cpp,
// read_cache_file): it must return the data or nothing for any file, never crash, throw or read
// out of bounds; what it returns must hang together (a title per item, tables of one row per id).
//
// Input: u16 LE length L, L bytes of the raw region (the mapped tensors' bytes,
// mapped_archive.hpp), then a recipe (archive_recipe.hpp) over the keys write_cache_file writes
// and their ".raw" descriptors; the file is the raw region and the recipe's archive in the
// mapped layout.
// RECSYS_FUZZ_WRITE_SEEDS=DIR checks that a cache of write_cache_file's own reads back and
// writes the recipe of its entries into DIR, then exits.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "archive_recipe.hpp"
#include "cache.hpp"
#include "fuzz_support.hpp"
#include "mapped_archive.hpp"

namespace {

namespace fs = std::filesystem;
using recsys::fuzz::RecipeWriter;

const std::string kKey = "fuzz: /data/shop/clicks.csv:1:2";

/// Every key write_cache_file writes for the small data below.
const std::vector<std::string>& cache_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k{"format",
                               "key",
                               "user_id",
                               "item_id",
                               "rating",
                               "timestamp",
                               "flags",
                               "label",
                               "split",
                               "user_original_id.bytes",
                               "user_original_id.lengths",
                               "item_original_id.bytes",
                               "item_original_id.lengths",
                               "item_title.bytes",
                               "item_title.lengths"};
    for (const std::string side : {"users.", "items.", "context."}) {
      for (const char* name :
           {"continuous", "categorical", "missing", "continuous_names.bytes", "continuous_names.lengths",
            "categorical_names.bytes", "categorical_names.lengths", "cardinalities", "multi_names.bytes",
            "multi_names.lengths", "multi_cardinalities", "multi_pooling", "multi0.values", "multi0.offsets",
            "values0.bytes", "values0.lengths"}) {
        k.push_back(side + name);
      }
    }
    const std::size_t plain = k.size();
    for (std::size_t i = 2; i < plain; ++i) k.push_back(k[i] + ".raw");
    return k;
  }();
  return keys;
}

torch::Tensor ints(std::vector<std::int64_t> values) {
  return torch::tensor(values, torch::kInt64);
}

/// Two users, three items (a multi-valued tags field), three labelled interactions with a
/// categorical context field.
recsys::files::Parsed small_parse() {
  recsys::files::Parsed p;
  auto& d = p.data;
  d.user_id = ints({0, 1, 1});
  d.item_id = ints({0, 1, 2});
  d.rating = torch::ones({3});
  d.timestamp = ints({100, 101, 102});
  d.label = torch::tensor({1.0f, 0.0f, 1.0f});
  d.user_original_id = {"u1", "u2"};
  d.item_original_id = {"a", "b", "c"};
  d.item_title = {"Shoe", "", "Hat"};
  p.users.features = {torch::tensor({30.0f, 0.0f}).view({2, 1}), torch::zeros({2, 0}, torch::kInt64), {}};
  p.users.schema.continuous_dim = 1;
  p.users.schema.continuous_names = {"age"};
  p.users.missing = torch::tensor({false, true}).view({2, 1});
  p.items.features = {
      torch::zeros({3, 0}), torch::zeros({3, 0}, torch::kInt64), {{ints({2, 3, 0, 2}), ints({0, 2, 3, 4})}}};
  p.items.schema.multi_categorical = {{"tags", 4, recsys::Pooling::mean}};
  p.items.missing = torch::zeros({3, 0}, torch::kBool);
  p.context.features = {torch::zeros({3, 0}), ints({2, 3, 0}).view({3, 1}), {}};
  p.context.schema.categorical = {{"hour", 4}};
  p.context.values = {{"", "<out of vocabulary>", "8", "9"}};
  p.context.missing = torch::zeros({3, 0}, torch::kBool);
  return p;
}

void write_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  for (const std::int64_t min_raw : {1, 1 << 30}) {  // every tensor raw; none
    const fs::path file = recsys::fuzz::scratch_dir() / "valid_cache.pt";
    recsys::files::write_cache_file(file, kKey, small_parse(), min_raw);
    if (!recsys::files::read_cache_file(file, kKey)) {
      std::fprintf(stderr, "fuzz_files_cache: the seed cache does not read back\n");
      std::exit(1);
    }
    recsys::files::MappedArchiveReader reader(file);
    const std::string raw = reader.raw_bytes();
    const auto length = static_cast<std::uint16_t>(raw.size());
    RecipeWriter recipe(cache_keys());
    recipe.append(std::string(reinterpret_cast<const char*>(&length), sizeof length) + raw.substr(0, length));
    recsys::fuzz::write_recipe_of(reader.archive(), recipe);
    recsys::fuzz::write_file(dir / (min_raw == 1 ? "raw_columns.recipe" : "archive_only.recipe"), recipe.bytes());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(recsys::fuzz::verbose() ? spdlog::level::info : spdlog::level::off);
  if (const char* dir = std::getenv("RECSYS_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path file = recsys::fuzz::scratch_dir() / "cache.pt";
  std::uint16_t length = 0;
  std::memcpy(&length, data, std::min(size, sizeof length));
  const std::size_t raw = std::min<std::size_t>(length, size - std::min(size, sizeof length));
  const std::size_t recipe = std::min(size, sizeof length) + raw;
  torch::serialize::OutputArchive archive;
  recsys::fuzz::build_archive(data + recipe, size - recipe, cache_keys(), archive);
  recsys::files::write_mapped_file(file, std::string(reinterpret_cast<const char*>(data) + recipe - raw, raw), archive);
  auto read = recsys::files::read_cache_file(file, kKey);
  if (recsys::fuzz::verbose()) std::fprintf(stderr, "%s\n", read ? "read" : "ignored");
  if (read) {
    recsys::fuzz::check(
        read->users.features.categorical.size(0) == static_cast<std::int64_t>(read->data.user_original_id.size()),
        "a user row per user");
  }
  return 0;
}
