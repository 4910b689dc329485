#include "model_checks.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::test {

FeatureSchema movielens_100k_schema() {
  FeatureSchema s;
  s.user.num_ids = 942;
  s.user.continuous_dim = 2;
  s.user.continuous_names = {"age", "gender"};
  s.user.categorical = {{"occupation", 21}, {"zip_code", 795}};
  s.item.num_ids = 1447;
  s.item.continuous_dim = 19;
  s.item.continuous_names = {"unknown",     "action", "adventure", "animation", "childrens", "comedy",  "crime",
                             "documentary", "drama",  "fantasy",   "film_noir", "horror",    "musical", "mystery",
                             "romance",     "sci_fi", "thriller",  "war",       "western"};
  s.item.categorical = {{"year", 72}};
  return s;
}

Batch random_batch(const FeatureSchema& s, std::int64_t size, std::uint64_t seed) {
  return conformance::random_batch(s, size, seed);
}

std::int64_t count_parameters(const torch::nn::Module& model) {
  std::int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

std::string table_for_rich_schema(ModelFactory& factory, const std::string& name, const FeatureSchema& rich) {
  try {
    factory.make(name, "", rich);
    return "";
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find("is a context field") == std::string::npos) throw;
    return "exclude_fields = [\"device\", \"hour\"]\n";
  }
}

std::shared_ptr<Model> ModelFactory::make(const std::string& name, const std::string& table,
                                          const FeatureSchema& schema) {
  configs_.push_back(std::make_unique<core::PipelineConfig>(parse_config("[model]\n" + table)));
  const Config& section = configs_.back()->section("model");
  torch::manual_seed(7);
  auto model = registry_.create<PluginKind::model>(name, section, &schema);
  section.check_unknown_keys();
  return model;
}

}  // namespace recsys::test
