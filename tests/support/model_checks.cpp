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

void expect_logits_shape_and_finite(Model& model, const FeatureSchema& schema) {
  const Batch batch = random_batch(schema, 33);
  for (bool training : {true, false}) {
    model.train(training);
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = model.forward(batch);
    EXPECT_EQ(logits.sizes(), torch::IntArrayRef({33})) << "training=" << training;
    EXPECT_EQ(logits.dtype(), torch::kFloat32);
    EXPECT_TRUE(torch::isfinite(logits).all().item<bool>()) << "training=" << training;
  }
  model.train();
}

void expect_every_parameter_gets_a_gradient(Model& model, const FeatureSchema& schema) {
  model.train();
  model.zero_grad();
  // Large enough that every categorical code of a small schema appears.
  const Batch batch = random_batch(schema, 512, 1);
  torch::mse_loss(model.forward(batch), batch.label).backward();
  for (const auto& p : model.named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key();
  }
}

void expect_state_round_trip(Model& model, Model& fresh, const FeatureSchema& schema) {
  std::stringstream buffer;
  {
    torch::serialize::OutputArchive archive;
    model.save(archive);
    archive.save_to(buffer);
  }
  torch::serialize::InputArchive archive;
  archive.load_from(buffer);
  fresh.load(archive);
  model.eval();
  fresh.eval();
  torch::NoGradGuard no_grad;
  const Batch batch = random_batch(schema, 64, 2);
  EXPECT_TRUE(torch::equal(model.forward(batch), fresh.forward(batch)));
  model.train();
  fresh.train();
}

}  // namespace recsys::test
