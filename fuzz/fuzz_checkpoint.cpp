// Fuzzes the checkpoint reader (core/src/checkpoint.cpp, load_checkpoint) into a small fixed
// model and its SGD optimizer: for any file it must load or throw, never crash or read out of
// bounds. Our code parses the entries around libtorch's archive (format, progress, config,
// model_names and the weights they name, their SHA-256, the optimizer and generator state), so
// the input is a recipe (archive_recipe.hpp) of those entries (with RECSYS_FUZZ_RAW_ARCHIVES,
// also whole archive files). RECSYS_FUZZ_WRITE_SEEDS=DIR checks that a checkpoint of
// serialize_checkpoint's own loads and writes the recipes of its entries (with and without the
// optimizer's) into DIR, then exits.
//
// Accepted outcomes: success, CheckpointError, and c10::Error (libtorch refusing a value it
// reads for us: the optimizer's or the generator's state). Any other exception is a finding.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/sgd.h>

#include "archive_recipe.hpp"
#include "fuzz_support.hpp"
#include "recsys/core/checkpoint.hpp"

namespace {

namespace fs = std::filesystem;
using recsys::fuzz::RecipeWriter;

struct SmallModel : torch::nn::Module {
  SmallModel() {
    register_module("fc", fc);
    register_module("emb", emb);
    register_buffer("scale", torch::ones({2}));
  }
  torch::nn::Linear fc{3, 2};
  torch::nn::Embedding emb{4, 2};
};

struct Subject {
  SmallModel model;
  torch::optim::SGD optimizer{model.parameters(), torch::optim::SGDOptions(0.1).momentum(0.9)};
};

Subject& subject() {
  static Subject s;
  return s;
}

const std::vector<std::string>& checkpoint_keys() {
  static const std::vector<std::string> keys = {
      "format",     "config",         "epoch",         "best_epoch", "best_value", "without_improvement",
      "next_batch", "epoch_loss_sum", "epoch_samples", "rng_cpu",    "model",      "model_names",
      "optimizer",  "model_sha256",   "fc/weight",     "fc/bias",    "emb/weight", "scale"};
  return keys;
}

void write_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  Subject& s = subject();
  // One step, so that the optimizer has momentum buffers to save.
  s.model.fc->forward(torch::ones({1, 3})).sum().backward();
  s.optimizer.step();
  recsys::core::TrainingProgress progress;
  progress.epoch = 3;
  const fs::path file = recsys::fuzz::scratch_dir() / "valid_checkpoint.pt";
  recsys::fuzz::write_file(
      file, recsys::core::serialize_checkpoint(s.model, &s.optimizer, progress, "[training]\nepochs = 3\n"));
  recsys::core::load_checkpoint(file, s.model, &s.optimizer, true);  // throws if it does not load
  torch::serialize::InputArchive archive;
  archive.load_from(file.string());
  for (const auto& [name, skip] : {std::pair<std::string, std::vector<std::string>>{"valid_checkpoint.recipe", {}},
                                   {"no_optimizer.recipe", {"optimizer"}}}) {
    RecipeWriter recipe(checkpoint_keys());
    recsys::fuzz::write_recipe_of(archive, recipe, skip);
    recsys::fuzz::write_file(dir / name, recipe.bytes());
  }
  if (std::getenv("RECSYS_FUZZ_RAW_ARCHIVES")) fs::copy_file(file, dir / "valid_checkpoint.pt");
}

void load(const fs::path& file, torch::optim::Optimizer* optimizer, std::string* config) {
  try {
    recsys::core::load_checkpoint(file, subject().model, optimizer, true, config);
    if (recsys::fuzz::verbose()) std::fprintf(stderr, "loaded\n");
  } catch (const recsys::core::CheckpointError& e) {
    if (recsys::fuzz::verbose()) std::fprintf(stderr, "CheckpointError: %s\n", e.what());
  } catch (const c10::Error& e) {
    if (recsys::fuzz::verbose()) std::fprintf(stderr, "c10::Error: %.300s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "load_checkpoint let %s escape: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // load_checkpoint warns about NaN weights
  if (const char* dir = std::getenv("RECSYS_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  subject();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path file = recsys::fuzz::scratch_dir() / "checkpoint.pt";
  if (recsys::fuzz::raw_archive(data, size)) {
    recsys::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));
  } else {
    torch::serialize::OutputArchive archive;
    recsys::fuzz::build_archive(data, size, checkpoint_keys(), archive);
    archive.save_to(file.string());
  }
  std::string config;
  load(file, &subject().optimizer, &config);  // every part
  load(file, nullptr, nullptr);               // the generator state even when the optimizer's is bad
  return 0;
}
