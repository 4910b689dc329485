// The `dcn_v2` model (the notebooks' DCNV2): DCN-V2 (Wang et al. 2021), full-rank cross
// matrices in a stack beside an MLP (the "parallel" structure), over the field embeddings
// and continuous features.
#include "cross_layer_v2.hpp"
#include "recsys/models/deep_cross.hpp"

namespace recsys::dcn_v2 {

class DCNV2Model final : public models::DeepCrossModel<CrossLayerV2> {
 public:
  explicit DCNV2Model(const PluginArgs& args) : DeepCrossModel(args, /*default_embedding_dim=*/64) {}
};

}  // namespace recsys::dcn_v2

RECSYS_EXPORT_PLUGIN(recsys::dcn_v2::DCNV2Model, "DCN-V2: full-rank cross layers beside an MLP (Wang et al. 2021)",
                     "DCNV2,DCN_V2");
