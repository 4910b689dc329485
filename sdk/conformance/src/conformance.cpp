#include "recsys/conformance.hpp"

#include <cmath>
#include <sstream>
#include <tuple>
#include <utility>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace recsys::conformance {

namespace {

std::string shape(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// Runs `check`, turning any exception into a failure named `what`.
template <typename F>
void guarded(Failures& failures, const std::string& what, F check) {
  try {
    check();
  } catch (const std::exception& e) {
    const std::string message = e.what();
    failures.push_back(what + " threw: " + message.substr(0, message.find('\n')));
  }
}

}  // namespace

FeatureSchema synthetic_schema() {
  FeatureSchema s;
  s.user.num_ids = 50;
  s.user.continuous_dim = 2;
  s.user.continuous_names = {"age", "gender"};
  s.user.categorical = {{"occupation", 5}, {"zip_code", 7}};
  s.item.num_ids = 80;
  s.item.continuous_dim = 3;
  s.item.continuous_names = {"action", "comedy", "drama"};
  s.item.categorical = {{"year", 4}};
  return s;
}

FeatureSchema rich_synthetic_schema(bool context) {
  FeatureSchema s = synthetic_schema();
  s.user.multi_categorical = {{"tags", 6, Pooling::sum}};
  s.item.multi_categorical = {{"genres", 5, Pooling::mean}};
  s.item.continuous_dim += 4;
  for (int c = 0; c < 4; ++c) s.item.continuous_names.push_back("embedding");
  if (context) {
    s.context.categorical = {{"device", 3}};
    s.context.continuous_dim = 1;
    s.context.continuous_names = {"hour"};
  }
  return s;
}

namespace {

std::vector<JaggedCodes> random_multi(const SideSchema& side, std::int64_t size, at::Generator& g) {
  std::vector<JaggedCodes> fields;
  for (const auto& field : side.multi_categorical) {
    const torch::Tensor lengths = torch::randint(4, {size}, g, torch::kInt64);
    torch::Tensor offsets = torch::zeros({size + 1}, torch::kInt64);
    offsets.slice(0, 1).copy_(lengths.cumsum(0));
    const std::int64_t total = offsets[-1].item<std::int64_t>();
    fields.push_back({torch::randint(field.cardinality, {total}, g, torch::kInt64), offsets});
  }
  return fields;
}

}  // namespace

Batch random_batch(const FeatureSchema& s, std::int64_t size, std::uint64_t seed) {
  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto codes = [&](const SideSchema& side) {
    std::vector<torch::Tensor> columns;
    for (const auto& field : side.categorical)
      columns.push_back(torch::randint(field.cardinality, {size}, g, torch::kInt64));
    return columns.empty() ? torch::zeros({size, 0}, torch::kInt64) : torch::stack(columns, 1);
  };
  Batch b;
  b.user_id = torch::randint(s.user.num_ids, {size}, g, torch::kInt64);
  b.item_id = torch::randint(s.item.num_ids, {size}, g, torch::kInt64);
  b.label = torch::arange(size, torch::kInt64).remainder(2).to(torch::kFloat32);
  b.user_continuous = torch::rand({size, s.user.continuous_dim}, g);
  b.item_continuous = torch::rand({size, s.item.continuous_dim}, g);
  b.user_categorical = codes(s.user);
  b.item_categorical = codes(s.item);
  b.user_multi_categorical = random_multi(s.user, size, g);
  b.item_multi_categorical = random_multi(s.item, size, g);
  b.context_continuous = torch::rand({size, s.context.continuous_dim}, g);
  b.context_categorical = codes(s.context);
  return b;
}

Failures check_model(const std::function<std::shared_ptr<Model>()>& make, const FeatureSchema& schema) {
  Failures failures;
  guarded(failures, "model", [&] {
    std::shared_ptr<Model> model = make();
    const Batch batch = random_batch(schema, 37, 1);
    for (bool training : {true, false}) {
      model->train(training);
      torch::NoGradGuard no_grad;
      const torch::Tensor logits = model->forward(batch);
      const std::string mode = training ? " (train mode)" : " (eval mode)";
      if (logits.sizes() != torch::IntArrayRef({37})) {
        failures.push_back("logits have shape " + shape(logits) + ", expected [37]" + mode);
        return;
      }
      if (logits.scalar_type() != torch::kFloat32) failures.push_back("logits are not float32" + mode);
      if (!torch::isfinite(logits).all().item<bool>()) failures.push_back("logits are not all finite" + mode);
    }
    model->train();
    model->zero_grad();
    // Large enough that every categorical code of the synthetic schema appears.
    const Batch big = random_batch(schema, 1024, 2);
    torch::mse_loss(model->forward(big), big.label).backward();
    for (const auto& p : model->named_parameters()) {
      if (!p.value().grad().defined() || p.value().grad().abs().sum().item<double>() == 0.0) {
        failures.push_back("parameter '" + p.key() + "' receives no gradient");
      } else if (!torch::isfinite(p.value().grad()).all().item<bool>()) {
        failures.push_back("parameter '" + p.key() + "' has a non-finite gradient");
      }
    }
    std::shared_ptr<Model> fresh = make();
    std::stringstream buffer;
    torch::serialize::OutputArchive out;
    model->save(out);
    out.save_to(buffer);
    torch::serialize::InputArchive in;
    in.load_from(buffer);
    fresh->load(in);
    model->eval();
    fresh->eval();
    torch::NoGradGuard no_grad;
    if (!torch::equal(model->forward(batch), fresh->forward(batch))) {
      failures.push_back("a saved and reloaded state gives other outputs");
    }
  });
  return failures;
}

namespace {

/// The logits and batch a loss that scores the batch's positives against items takes: three
/// positives against each other (in_batch, one accidental hit) or against five items (catalogue).
std::pair<torch::Tensor, Batch> positives_against_items(LossScores scores) {
  Batch batch;
  batch.user_id = torch::tensor({0, 1, 2}, torch::kInt64);
  batch.item_id = torch::tensor({4, 1, 3}, torch::kInt64);
  batch.label = torch::ones({3});
  if (scores == LossScores::catalogue) return {torch::linspace(-1.0, 1.5, 15).view({3, 5}).clone(), batch};
  batch.log_q = torch::tensor({-1.0f, -2.0f, -0.5f});
  batch.accidental_hits = torch::zeros({3, 3}, torch::kBool);
  batch.accidental_hits[0][2] = true;
  return {torch::linspace(-1.5, 2.0, 9).view({3, 3}).clone(), batch};
}

}  // namespace

Failures check_loss(Loss& loss) {
  Failures failures;
  guarded(failures, "loss", [&] {
    // Ungrouped rows for a point-wise loss; for a grouped one, two groups of a positive and 2
    // negatives (with log q, as a non-uniform sampler gives).
    const bool grouped = loss.grouped();
    torch::Tensor logits = grouped ? torch::tensor({2.0f, -0.5f, 0.5f, -1.0f, 0.0f, 3.0f})
                                   : torch::tensor({-3.0f, -0.5f, 0.0f, 0.5f, 3.0f});
    Batch batch;
    batch.label =
        grouped ? torch::tensor({1.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f}) : torch::tensor({0.0f, 1.0f, 0.0f, 1.0f, 1.0f});
    batch.user_id = grouped ? torch::tensor({0, 0, 0, 1, 1, 1}, torch::kInt64) : torch::arange(5, torch::kInt64);
    batch.item_id = grouped ? torch::tensor({3, 1, 2, 4, 0, 3}, torch::kInt64) : torch::arange(5, torch::kInt64);
    batch.group_size = grouped ? 3 : 1;
    if (grouped) batch.log_q = torch::tensor({0.0f, -1.5f, -2.0f, 0.0f, -1.0f, -2.5f});
    if (loss.scores() != LossScores::rows) std::tie(logits, batch) = positives_against_items(loss.scores());
    logits.requires_grad_();
    torch::Tensor value = loss.forward(logits, batch);
    if (value.numel() != 1) {
      failures.push_back("the loss has shape " + shape(value) + ", expected a scalar");
      return;
    }
    if (!std::isfinite(value.item<double>())) failures.push_back("the loss is not finite");
    value.backward();
    if (!logits.grad().defined() || !torch::isfinite(logits.grad()).all().item<bool>()) {
      failures.push_back("the loss has no finite gradient with respect to the logits");
    }
  });
  return failures;
}

Failures check_metric(Metric& metric) {
  Failures failures;
  guarded(failures, "metric", [&] {
    // 4 lists of 6 rows, two relevant each, distinct scores.
    const torch::Tensor scores = torch::linspace(0.9, -0.4, 24).index_select(0, torch::randperm(24, torch::kInt64));
    const torch::Tensor labels = torch::tensor({1.f, 0.f, 1.f, 0.f, 0.f, 0.f}).repeat({4});
    const torch::Tensor groups = torch::arange(4, torch::kInt64).repeat_interleave(6);
    metric.reset();
    metric.update(scores, labels, groups);
    const double whole = metric.compute();
    if (!std::isfinite(whole)) failures.push_back("not finite on a case with both classes in every list");
    if (metric.compute() != whole) failures.push_back("two computes in a row differ");
    metric.reset();
    for (std::int64_t begin = 0; begin < 24; begin += 5) {
      const std::int64_t end = std::min<std::int64_t>(24, begin + 5);
      metric.update(scores.slice(0, begin, end), labels.slice(0, begin, end), groups.slice(0, begin, end));
    }
    const double streamed = metric.compute();
    if (std::abs(streamed - whole) > 1e-12) {
      failures.push_back("the value depends on how rows are split into updates (" + std::to_string(whole) + " vs " +
                         std::to_string(streamed) + ")");
    }
    metric.reset();
    metric.update(-scores, labels, groups);
    metric.reset();
    metric.update(scores, labels, groups);
    if (metric.compute() != whole) failures.push_back("reset() does not forget earlier updates");
  });
  return failures;
}

Failures check_metric_value(Metric& metric, const std::vector<float>& scores, const std::vector<float>& labels,
                            const std::vector<std::int64_t>& groups, double expected, double tolerance) {
  Failures failures;
  guarded(failures, "metric", [&] {
    metric.reset();
    metric.update(torch::tensor(scores), torch::tensor(labels), torch::tensor(groups, torch::kInt64));
    const double value = metric.compute();
    if (!(std::abs(value - expected) <= tolerance)) {
      failures.push_back("value " + std::to_string(value) + ", expected " + std::to_string(expected));
    }
  });
  return failures;
}

Failures check_sampler(Sampler& sampler) {
  Failures failures;
  guarded(failures, "sampler", [&] {
    // 6 users x 40 items; user u likes items u .. u+19 (half the catalogue).
    const torch::Tensor users = torch::arange(6, torch::kInt64).repeat_interleave(20);
    const torch::Tensor items = (users + torch::arange(20, torch::kInt64).repeat({6})).remainder(40);
    const PositiveSet positives(users, items, 6, 40);
    auto draw = [&](std::uint64_t seed) {
      at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
      return sampler.sample(users, items, positives, g);
    };
    const Examples a = draw(7), b = draw(7), c = draw(8);
    if (!torch::equal(a.user_id, b.user_id) || !torch::equal(a.item_id, b.item_id) || !torch::equal(a.label, b.label)) {
      failures.push_back("the same seed gives different examples");
    }
    // A sampler that draws nothing (no negatives) is deterministic whatever the seed.
    if (a.label.eq(0).any().item<bool>() && torch::equal(a.item_id, c.item_id)) {
      failures.push_back("another seed gives the same examples");
    }
    const torch::Tensor positive = a.label.eq(1), negative = a.label.eq(0);
    if (!(positive | negative).all().item<bool>()) failures.push_back("a label is neither 0 nor 1");
    if (positive.sum().item<std::int64_t>() != users.size(0))
      failures.push_back("not every positive is kept with label 1");
    const torch::Tensor leaked =
        positives.contains(a.user_id.masked_select(negative), a.item_id.masked_select(negative));
    if (leaked.any().item<bool>()) failures.push_back("a positive of the user is labelled 0");
    if (!a.row.defined() || a.row.sizes() != a.user_id.sizes() || a.row.scalar_type() != torch::kInt64) {
      failures.push_back("row is not int64 [N] (the index of each example's positive)");
    } else if (a.row.numel() > 0 &&
               (a.row.min().item<std::int64_t>() < 0 || a.row.max().item<std::int64_t>() >= users.size(0) ||
                !torch::equal(users.index_select(0, a.row), a.user_id))) {
      failures.push_back("row does not point at a positive of the example's user");
    }
  });
  return failures;
}

namespace {

/// The failures of one side's tables against its schema; `rows`: num_ids, or N for the context.
void check_side(const std::string& who, const SideSchema& side, const SideFeatures& f, std::int64_t rows,
                Failures& failures) {
  auto expect = [&](bool ok, const std::string& what) {
    if (!ok) failures.push_back(what);
  };
  expect(f.continuous.defined() && f.continuous.dim() == 2 && f.continuous.size(0) == rows &&
             f.continuous.size(1) == side.continuous_dim && f.continuous.scalar_type() == torch::kFloat32,
         who + " continuous features are not float32 [rows, continuous_dim]: " + shape(f.continuous));
  const auto k = static_cast<std::int64_t>(side.categorical.size());
  const bool categorical_ok = f.categorical.defined() && f.categorical.dim() == 2 && f.categorical.size(0) == rows &&
                              f.categorical.size(1) == k && f.categorical.scalar_type() == torch::kInt64;
  expect(categorical_ok, who + " categorical features are not int64 [rows, fields]: " + shape(f.categorical));
  for (std::int64_t j = 0; j < k && categorical_ok && rows > 0; ++j) {
    const torch::Tensor column = f.categorical.select(1, j);
    expect(
        column.min().item<std::int64_t>() >= 0 && column.max().item<std::int64_t>() < side.categorical[j].cardinality,
        who + " field '" + side.categorical[j].name + "' has a code outside its cardinality");
  }
  expect(f.multi_categorical.size() == side.multi_categorical.size(),
         who + " has " + std::to_string(f.multi_categorical.size()) + " multi-valued tables for " +
             std::to_string(side.multi_categorical.size()) + " fields");
  for (std::size_t m = 0; m < std::min(f.multi_categorical.size(), side.multi_categorical.size()); ++m) {
    const JaggedCodes& field = f.multi_categorical[m];
    const std::string name = who + " field '" + side.multi_categorical[m].name + "'";
    const bool shaped = field.offsets.defined() && field.offsets.dim() == 1 && field.offsets.size(0) == rows + 1 &&
                        field.values.defined() && field.values.dim() == 1 &&
                        field.offsets.scalar_type() == torch::kInt64 && field.values.scalar_type() == torch::kInt64;
    expect(shaped, name + " is not int64 values [E] with int64 offsets [rows + 1]");
    if (!shaped) continue;
    expect(field.offsets[0].item<std::int64_t>() == 0 &&
               field.offsets[-1].item<std::int64_t>() == field.values.size(0) &&
               (rows == 0 || field.offsets.diff().ge(0).all().item<bool>()),
           name + " has offsets that do not run from 0 to E without decreasing");
    if (field.values.numel() > 0) {
      expect(field.values.min().item<std::int64_t>() >= 0 &&
                 field.values.max().item<std::int64_t>() < side.multi_categorical[m].cardinality,
             name + " has a code outside its cardinality");
    }
  }
  if (!side.continuous_names.empty()) {
    expect(static_cast<std::int64_t>(side.continuous_names.size()) == side.continuous_dim,
           who + " continuous_names do not match continuous_dim");
  }
}

}  // namespace

Failures check_dataset(Dataset& dataset) {
  Failures failures;
  guarded(failures, "dataset", [&] {
    const InteractionData d = dataset.load();
    auto expect = [&](bool ok, const std::string& what) {
      if (!ok) failures.push_back(what);
    };
    const std::int64_t n = d.user_id.size(0), users = d.schema.user.num_ids, items = d.schema.item.num_ids;
    expect(d.user_id.scalar_type() == torch::kInt64 && d.item_id.scalar_type() == torch::kInt64, "ids are not int64");
    expect(d.item_id.sizes() == d.user_id.sizes() && d.rating.sizes() == d.user_id.sizes() &&
               d.timestamp.sizes() == d.user_id.sizes(),
           "user_id, item_id, rating and timestamp differ in length");
    expect(n > 0, "no interactions");
    if (n > 0) {
      expect(d.user_id.min().item<std::int64_t>() >= 0 && d.user_id.max().item<std::int64_t>() < users,
             "a user id is outside [0, num_ids)");
      expect(d.item_id.min().item<std::int64_t>() >= 0 && d.item_id.max().item<std::int64_t>() < items,
             "an item id is outside [0, num_ids)");
    }
    if (d.labelled()) {
      expect(d.label.sizes() == d.user_id.sizes() && d.label.scalar_type() == torch::kFloat32,
             "label is not float32 [N]");
      expect(d.label.eq(0).logical_or(d.label.eq(1)).all().item<bool>(), "a label is neither 0 nor 1");
    }
    if (d.split.defined()) {
      expect(d.split.sizes() == d.user_id.sizes() && d.split.scalar_type() == torch::kInt64 &&
                 d.split.ge(0).logical_and(d.split.le(2)).all().item<bool>(),
             "split is not int64 [N] in {0, 1, 2}");
    }
    check_side("user", d.schema.user, d.user_features, users, failures);
    check_side("item", d.schema.item, d.item_features, items, failures);
    check_side("context", d.schema.context, d.context_features, n, failures);
    expect(d.schema.context.multi_categorical.empty(), "context has multi-valued fields (not in API 2.0)");
    expect(static_cast<std::int64_t>(d.user_original_id.size()) == users, "user_original_id does not map every user");
    expect(static_cast<std::int64_t>(d.item_original_id.size()) == items, "item_original_id does not map every item");
    expect(d.item_title.empty() || static_cast<std::int64_t>(d.item_title.size()) == items,
           "item_title is neither empty nor one per item");
  });
  return failures;
}

}  // namespace recsys::conformance
