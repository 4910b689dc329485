#pragma once
/// @file
/// Checks every model plugin must pass, and the MovieLens 100k schema written out by hand
/// (so parameter counts can be worked out from it without the data).

#include <memory>
#include <string>
#include <vector>

#include "recsys/model.hpp"
#include "recsys/schema.hpp"
#include "test_support.hpp"

namespace recsys::test {

/// The schema the movielens plugin reports for ml-100k: 942 users with continuous [age,
/// gender] and categorical occupation (21) and zip_code (795); 1447 items with 19 genre flags
/// and year (72).
FeatureSchema movielens_100k_schema();

/// A batch of `size` random examples valid for `schema` (seeded).
Batch random_batch(const FeatureSchema& schema, std::int64_t size, std::uint64_t seed = 0);

std::int64_t count_parameters(const torch::nn::Module& model);

/// Builds model plugins from TOML tables through the host's loader, keeping the configs alive.
class ModelFactory {
 public:
  explicit ModelFactory(const std::string& target) : registry_(registry_with(target)) {}
  /// `table` is the body of [model]; throws what the plugin throws; checks unknown keys.
  std::shared_ptr<Model> make(const std::string& name, const std::string& table, const FeatureSchema& schema);

 private:
  core::PluginRegistry registry_;
  std::vector<std::unique_ptr<core::PipelineConfig>> configs_;
};

/// Output shape [B] and dtype float32, finite values, in train and eval mode.
void expect_logits_shape_and_finite(Model& model, const FeatureSchema& schema);
/// After one backward pass of MSE, every parameter has a gradient with a non-zero entry.
void expect_every_parameter_gets_a_gradient(Model& model, const FeatureSchema& schema);
/// Saving the state and loading it into `fresh` reproduces the outputs exactly (eval mode).
void expect_state_round_trip(Model& model, Model& fresh, const FeatureSchema& schema);

}  // namespace recsys::test

/// Defines fixture `Suite` (a ModelFactory for plugin library `target` and the ml-100k
/// schema) and the checks every model passes with its default options: logits [B] finite in
/// train and eval mode, a gradient for every parameter, and a save/load round trip.
#define RECSYS_MODEL_BASIC_TESTS(Suite, target, name)                                        \
  class Suite : public ::testing::Test {                                                     \
   protected:                                                                                \
    std::shared_ptr<::recsys::Model> make(const std::string& table = "") {                   \
      return factory.make(name, table, schema);                                              \
    }                                                                                        \
    ::recsys::test::ModelFactory factory{target};                                            \
    ::recsys::FeatureSchema schema = ::recsys::test::movielens_100k_schema();                \
  };                                                                                         \
  TEST_F(Suite, OutputIsOneFiniteLogitPerRow) {                                              \
    ::recsys::test::expect_logits_shape_and_finite(*make(), schema);                         \
  }                                                                                          \
  TEST_F(Suite, EveryParameterReceivesAGradient) {                                           \
    ::recsys::test::expect_every_parameter_gets_a_gradient(*make(), schema);                 \
  }                                                                                          \
  TEST_F(Suite, StateSurvivesASaveLoadRoundTrip) {                                           \
    auto model = make();                                                                     \
    auto fresh = make();                                                                     \
    ::recsys::test::expect_state_round_trip(*model, *fresh, schema);                         \
  }
