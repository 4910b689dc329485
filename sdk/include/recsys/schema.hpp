#pragma once
/// @file
/// The feature schema a dataset describes and a model is built from, so that nobody writes
/// cardinalities by hand.
///
/// Three sides carry features: users and items (rows indexed by contiguous id) and the context
/// of each interaction (rows indexed by interaction row: time of day, device, position). Each
/// side has a continuous block (numeric columns and fixed-width vectors), single-valued
/// categorical fields and multi-valued categorical fields (genres, tags; stored jagged).

#include <cstdint>
#include <string>
#include <vector>

namespace recsys {

/// One single-valued categorical field: values are int64 codes in [0, cardinality).
struct CategoricalField {
  std::string name;
  std::int64_t cardinality = 0;
};

/// How the embeddings of a multi-valued field's values are pooled into one vector
/// (torch's `embedding_bag` modes). A row with no value pools to zeros.
enum class Pooling : std::uint32_t { sum = 0, mean = 1 };

/// One multi-valued categorical field (a bag of codes per row, e.g. a movie's genres).
struct MultiCategoricalField {
  std::string name;
  std::int64_t cardinality = 0;  ///< codes in [0, cardinality)
  Pooling pooling = Pooling::mean;
};

/// The features of one side. Any side may have no features at all.
struct SideSchema {
  std::int64_t num_ids = 0;                   ///< users, items: contiguous ids are in [0, num_ids); context: 0
  std::int64_t continuous_dim = 0;            ///< C: width of the float32 continuous block
  std::vector<std::string> continuous_names;  ///< C names; a vector field's columns all carry its name
  std::vector<CategoricalField> categorical;  ///< K single-valued fields, in column order
  std::vector<MultiCategoricalField> multi_categorical;  ///< M multi-valued fields, in order

  bool empty() const { return continuous_dim == 0 && categorical.empty() && multi_categorical.empty(); }
};

/// The schema of a dataset: users, items and per-interaction context.
struct FeatureSchema {
  SideSchema user;
  SideSchema item;
  SideSchema context;  ///< no multi-valued fields (API 2.0); num_ids 0
};

}  // namespace recsys
