#pragma once
/// @file
/// Checks every model plugin must pass, and the MovieLens 100k schema written out by hand
/// (so parameter counts can be worked out from it without the data).

#include <memory>
#include <string>
#include <vector>

#include "recsys/conformance_gtest.hpp"
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

class ModelFactory;
/// The [model] table to build `name` on `rich_synthetic_schema()`: empty, or for a model that
/// refuses context fields (it throws a ConfigError saying so), one that excludes them.
std::string table_for_rich_schema(ModelFactory& factory, const std::string& name, const FeatureSchema& rich);

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

}  // namespace recsys::test

/// Defines fixture `Suite` (a ModelFactory for plugin library `target` and the ml-100k
/// schema) and the SDK's conformance suite for the model with its default options (logits
/// [B] finite in train and eval mode, a gradient for every parameter, a save/load round trip),
/// on the ml-100k schema, on the suite's synthetic one and on the one with every kind of
/// feature (multi-valued, vector, context; context excluded for a model that refuses it).
#define RECSYS_MODEL_BASIC_TESTS(Suite, target, name)                                                                  \
  class Suite : public ::testing::Test {                                                                               \
   protected:                                                                                                          \
    std::shared_ptr<::recsys::Model> make(const std::string& table = "") { return factory.make(name, table, schema); } \
    ::recsys::test::ModelFactory factory{target};                                                                      \
    ::recsys::FeatureSchema schema = ::recsys::test::movielens_100k_schema();                                          \
  };                                                                                                                   \
  TEST_F(Suite, ConformsOnTheMovieLensSchema) {                                                                        \
    RECSYS_EXPECT_CONFORMS(::recsys::conformance::check_model([&] { return make(); }, schema));                        \
  }                                                                                                                    \
  TEST_F(Suite, ConformsOnTheSyntheticSchema) {                                                                        \
    const auto synthetic = ::recsys::conformance::synthetic_schema();                                                  \
    RECSYS_EXPECT_CONFORMS(                                                                                            \
        ::recsys::conformance::check_model([&] { return factory.make(name, "", synthetic); }, synthetic));             \
  }                                                                                                                    \
  TEST_F(Suite, ConformsOnEveryKindOfFeature) {                                                                        \
    const auto rich = ::recsys::conformance::rich_synthetic_schema();                                                  \
    const std::string table = ::recsys::test::table_for_rich_schema(factory, name, rich);                              \
    RECSYS_EXPECT_CONFORMS(::recsys::conformance::check_model([&] { return factory.make(name, table, rich); }, rich)); \
  }
