#pragma once
/// @file
/// The plugin conformance suite: checks every plugin of a kind must pass, whatever it
/// computes. Each returns the failures found (empty: conforming), so the same checks run in a
/// plugin's GoogleTest binary (recsys/conformance_gtest.hpp) and in
/// `recsys-host plugins --check FILE`.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "recsys/batch.hpp"
#include "recsys/dataset.hpp"
#include "recsys/loss.hpp"
#include "recsys/metric.hpp"
#include "recsys/model.hpp"
#include "recsys/sampler.hpp"
#include "recsys/schema.hpp"

namespace recsys::conformance {

using Failures = std::vector<std::string>;

/// A small schema with every kind of feature: 50 users (continuous [age, gender], categorical
/// occupation 5, zip_code 7), 80 items (continuous 3 genre flags, categorical year 4).
FeatureSchema synthetic_schema();

/// synthetic_schema() with every other kind of feature as well: a multi-valued user field
/// (tags 6, sum pooling), a multi-valued item field (genres 5, mean pooling), a fixed-width
/// item vector ("embedding", 4 continuous columns) and, with `context`, per-interaction
/// context (categorical device 3, continuous hour).
FeatureSchema rich_synthetic_schema(bool context = true);

/// `size` random examples valid for `schema` (labels 0/1, both present), from `seed`; each
/// multi-valued field holds 0 to 3 values per row.
Batch random_batch(const FeatureSchema& schema, std::int64_t size, std::uint64_t seed = 0);

/// A model: logits of shape [B], float32, finite in train and eval mode; after one backward
/// pass every parameter has a non-zero gradient; saving the state of one instance and loading
/// it into another (`make` called twice) reproduces its outputs exactly.
Failures check_model(const std::function<std::shared_ptr<Model>()>& make, const FeatureSchema& schema);

/// A loss: a finite scalar for finite logits, with a finite gradient w.r.t. the logits.
Failures check_loss(Loss& loss);

/// A metric: finite on a case with both classes; the same value whether the rows arrive in one
/// update or several; reset() forgets everything; two computes in a row agree.
Failures check_metric(Metric& metric);

/// A metric's value on a case worked out independently.
Failures check_metric_value(Metric& metric, const std::vector<float>& scores, const std::vector<float>& labels,
                            const std::vector<std::int64_t>& groups, double expected, double tolerance = 1e-9);

/// A sampler: the same seed gives the same examples, another seed other ones; every positive
/// appears with label 1; no negative is a positive of its user; `row` points at each example's
/// positive (same user).
Failures check_sampler(Sampler& sampler);

/// A dataset: what load() returns matches its schema (dtypes, shapes, id and code ranges,
/// original-id maps, titles).
Failures check_dataset(Dataset& dataset);

}  // namespace recsys::conformance
