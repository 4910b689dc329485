#include "model_checks.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include <torch/torch.h>

namespace recsys::test {

FeatureSchema movielens_100k_schema() {
  FeatureSchema s;
  s.user.num_ids = 942;
  s.user.continuous_dim = 2;
  s.user.continuous_names = {"age", "gender"};
  s.user.categorical = {{"occupation", 21}, {"zip_code", 795}};
  s.item.num_ids = 1447;
  s.item.continuous_dim = 19;
  s.item.continuous_names = {"unknown", "action", "adventure", "animation", "childrens", "comedy", "crime",
                             "documentary", "drama", "fantasy", "film_noir", "horror", "musical", "mystery",
                             "romance", "sci_fi", "thriller", "war", "western"};
  s.item.categorical = {{"year", 72}};
  return s;
}

Batch random_batch(const FeatureSchema& s, std::int64_t size, std::uint64_t seed) {
  auto g = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto codes = [&](const SideSchema& side) {
    std::vector<torch::Tensor> columns;
    for (const auto& field : side.categorical) columns.push_back(torch::randint(field.cardinality, {size}, g, torch::kInt64));
    return columns.empty() ? torch::zeros({size, 0}, torch::kInt64) : torch::stack(columns, 1);
  };
  Batch b;
  b.user_id = torch::randint(s.user.num_ids, {size}, g, torch::kInt64);
  b.item_id = torch::randint(s.item.num_ids, {size}, g, torch::kInt64);
  b.label = torch::randint(2, {size}, g, torch::kInt64).to(torch::kFloat32);
  b.user_continuous = torch::rand({size, s.user.continuous_dim}, g);
  b.item_continuous = torch::rand({size, s.item.continuous_dim}, g);
  b.user_categorical = codes(s.user);
  b.item_categorical = codes(s.item);
  return b;
}

std::int64_t count_parameters(const torch::nn::Module& model) {
  std::int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
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
