// `recsys-host evaluate` and `recommend`: a finished run rebuilt from its resolved config,
// its checkpoint loaded, then a split evaluated or one user's items scored.
#include <torch/torch.h>

#include "recsys/core/opened_run.hpp"
#include "recsys/core/pipeline.hpp"
#include "recsys/core/served_run.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

EvaluateOutcome evaluate_run(const fs::path& run_directory, const std::string& split, const std::string& checkpoint) {
  if (split != "test" && split != "validation") throw ConfigError("--split " + split + ": expected test or validation");
  EvaluateOutcome outcome;
  OpenedRun run = open_run(run_directory, checkpoint);
  outcome.epoch = run.epoch;
  const Pipeline& p = run.pipeline;
  Trainer trainer(p.training, run.loaded->model, p.loss, p.sampler, p.metrics, p.early_stopping);
  const TrainingData& data = run.loaded->data;
  outcome.evaluation = trainer.evaluate(split == "test" ? *data.test : *data.validation, data);
  outcome.protocol = p.protocol;
  return outcome;
}

std::vector<Recommendation> recommend(const fs::path& run_directory, const std::string& user, std::int64_t k,
                                      const std::vector<std::string>& context) {
  if (k < 1) throw ConfigError("--k " + std::to_string(k) + ": must be at least 1");
  const std::shared_ptr<ServedRun> run = ServedRun::open(run_directory, "best");
  const std::optional<std::int64_t> u = run->user_index(user);
  if (!u) {
    throw ConfigError("--user " + user + ": no such user among the run's " + std::to_string(run->num_users()) +
                      " users (original ids of the dataset)");
  }
  // Items the user already has a positive with (in any split) are not recommended.
  return run->recommend({RankingQuery{*u, k, true, context, {}}}).front();
}

}  // namespace recsys::core
