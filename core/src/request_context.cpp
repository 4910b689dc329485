#include "recsys/core/request_context.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::core {

namespace {

/// The most frequent value of each column of `table` (float32 or int64 [N, C]) over `rows`,
/// as a [1, C] table (ties: the smallest value).
torch::Tensor most_frequent_row(const torch::Tensor& table, const torch::Tensor& rows) {
  if (!table.defined() || table.size(1) == 0 || rows.numel() == 0) {
    return torch::zeros({1, table.defined() ? table.size(1) : 0},
                        table.defined() ? table.scalar_type() : torch::kFloat);
  }
  return std::get<0>(table.index_select(0, rows).mode(0)).unsqueeze(0);
}

/// "a, b" or "none", each name once (a vector field's columns share its name).
std::string listed(const std::vector<std::string>& names) {
  std::vector<std::string> distinct;
  for (const auto& name : names) {
    if (std::find(distinct.begin(), distinct.end(), name) == distinct.end()) distinct.push_back(name);
  }
  std::string out;
  for (const auto& name : distinct) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "none" : out;
}

/// The categorical field `f`'s code of `value`.
std::int64_t category_code(const InteractionData& d, std::size_t f, const std::string& entry,
                           const std::string& value) {
  const auto& values = f < d.context_values.size() ? d.context_values[f] : std::vector<std::string>{};
  const auto found = std::find(values.begin(), values.end(), value);
  if (found != values.end() && !value.empty()) return found - values.begin();
  throw ConfigError("--context " + entry + ": '" + d.schema.context.categorical[f].name + "' has no value '" + value +
                    "' in the run's data (" + std::to_string(values.size()) + " values known)");
}

/// The raw numbers of `value` (separated by commas; an empty value: one missing number, NaN).
std::vector<float> numbers(const std::string& entry, const std::string& value) {
  std::vector<float> out;
  std::size_t at = 0;
  while (true) {
    const std::size_t comma = std::min(value.find(',', at), value.size());
    const std::string text = value.substr(at, comma - at);
    char* end = nullptr;
    errno = 0;
    const float x = text.empty() ? std::nanf("") : std::strtof(text.c_str(), &end);
    if (!text.empty() && (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(x))) {
      throw ConfigError("--context " + entry + ": '" + text + "' is not a finite number");
    }
    out.push_back(x);
    if (comma == value.size()) return out;
    at = comma + 1;
  }
}

/// Sets the continuous columns of field `name` (`columns`: their indices) to `value`, transformed.
void set_numbers(const InteractionData& d, const std::vector<std::int64_t>& columns, const std::string& entry,
                 const std::string& value, torch::Tensor& row) {
  if (d.context_transforms.size() != d.schema.context.continuous_names.size()) {
    throw ConfigError("--context " + entry +
                      ": the run's dataset gives no transforms for its numeric context (context_transforms), so a "
                      "raw number cannot be scaled as in training");
  }
  const std::vector<float> x = numbers(entry, value);
  if (x.size() != columns.size()) {
    throw ConfigError("--context " + entry + ": expected " + std::to_string(columns.size()) +
                      " comma-separated numbers, got " + std::to_string(x.size()));
  }
  for (std::size_t j = 0; j < columns.size(); ++j) {
    const ContinuousTransform& t = d.context_transforms[static_cast<std::size_t>(columns[j])];
    const float raw = std::isnan(x[j]) ? t.fill : x[j];
    row[0][columns[j]] = (raw - t.shift) / t.scale;
  }
}

/// Sets `name=value` of `entry` in `context`.
void set_entry(const InteractionData& d, const std::string& entry, SideFeatures& context) {
  const auto equals = entry.find('=');
  if (equals == std::string::npos) throw ConfigError("--context " + entry + ": expected name=value");
  const std::string name = entry.substr(0, equals), value = entry.substr(equals + 1);
  const auto& categorical = d.schema.context.categorical;
  std::vector<std::string> names;
  for (std::size_t f = 0; f < categorical.size(); ++f) {
    if (categorical[f].name == name) {
      context.categorical[0][static_cast<std::int64_t>(f)] = category_code(d, f, entry, value);
      return;
    }
    names.push_back(categorical[f].name);
  }
  const auto& continuous = d.schema.context.continuous_names;
  std::vector<std::int64_t> columns;
  for (std::size_t c = 0; c < continuous.size(); ++c) {
    if (continuous[c] == name) columns.push_back(static_cast<std::int64_t>(c));
    names.push_back(continuous[c]);
  }
  if (columns.empty())
    throw ConfigError("--context " + entry + ": no context field '" + name + "' (fields: " + listed(names) + ")");
  set_numbers(d, columns, entry, value, context.continuous);
}

}  // namespace

SideFeatures default_context_row(const InteractionData& data, const torch::Tensor& train_rows) {
  const SideFeatures& all = data.context_features;
  return {most_frequent_row(all.continuous, train_rows), most_frequent_row(all.categorical, train_rows), {}};
}

SideFeatures with_context_entries(const InteractionData& data, const SideFeatures& defaults,
                                  const std::vector<std::string>& entries) {
  SideFeatures context{defaults.continuous.defined() ? defaults.continuous.clone() : defaults.continuous,
                       defaults.categorical.defined() ? defaults.categorical.clone() : defaults.categorical,
                       {}};
  for (const std::string& entry : entries) set_entry(data, entry, context);
  return context;
}

SideFeatures context_row(const InteractionData& data, const torch::Tensor& train_rows,
                         const std::vector<std::string>& entries) {
  return with_context_entries(data, default_context_row(data, train_rows), entries);
}

}  // namespace recsys::core
