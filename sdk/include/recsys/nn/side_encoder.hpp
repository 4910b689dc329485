#pragma once
/// @file
/// Building blocks shared by model plugins (header-only, compiled into each plugin).

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/init.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>

#include "recsys/batch.hpp"
#include "recsys/nn/embedding.hpp"
#include "recsys/nn/feature_fields.hpp"
#include "recsys/schema.hpp"

namespace recsys::nn {

/// The pooled embedding of one jagged field: float32 [B, dim], each row the sum or mean
/// (`pooling`) of weight[values + row_offset] over its values; a row with no value gives zeros.
/// torch's `embedding_bag` (one kernel, no per-row loop).
inline torch::Tensor pooled_embedding(const torch::Tensor& weight, const JaggedCodes& codes, std::int64_t row_offset,
                                      Pooling pooling) {
  const torch::Tensor values = row_offset == 0 ? codes.values : codes.values + row_offset;
  return std::get<0>(torch::embedding_bag(weight, values, codes.offsets, false, static_cast<std::int64_t>(pooling),
                                          false, {}, /*include_last_offset=*/true));
}

/// N(0, std^2) initialisation for embedding tables. torch's default N(0, 1) barely moves
/// in a few hundred Adam steps; the NCF paper initialises with std 0.01.
inline void init_embedding(torch::nn::EmbeddingImpl& embedding, double std) {
  torch::NoGradGuard no_grad;
  torch::nn::init::normal_(embedding.weight, 0.0, std);
}
/// The same for a module holder (torch::nn::Embedding or recsys::nn::Embedding).
template <typename Impl>
void init_embedding(torch::nn::ModuleHolder<Impl>& embedding, double std) {
  init_embedding(*embedding, std);
}

/// How embedding tables start: N(0, std^2) (`normal`, the NCF paper's), or Glorot & Bengio
/// (2010)'s `xavier_normal` / `xavier_uniform` over the [rows, dim] table (RecBole's and the
/// ranking reference's for BPR-MF and LightGCN: std sqrt(2 / (rows + dim))).
enum class EmbeddingInit { normal, xavier_normal, xavier_uniform };

/// `embedding`'s table initialised by `init` (`std` for normal).
inline void init_embedding(torch::nn::EmbeddingImpl& embedding, double std, EmbeddingInit init) {
  torch::NoGradGuard no_grad;
  if (init == EmbeddingInit::xavier_normal) {
    torch::nn::init::xavier_normal_(embedding.weight);
  } else if (init == EmbeddingInit::xavier_uniform) {
    torch::nn::init::xavier_uniform_(embedding.weight);
  } else {
    torch::nn::init::normal_(embedding.weight, 0.0, std);
  }
}

/// One side's vector (user or item): its id embedding plus, when `use_features`, the
/// embeddings of its categorical fields, the pooled embeddings of its multi-valued fields
/// (`embedding_bag`, sum or mean as the schema says) and a bias-free linear projection of its
/// continuous block, all summed (the reference's "Tower"). Only the fields and continuous columns that
/// `kept_columns(side, exclude)` keeps are used; `exclude` is not checked here
/// (`recsys::models::exclude_fields` reads and checks the key).
///
/// forward(ids int64 [B], categorical int64 [B, K], continuous float32 [B, C],
///         multi: M JaggedCodes of B rows) -> float32 [B, dim]
/// Parameters: (num_ids + sum of kept cardinalities, single- and multi-valued, + kept
/// continuous columns) * dim.
class SideEncoderImpl : public torch::nn::Module {
 public:
  SideEncoderImpl(const SideSchema& side, std::int64_t dim, bool use_features, double init_std,
                  const std::vector<std::string>& exclude = {}, EmbeddingInit init = EmbeddingInit::normal) {
    id_ = register_module("id", Embedding(side.num_ids, dim));
    init_embedding(*id_, init_std, init);
    if (!use_features) return;
    const SideColumns kept = kept_columns(side, exclude);
    for (const std::int64_t k : kept.categorical) {
      Embedding embedding(side.categorical[k].cardinality, dim);
      init_embedding(*embedding, init_std, init);
      categorical_->push_back(embedding);
    }
    categorical_columns_ = kept.categorical;
    register_module("categorical", categorical_);
    for (const std::int64_t m : kept.multi) {
      Embedding embedding(side.multi_categorical[m].cardinality, dim);
      init_embedding(*embedding, init_std, init);
      multi_->push_back(embedding);
      multi_pooling_.push_back(side.multi_categorical[m].pooling);
    }
    multi_columns_ = kept.multi;
    if (!kept.multi.empty()) register_module("multi_categorical", multi_);
    if (!kept.continuous.empty()) {
      const auto width = static_cast<std::int64_t>(kept.continuous.size());
      if (width < side.continuous_dim) continuous_columns_ = torch::tensor(kept.continuous, torch::kInt64);
      continuous_ = register_module("continuous", torch::nn::Linear(torch::nn::LinearOptions(width, dim).bias(false)));
    }
  }

  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& categorical, const torch::Tensor& continuous,
                        const std::vector<JaggedCodes>& multi = {}) {
    torch::Tensor out = id_->forward(ids);
    for (std::size_t m = 0; m < multi_columns_.size(); ++m) {
      const torch::Tensor& weight = multi_[m]->as<Embedding>()->weight;
      out = out + pooled_embedding(weight, multi.at(multi_columns_[m]), 0, multi_pooling_[m]);
    }
    for (std::size_t k = 0; k < categorical_->size(); ++k) {
      out = out + categorical_[k]->as<Embedding>()->forward(categorical.select(1, categorical_columns_[k]));
    }
    if (continuous_) {
      out = out + continuous_->forward(continuous_columns_.defined() ? continuous.index_select(1, continuous_columns_)
                                                                     : continuous);
    }
    return out;
  }

 private:
  Embedding id_{nullptr};
  torch::nn::ModuleList categorical_;
  std::vector<std::int64_t> categorical_columns_;
  torch::nn::ModuleList multi_;
  std::vector<std::int64_t> multi_columns_;
  std::vector<Pooling> multi_pooling_;
  torch::nn::Linear continuous_{nullptr};
  torch::Tensor continuous_columns_;  // undefined: every column
};
TORCH_MODULE(SideEncoder);

}  // namespace recsys::nn
