#include "features.hpp"

#include <torch/torch.h>

namespace recsys::files {

namespace {

/// int64 [R, C]: the code of each row's value in each of `columns` (categorical), written in one
/// pass from the parsed codes (at 25M context rows, torch's cat/where/stack would each copy the
/// block); a missing value, or a row the table lacks (-1), takes kMissingCode.
torch::Tensor categorical_block(const std::vector<const RawColumn*>& columns, const torch::Tensor& rows) {
  const torch::Tensor r = rows.contiguous();
  const std::int64_t n = r.numel(), width = static_cast<std::int64_t>(columns.size());
  torch::Tensor block = torch::empty({n, width}, torch::kInt64);
  const std::int64_t* row = r.data_ptr<std::int64_t>();
  std::int64_t* out = block.data_ptr<std::int64_t>();
  for (std::int64_t k = 0; k < width; ++k) {
    const std::int32_t* codes = columns[static_cast<std::size_t>(k)]->codes().data();
    for (std::int64_t i = 0; i < n; ++i) {
      const std::int32_t code = row[i] < 0 ? -1 : codes[row[i]];
      out[i * width + k] = code < 0 ? kMissingCode : code + kFirstValueCode;
    }
  }
  return block;
}

/// The rows' bags of codes; an empty bag, or a row the table lacks, holds kMissingCode.
JaggedCodes multi_codes(const RawColumn& c, const torch::Tensor& rows) {
  std::vector<std::int64_t> values, offsets{0};
  const auto& o = c.offsets();
  const auto& codes = c.codes();
  const torch::Tensor r = rows.contiguous();
  for (std::int64_t i = 0; i < r.numel(); ++i) {
    const std::int64_t row = r.data_ptr<std::int64_t>()[i];
    const std::int64_t begin = row < 0 ? 0 : o[row], end = row < 0 ? 0 : o[row + 1];
    for (std::int64_t v = begin; v < end; ++v) values.push_back(codes[v] + kFirstValueCode);
    if (begin == end) values.push_back(kMissingCode);
    offsets.push_back(static_cast<std::int64_t>(values.size()));
  }
  return {torch::tensor(values, torch::kInt64), torch::tensor(offsets, torch::kInt64)};
}

/// float32 [R, width]: the numbers of each row; NaN where missing.
torch::Tensor number_block(const RawColumn& c, const torch::Tensor& rows) {
  const std::int64_t w = c.width();
  const torch::Tensor raw = torch::tensor(c.numbers(), torch::kFloat32).view({c.rows(), w});
  const torch::Tensor padded = torch::cat({raw, torch::full({1, w}, std::nanf(""))});
  return padded.index_select(0, rows.where(rows.ge(0), torch::full_like(rows, c.rows())));
}

}  // namespace

SideTables gather_features(const ParsedTable& table, Role role, const torch::Tensor& rows) {
  SideTables side;
  std::vector<const RawColumn*> categorical;
  std::vector<torch::Tensor> continuous;
  for (const RawColumn& c : table.columns) {
    if (c.spec().role != role) continue;
    const auto cardinality = static_cast<std::int64_t>(c.dictionary().size()) + kFirstValueCode;
    switch (c.spec().kind) {
      case Kind::categorical:
        categorical.push_back(&c);
        side.schema.categorical.push_back({c.spec().name, cardinality});
        side.values.push_back({"", "<out of vocabulary>"});
        side.values.back().insert(side.values.back().end(), c.dictionary().begin(), c.dictionary().end());
        break;
      case Kind::multi_categorical:
        side.features.multi_categorical.push_back(multi_codes(c, rows));
        side.schema.multi_categorical.push_back({c.spec().name, cardinality, c.spec().pooling});
        break;
      case Kind::numeric:
      case Kind::vector:
        continuous.push_back(number_block(c, rows));
        for (std::int64_t j = 0; j < c.width(); ++j) side.schema.continuous_names.push_back(c.spec().name);
        break;
    }
  }
  const std::int64_t n = rows.size(0);
  side.features.categorical = categorical_block(categorical, rows);
  torch::Tensor block = continuous.empty() ? torch::zeros({n, 0}, torch::kFloat32) : torch::cat(continuous, 1);
  side.missing = block.isnan();
  side.features.continuous = block.nan_to_num(0.0);  // filled with the training mean at the fit
  side.schema.continuous_dim = block.size(1);
  side.transforms.assign(static_cast<std::size_t>(block.size(1)), ContinuousTransform{});
  return side;
}

namespace {

/// `column` (int64 [R], a strided view is fine) through `map` (int64 [cardinality]), in place.
/// Only the codes that change are written: a table mapped from the parsed cache keeps its
/// unchanged pages shared with the page cache instead of copying them (copy-on-write).
void remap_(torch::Tensor& column, const torch::Tensor& map) {
  auto code = column.accessor<std::int64_t, 1>();
  const auto m = map.accessor<std::int64_t, 1>();
  for (std::int64_t i = 0; i < code.size(0); ++i) {
    if (m[code[i]] != code[i]) code[i] = m[code[i]];
  }
}

/// Codes seen fewer than `min_count` times (`counts`: int64 [cardinality] over the training
/// rows) -> out of vocabulary; the others renumbered from kFirstValueCode in their order.
/// Returns the code map and sets `*cardinality`.
torch::Tensor vocabulary_map(const torch::Tensor& counts, std::int64_t min_count, std::int64_t* cardinality) {
  torch::Tensor keep = counts.ge(min_count);
  keep.slice(0, 0, kFirstValueCode).fill_(false);
  torch::Tensor map =
      (keep.cumsum(0) - 1 + kFirstValueCode).where(keep, torch::full_like(counts, kOutOfVocabularyCode));
  map[kMissingCode] = kMissingCode;
  *cardinality = kFirstValueCode + keep.sum().item<std::int64_t>();
  return map;
}

/// The value of each new code after `map` (old code -> new code): the kept values in order.
void renumber_values(std::vector<std::string>& values, const torch::Tensor& map, std::int64_t cardinality) {
  std::vector<std::string> renumbered(static_cast<std::size_t>(cardinality));
  renumbered[kMissingCode] = values[kMissingCode];
  renumbered[kOutOfVocabularyCode] = values[kOutOfVocabularyCode];
  const auto m = map.accessor<std::int64_t, 1>();
  for (std::int64_t c = kFirstValueCode; c < map.size(0) && c < static_cast<std::int64_t>(values.size()); ++c) {
    if (m[c] >= kFirstValueCode) renumbered[static_cast<std::size_t>(m[c])] = values[static_cast<std::size_t>(c)];
  }
  values = std::move(renumbered);
}

/// The transform of one column from its training values (float32, missing ones left out).
ContinuousTransform fitted_transform(const torch::Tensor& values, Scaling scaling) {
  ContinuousTransform t;
  if (values.numel() == 0) return t;
  t.fill = values.mean().item<float>();
  if (scaling == Scaling::standard) {
    const float std = values.numel() > 1 ? values.std(false).item<float>() : 0.0f;
    t.shift = t.fill;
    t.scale = std > 0.0f ? std : 1.0f;
  } else if (scaling == Scaling::minmax) {
    const float low = values.min().item<float>(), high = values.max().item<float>();
    t.shift = low;
    t.scale = high > low ? high - low : 1.0f;
  }
  return t;
}

void fit_numbers(SideTables& side, const torch::Tensor& train, Scaling scaling) {
  torch::Tensor& x = side.features.continuous;
  side.transforms.resize(static_cast<std::size_t>(x.size(1)));
  for (std::int64_t c = 0; c < x.size(1); ++c) {
    torch::Tensor column = x.select(1, c);
    const torch::Tensor present = side.missing.select(1, c).index_select(0, train).logical_not();
    const ContinuousTransform t = fitted_transform(column.index_select(0, train).masked_select(present), scaling);
    side.transforms[static_cast<std::size_t>(c)] = t;
    column.masked_fill_(side.missing.select(1, c), t.fill);
    if (t.shift != 0.0f || t.scale != 1.0f) column.sub_(t.shift).div_(t.scale);
  }
}

}  // namespace

torch::Tensor counts_in_rows(const torch::Tensor& column, const torch::Tensor& rows, std::int64_t size) {
  torch::Tensor counts = torch::zeros({size}, torch::kInt64);
  std::int64_t* count = counts.data_ptr<std::int64_t>();
  const auto code = column.accessor<std::int64_t, 1>();
  const torch::Tensor r = rows.contiguous();
  const std::int64_t* row = r.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < r.numel(); ++i) ++count[code[row[i]]];
  return counts;
}

void fit_side(SideTables& side, const torch::Tensor& train, std::int64_t min_count, Scaling scaling) {
  for (std::size_t k = 0; k < side.schema.categorical.size(); ++k) {
    torch::Tensor column = side.features.categorical.select(1, static_cast<std::int64_t>(k));
    std::int64_t& cardinality = side.schema.categorical[k].cardinality;
    const torch::Tensor map = vocabulary_map(counts_in_rows(column, train, cardinality), min_count, &cardinality);
    remap_(column, map);
    renumber_values(side.values[k], map, side.schema.categorical[k].cardinality);
  }
  for (std::size_t m = 0; m < side.schema.multi_categorical.size(); ++m) {
    JaggedCodes& field = side.features.multi_categorical[m];
    std::int64_t& cardinality = side.schema.multi_categorical[m].cardinality;
    const torch::Tensor map =
        vocabulary_map(torch::bincount(field.gather(train).values, {}, cardinality), min_count, &cardinality);
    field.values = map.index_select(0, field.values);
  }
  fit_numbers(side, train, scaling);
}

}  // namespace recsys::files
