// `recsys-host evaluate` and `recommend`: a finished run rebuilt from its resolved config,
// its checkpoint loaded, then a split evaluated or one user's items scored.
#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/core/checkpoint.hpp"
#include "recsys/core/pipeline.hpp"
#include "recsys/core/request_context.hpp"
#include "recsys/core/run_data.hpp"
#include "recsys/core/runtime_info.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

/// A finished run, rebuilt from its resolved config: the pipeline, data and model.
struct OpenedRun {
  std::unique_ptr<PipelineConfig> config;
  PluginRegistry registry;
  Pipeline pipeline;
  std::unique_ptr<LoadedPipeline> loaded;
  RunDirectory directory;
};

/// Loads the libraries of the plugins run.json records that the search paths did not provide
/// (a run trained with RECSYS_PLUGIN_PATH, evaluated without it).
void load_recorded_plugins(PluginRegistry& registry, const RunDirectory& directory) {
  const nlohmann::ordered_json info = directory.read_run_info();
  const auto plugins = info.find("plugins");
  if (plugins == info.end() || !plugins->is_array()) return;
  for (const auto& plugin : *plugins) {
    const std::string kind = plugin.value("kind", ""), name = plugin.value("name", ""), path = plugin.value("path", "");
    bool found = false;
    for (const auto& record : registry.plugins())
      found = found || (to_string(record.kind) == kind && record.name == name);
    if (found || path.empty()) continue;
    try {
      registry.load_library(path);
    } catch (const PluginError& e) {
      spdlog::warn("run.json's {} plugin {}: {}", kind, name, e.what());
    }
  }
}

OpenedRun open_run(const fs::path& run_directory, const std::string& checkpoint, std::int64_t* epoch) {
  RunDirectory directory = RunDirectory::open(run_directory);
  if (checkpoint != "best" && checkpoint != "last") {
    throw ConfigError("--checkpoint " + checkpoint + ": expected best or last");
  }
  if (!fs::exists(directory.checkpoint(checkpoint))) {
    throw ConfigError(directory.checkpoint(checkpoint).string() + ": no such checkpoint");
  }
  auto config = std::make_unique<PipelineConfig>(PipelineConfig::load(directory.config_file()));
  PluginRegistry registry;
  discover_plugins(registry, *config);
  load_recorded_plugins(registry, directory);
  Pipeline pipeline = build_pipeline(*config, registry);
  configure_threads(static_cast<int>(pipeline.training.threads));
  auto loaded = std::make_unique<LoadedPipeline>(load_pipeline(pipeline, *config, registry));
  check_same_data(directory, data_record(loaded->data.interactions));
  const TrainingProgress progress = load_checkpoint(directory.checkpoint(checkpoint), *loaded->model, nullptr, false);
  if (epoch) *epoch = progress.epoch;
  loaded->model->eval();
  return {std::move(config), std::move(registry), std::move(pipeline), std::move(loaded), std::move(directory)};
}

}  // namespace

EvaluateOutcome evaluate_run(const fs::path& run_directory, const std::string& split, const std::string& checkpoint) {
  if (split != "test" && split != "validation") throw ConfigError("--split " + split + ": expected test or validation");
  EvaluateOutcome outcome;
  OpenedRun run = open_run(run_directory, checkpoint, &outcome.epoch);
  const Pipeline& p = run.pipeline;
  Trainer trainer(p.training, run.loaded->model, p.loss, p.sampler, p.metrics, p.early_stopping);
  const TrainingData& data = run.loaded->data;
  outcome.evaluation = trainer.evaluate(split == "test" ? *data.test : *data.validation, data);
  outcome.protocol = p.protocol;
  return outcome;
}

namespace {

// Leaves out the unseen items whose score is NaN or infinite (a NaN weight, an input feature out
// of range), saying how many; none left to rank is an error. Returns the items left to rank.
std::int64_t drop_non_finite_scores(torch::Tensor& scores, const torch::Tensor& seen, const std::string& user) {
  const torch::Tensor bad = scores.isfinite().logical_not().logical_and(seen.logical_not());
  const std::int64_t dropped = bad.sum().item<std::int64_t>(), unseen = seen.logical_not().sum().item<std::int64_t>();
  if (dropped == 0) return unseen;
  if (dropped == unseen) {
    throw std::runtime_error("recommend --user " + user + ": every one of the " + std::to_string(unseen) +
                             " candidate scores is NaN or infinite (a NaN weight in the checkpoint, or this "
                             "user's features out of range?)");
  }
  spdlog::warn("recommend --user {}: {} of {} candidate items score NaN or infinite and are left out", user, dropped,
               unseen);
  scores.masked_fill_(bad, -std::numeric_limits<double>::infinity());
  return unseen - dropped;
}

}  // namespace

std::vector<Recommendation> recommend(const fs::path& run_directory, const std::string& user, std::int64_t k,
                                      const std::vector<std::string>& context) {
  if (k < 1) throw ConfigError("--k " + std::to_string(k) + ": must be at least 1");
  OpenedRun run = open_run(run_directory, "best", nullptr);
  const TrainingData& data = run.loaded->data;
  const InteractionData& d = data.interactions;
  const auto found = std::find(d.user_original_id.begin(), d.user_original_id.end(), user);
  if (found == d.user_original_id.end()) {
    throw ConfigError("--user " + user + ": no such user among the run's " + std::to_string(d.user_original_id.size()) +
                      " users (original ids of the dataset)");
  }
  const std::int64_t u = found - d.user_original_id.begin(), items = d.schema.item.num_ids;
  torch::NoGradGuard no_grad;
  Examples all{torch::full({items}, u, torch::kInt64), torch::arange(items, torch::kInt64), torch::zeros({items}),
               torch::zeros({items}, torch::kInt64)};
  const SideFeatures row_context = context_row(d, data.split.train, context);
  Batch batch = make_batch(all, torch::arange(items, torch::kInt64), d.user_features, d.item_features, row_context);
  Model& model = *run.loaded->model;
  // A factorised model ranks by one matrix product, as its evaluation does: the user's vector
  // (from one row) against every item's.
  const auto user_vector = [&] {
    return model.user_vectors(
        make_batch(all, torch::zeros({1}, torch::kInt64), d.user_features, d.item_features, row_context));
  };
  torch::Tensor scores =
      (model.factorized() ? torch::mm(user_vector(), model.item_vectors(batch).t())[0] : model.forward(batch))
          .to(torch::kFloat64);
  // Items the user already has a positive with (in any split) are not recommended.
  const torch::Tensor seen = data.positives.contains(all.user_id, all.item_id);
  const std::int64_t candidates = drop_non_finite_scores(scores, seen, user);
  scores.masked_fill_(seen, -std::numeric_limits<double>::infinity());
  const auto top = scores.topk(std::min(k, candidates));
  std::vector<Recommendation> out;
  for (std::int64_t r = 0; r < std::get<1>(top).size(0); ++r) {
    const std::int64_t item = std::get<1>(top)[r].item<std::int64_t>();
    out.push_back({d.item_original_id[item],
                   item < static_cast<std::int64_t>(d.item_title.size()) ? d.item_title[item] : "",
                   std::get<0>(top)[r].item<double>()});
  }
  return out;
}

}  // namespace recsys::core
