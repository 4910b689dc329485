#include "recsys/core/sparse_optimizer.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include <torch/torch.h>

namespace recsys::core {

SparseRule parse_sparse_rule(const std::string& name) {
  if (name == "adagrad") return SparseRule::adagrad;
  if (name == "rowwise_adagrad") return SparseRule::rowwise_adagrad;
  if (name == "lazy_adam") return SparseRule::lazy_adam;
  throw std::invalid_argument("unknown sparse optimizer '" + name +
                              "' (available: adagrad, rowwise_adagrad, lazy_adam, or \"none\")");
}

const char* to_string(SparseRule rule) {
  switch (rule) {
    case SparseRule::adagrad:
      return "adagrad";
    case SparseRule::rowwise_adagrad:
      return "rowwise_adagrad";
    case SparseRule::lazy_adam:
      return "lazy_adam";
  }
  return "unknown";
}

SparseOptimizer::SparseOptimizer(std::vector<torch::Tensor> tables, SparseOptimizerOptions options)
    : tables_(std::move(tables)), options_(options) {
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& table : tables_) {
    TableState state;
    if (options_.rule == SparseRule::lazy_adam) {
      state.first = torch::zeros_like(table);
      state.second = torch::zeros_like(table);
    } else if (options_.rule == SparseRule::adagrad) {
      state.first = torch::full_like(table, options_.initial_accumulator_value);
    } else {
      state.first = torch::full({table.size(0)}, options_.initial_accumulator_value, table.options());
    }
    state_.push_back(std::move(state));
  }
}

void SparseOptimizer::zero_grad() {
  for (torch::Tensor& table : tables_) table.mutable_grad() = torch::Tensor();
}

void SparseOptimizer::step() {
  torch::NoGradGuard no_grad;
  for (std::size_t t = 0; t < tables_.size(); ++t) {
    torch::Tensor& table = tables_[t];
    const torch::Tensor grad = table.grad();
    if (!grad.defined()) continue;
    const bool cpu = table.is_cpu() && table.scalar_type() == torch::kFloat32 && table.is_contiguous();
    if (grad.is_sparse()) {
      if (cpu) {
        update_rows_cpu(table, state_[t], grad._indices()[0], grad._values());
      } else {
        // Duplicated rows (a user twice in the batch) summed, as the dense gradient holds them.
        const torch::Tensor g = grad.coalesce();
        update_rows(table, state_[t], g._indices()[0], g._values());
      }
    } else if (cpu) {
      update_rows_cpu(table, state_[t], torch::arange(table.size(0), torch::kInt64), grad);
    } else {
      update_rows(table, state_[t], torch::arange(table.size(0), torch::dtype(torch::kInt64).device(table.device())),
                  grad);
    }
  }
}

void SparseOptimizer::update_row(float* w, const float* g, float* first, float* second, std::int64_t d,
                                 double step) const {
  const SparseOptimizerOptions& o = options_;
  const auto lr = static_cast<float>(o.learning_rate), wd = static_cast<float>(o.weight_decay);
  const auto decayed = [&](std::int64_t k) { return g[k] + wd * w[k]; };
  if (o.rule == SparseRule::adagrad) {
    for (std::int64_t k = 0; k < d; ++k) {
      const float gk = decayed(k);
      first[k] += gk * gk;
      w[k] -= lr * gk / (std::sqrt(first[k]) + static_cast<float>(o.eps));
    }
  } else if (o.rule == SparseRule::rowwise_adagrad) {
    float squares = 0.0f;
    for (std::int64_t k = 0; k < d; ++k) squares += decayed(k) * decayed(k);
    first[0] += squares / static_cast<float>(d);
    const float scale = lr / (std::sqrt(first[0]) + static_cast<float>(o.eps));
    for (std::int64_t k = 0; k < d; ++k) w[k] -= scale * decayed(k);
  } else {
    const auto b1 = static_cast<float>(o.beta1), b2 = static_cast<float>(o.beta2);
    const auto step_size = static_cast<float>(o.learning_rate / (1.0 - std::pow(o.beta1, step)));
    const auto root_correction2 = static_cast<float>(std::sqrt(1.0 - std::pow(o.beta2, step)));
    for (std::int64_t k = 0; k < d; ++k) {
      const float gk = decayed(k);
      first[k] = b1 * first[k] + (1.0f - b1) * gk;
      second[k] = b2 * second[k] + (1.0f - b2) * gk * gk;
      w[k] -= step_size * first[k] / (std::sqrt(second[k]) / root_correction2 + static_cast<float>(o.adam_eps));
    }
  }
}

void SparseOptimizer::update_rows_cpu(torch::Tensor& table, TableState& state, const torch::Tensor& rows_in,
                                      const torch::Tensor& grad_in) {
  ++state.steps;
  const torch::Tensor rows = rows_in.contiguous(), grad = grad_in.contiguous();
  const std::int64_t n = rows.numel(), d = table.size(1);
  const std::int64_t* row = rows.data_ptr<std::int64_t>();
  const float* g = grad.data_ptr<float>();
  if (static_cast<std::int64_t>(slot_of_row_.size()) < table.size(0)) slot_of_row_.resize(table.size(0), -1);
  scratch_.assign(static_cast<std::size_t>(n * d), 0.0f);
  std::vector<std::int64_t> touched;
  touched.reserve(static_cast<std::size_t>(n));
  for (std::int64_t e = 0; e < n; ++e) {
    std::int64_t& slot = slot_of_row_[static_cast<std::size_t>(row[e])];
    if (slot < 0) {
      slot = static_cast<std::int64_t>(touched.size());
      touched.push_back(row[e]);
    }
    float* sum = scratch_.data() + slot * d;
    for (std::int64_t k = 0; k < d; ++k) sum[k] += g[e * d + k];
  }
  float* w = table.data_ptr<float>();
  float* first = state.first.data_ptr<float>();
  float* second = state.second.defined() ? state.second.data_ptr<float>() : nullptr;
  const std::int64_t state_width = options_.rule == SparseRule::rowwise_adagrad ? 1 : d;
  for (std::size_t s = 0; s < touched.size(); ++s) {
    const std::int64_t r = touched[s];
    // The rows are scattered over tables larger than the caches: fetch a few rows ahead.
    if (s + 8 < touched.size()) {
      const std::int64_t ahead = touched[s + 8];
      __builtin_prefetch(w + ahead * d, 1);
      __builtin_prefetch(first + ahead * state_width, 1);
      if (second) __builtin_prefetch(second + ahead * d, 1);
    }
    update_row(w + r * d, scratch_.data() + static_cast<std::int64_t>(s) * d, first + r * state_width,
               second ? second + r * d : nullptr, d, static_cast<double>(state.steps));
    slot_of_row_[static_cast<std::size_t>(r)] = -1;
  }
}

void SparseOptimizer::update_rows(torch::Tensor& table, TableState& state, const torch::Tensor& rows,
                                  torch::Tensor grad) {
  ++state.steps;
  const SparseOptimizerOptions& o = options_;
  torch::Tensor w = table.index_select(0, rows);
  if (o.weight_decay != 0.0) grad = grad + o.weight_decay * w;
  if (o.rule == SparseRule::adagrad) {
    const torch::Tensor s = state.first.index_select(0, rows).addcmul_(grad, grad);
    state.first.index_copy_(0, rows, s);
    w.addcdiv_(grad, s.sqrt().add_(o.eps), -o.learning_rate);
  } else if (o.rule == SparseRule::rowwise_adagrad) {
    const torch::Tensor a = state.first.index_select(0, rows).add_(grad.pow(2).mean(1));
    state.first.index_copy_(0, rows, a);
    w.addcdiv_(grad, a.sqrt().add_(o.eps).unsqueeze(1), -o.learning_rate);
  } else {
    const double t = static_cast<double>(state.steps);
    const double correction1 = 1.0 - std::pow(o.beta1, t), correction2 = 1.0 - std::pow(o.beta2, t);
    const torch::Tensor m = state.first.index_select(0, rows).mul_(o.beta1).add_(grad, 1.0 - o.beta1);
    const torch::Tensor v = state.second.index_select(0, rows).mul_(o.beta2).addcmul_(grad, grad, 1.0 - o.beta2);
    state.first.index_copy_(0, rows, m);
    state.second.index_copy_(0, rows, v);
    const torch::Tensor denominator = (v.sqrt() / std::sqrt(correction2)).add_(o.adam_eps);
    w.addcdiv_(m, denominator, -o.learning_rate / correction1);
  }
  table.index_copy_(0, rows, w);
}

void SparseOptimizer::save(torch::serialize::OutputArchive& archive) const {
  archive.write("rule", c10::IValue(std::string(to_string(options_.rule))));
  archive.write("tables", c10::IValue(static_cast<std::int64_t>(tables_.size())));
  for (std::size_t t = 0; t < state_.size(); ++t) {
    const std::string key = std::to_string(t);
    archive.write("first_" + key, state_[t].first);
    if (state_[t].second.defined()) archive.write("second_" + key, state_[t].second);
    archive.write("steps_" + key, c10::IValue(state_[t].steps));
  }
}

namespace {

c10::IValue read_value(torch::serialize::InputArchive& archive, const std::string& key) {
  c10::IValue value;
  if (!archive.try_read(key, value)) throw std::runtime_error("sparse optimizer state: no '" + key + "'");
  return value;
}

/// Reads `key` into `into` (same shape), or throws.
void read_tensor(torch::serialize::InputArchive& archive, const std::string& key, torch::Tensor& into) {
  torch::Tensor stored;
  if (!archive.try_read(key, stored)) throw std::runtime_error("sparse optimizer state: no '" + key + "'");
  if (stored.sizes() != into.sizes()) {
    throw std::runtime_error("sparse optimizer state: '" + key + "' has another shape than its table's state");
  }
  into.copy_(stored);
}

}  // namespace

void SparseOptimizer::load(torch::serialize::InputArchive& archive) {
  const c10::IValue rule = read_value(archive, "rule");
  if (!rule.isString() || rule.toStringRef() != to_string(options_.rule)) {
    throw std::runtime_error(std::string("sparse optimizer state: saved by another rule than ") +
                             to_string(options_.rule));
  }
  const c10::IValue count = read_value(archive, "tables");
  if (!count.isInt() || count.toInt() != static_cast<std::int64_t>(tables_.size())) {
    throw std::runtime_error("sparse optimizer state: saved for another number of embedding tables");
  }
  torch::NoGradGuard no_grad;
  for (std::size_t t = 0; t < state_.size(); ++t) {
    const std::string key = std::to_string(t);
    read_tensor(archive, "first_" + key, state_[t].first);
    if (state_[t].second.defined()) read_tensor(archive, "second_" + key, state_[t].second);
    const c10::IValue steps = read_value(archive, "steps_" + key);
    if (!steps.isInt() || steps.toInt() < 0)
      throw std::runtime_error("sparse optimizer state: bad 'steps_" + key + "'");
    state_[t].steps = steps.toInt();
  }
}

}  // namespace recsys::core
