// The `dcn` model (the notebooks' DCN): Deep & Cross Network (Wang et al. 2017), a stack of
// rank-one cross layers beside an MLP, both over the field embeddings and continuous features.
#include "cross_layer.hpp"
#include "recsys/models/deep_cross.hpp"

namespace recsys::dcn {

/// embedding_dim 2 by default, as the original notebooks.
class DCNModel final : public models::DeepCrossModel<CrossLayer> {
 public:
  explicit DCNModel(const PluginArgs& args) : DeepCrossModel(args, /*default_embedding_dim=*/2) {}
};

}  // namespace recsys::dcn

RECSYS_EXPORT_PLUGIN(recsys::dcn::DCNModel, "Deep & Cross Network: cross layers beside an MLP (Wang et al. 2017)",
                     "DCN");
