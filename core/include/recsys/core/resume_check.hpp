#pragma once
/// @file
/// What may change when a run is resumed. A run continues the state its checkpoint holds, so
/// keys that shape that state (data, split, negatives, model, loss, evaluation sets, seed,
/// batch and optimizer) must match the run's own config.toml; keys that only steer how the
/// rest of the run proceeds may change, each reported in one line; logging and plugin search
/// paths are ignored (the run keeps its directory).

#include <string>
#include <utility>
#include <vector>

namespace recsys::core {

/// Every `section.key = value` of a TOML document, values as TOML writes them (strings
/// unquoted), in document order. Throws ConfigError when `toml` does not parse.
std::vector<std::pair<std::string, std::string>> flatten_toml(const std::string& toml);

/// A key whose value differs between the run's config and the one it is resumed with.
struct ResumeChange {
  std::string key;       ///< "model.embedding_dim"
  std::string saved;     ///< the run's value; "(unset)" when absent
  std::string current;   ///< the value now; "(unset)" when absent
  bool allowed = false;  ///< may change on resume (training.epochs, learning_rate, ...)
};

/// The differences between `saved` (RUN_DIR/config.toml) and `current` (both resolved TOML),
/// `logging.*` and `plugins.*` left out, in key order.
std::vector<ResumeChange> resume_changes(const std::string& saved, const std::string& current);

/// Whether `key` may change on resume: training.epochs, eval_every, learning_rate, threads,
/// prefetch, device, eval_batch_size, early_stopping.* and distributed.*.
bool may_change_on_resume(const std::string& key);

}  // namespace recsys::core
