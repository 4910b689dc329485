// Checkpoints: round trip of weights, optimizer and generator state; mismatches are errors.
#include <gtest/gtest.h>

#include <algorithm>

#include <torch/torch.h>

#include "recsys/core/checkpoint.hpp"
#include "recsys/core/files.hpp"
#include "recsys/core/model_summary.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

struct TwoLayers : torch::nn::Module {
  explicit TwoLayers(std::int64_t hidden) {
    first = register_module("first", torch::nn::Linear(4, hidden));
    second = register_module("second", torch::nn::Linear(hidden, 1));
  }
  torch::Tensor forward(const torch::Tensor& x) { return second(torch::relu(first(x))); }
  torch::nn::Linear first{nullptr}, second{nullptr};
};

TEST(CheckpointTest, RoundTripRestoresWeightsOptimizerProgressAndGenerator) {
  test::TempDir dir;
  torch::manual_seed(1);
  TwoLayers model(3);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(0.01));
  const torch::Tensor x = torch::randn({8, 4});
  model.forward(x).sum().backward();
  optimizer.step();
  write_file_atomically(dir.path() / "last.pt",
                        serialize_checkpoint(model, &optimizer, {5, 4, 0.75, 1}, "[training]\nepochs = 9\n"));
  const torch::Tensor next_random = torch::rand({3});  // drawn after the save

  torch::manual_seed(99);
  TwoLayers other(3);
  torch::optim::Adam other_optimizer(other.parameters(), torch::optim::AdamOptions(0.01));
  std::string config;
  const TrainingProgress p = load_checkpoint(dir.path() / "last.pt", other, &other_optimizer, true, &config);
  EXPECT_EQ(p.epoch, 5);
  EXPECT_EQ(p.best_epoch, 4);
  EXPECT_EQ(p.best_value, 0.75);
  EXPECT_EQ(p.without_improvement, 1);
  EXPECT_EQ(config, "[training]\nepochs = 9\n");
  EXPECT_TRUE(torch::equal(model.forward(x), other.forward(x)));
  EXPECT_TRUE(torch::equal(torch::rand({3}), next_random)) << "the default generator continues where it was";
  // The optimizer continues identically: one more identical step gives identical weights.
  for (auto* pair : {&model, &other}) pair->zero_grad();
  model.forward(x).sum().backward();
  other.forward(x).sum().backward();
  optimizer.step();
  other_optimizer.step();
  EXPECT_TRUE(torch::equal(model.first->weight, other.first->weight));
}

TEST(CheckpointTest, AnotherShapeOrArchitectureIsAnErrorListingTheParameters) {
  test::TempDir dir;
  TwoLayers model(3);
  write_file_atomically(dir.path() / "c.pt", serialize_checkpoint(model, nullptr, {}, ""));
  TwoLayers wider(5);
  try {
    load_checkpoint(dir.path() / "c.pt", wider, nullptr, false);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("shape differs: first.weight is [5, 4] in the model, [3, 4] in the checkpoint"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("second.weight"), std::string::npos) << message;
  }
  torch::nn::Linear single(4, 1);
  try {
    load_checkpoint(dir.path() / "c.pt", *single, nullptr, false);
    FAIL() << "expected CheckpointError";
  } catch (const CheckpointError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("missing in the checkpoint: weight"), std::string::npos) << message;
    EXPECT_NE(message.find("not in the model: first.weight"), std::string::npos) << message;
  }
}

TEST(CheckpointTest, AFileThatIsNoCheckpointIsAClearError) {
  test::TempDir dir;
  TwoLayers model(3);
  EXPECT_THROW(load_checkpoint(dir.write("junk.pt", "not a checkpoint"), model, nullptr, false), CheckpointError);
  EXPECT_THROW(load_checkpoint(dir.path() / "absent.pt", model, nullptr, false), CheckpointError);
}

/// `original` rewritten as a tool editing it would: every entry kept, the weight
/// `first.weight` [0, 0] set to `value` (the probe set one to 1e30, which loaded silently).
void write_tampered(const std::filesystem::path& original, const std::filesystem::path& out, TwoLayers& model,
                    float value) {
  torch::serialize::InputArchive in;
  in.load_from(original.string());
  torch::serialize::OutputArchive archive;
  for (const char* key : {"format", "config", "epoch", "best_epoch", "best_value", "without_improvement", "model_names",
                          "model_sha256"}) {
    c10::IValue v;
    ASSERT_TRUE(in.try_read(key, v)) << key;
    archive.write(key, v);
  }
  torch::Tensor rng;
  in.read("rng_cpu", rng);
  archive.write("rng_cpu", rng);
  torch::serialize::OutputArchive weights;
  {
    torch::NoGradGuard no_grad;
    model.first->weight[0][0] = value;
  }
  for (const auto& p : model.named_parameters()) {
    std::string key = p.key();
    std::replace(key.begin(), key.end(), '.', '/');
    weights.write(key, p.value().detach());
  }
  archive.write("model", weights);
  archive.save_to(out.string());
}

TEST(CheckpointTest, AWeightChangedAfterSavingIsRefused) {
  test::TempDir dir;
  torch::manual_seed(1);
  TwoLayers model(3);
  write_file_atomically(dir.path() / "c.pt", serialize_checkpoint(model, nullptr, {}, ""));
  TwoLayers loaded(3);
  EXPECT_NO_THROW(load_checkpoint(dir.path() / "c.pt", loaded, nullptr, false));
  write_tampered(dir.path() / "c.pt", dir.path() / "tampered.pt", model, 1e30f);
  try {
    load_checkpoint(dir.path() / "tampered.pt", loaded, nullptr, false);
    FAIL() << "a weight of 1e30 loaded";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("do not match the SHA-256 saved with them"), std::string::npos) << e.what();
  }
}

TEST(CheckpointTest, AFormatFromTheFutureIsAClearError) {
  test::TempDir dir;
  TwoLayers model(3);
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::int64_t{99}));
  archive.save_to((dir.path() / "future.pt").string());
  try {
    load_checkpoint(dir.path() / "future.pt", model, nullptr, false);
    FAIL() << "loaded";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("checkpoint format 99, this recsys reads 1 to 2"), std::string::npos)
        << e.what();
  }
}

TEST(ModelSummaryTest, CountsEveryParameterOnce) {
  TwoLayers model(3);
  const ParameterCount count = count_parameters(model);
  EXPECT_EQ(count.total, (4 * 3 + 3) + (3 + 1));  // 19
  EXPECT_EQ(count.trainable, 19);
  EXPECT_DOUBLE_EQ(count.megabytes, 19 * 4 / (1024.0 * 1024.0));
  const std::string summary = model_summary(model, "two_layers");
  EXPECT_NE(summary.find("first"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Linear"), std::string::npos) << summary;
  EXPECT_NE(summary.find("total parameters: 19"), std::string::npos) << summary;
}

}  // namespace
}  // namespace recsys::core
