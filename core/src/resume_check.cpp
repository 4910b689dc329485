#include "recsys/core/resume_check.hpp"

#include <map>
#include <sstream>

#include <toml++/toml.h>

#include "recsys/errors.hpp"

namespace recsys::core {

namespace {

void flatten(const toml::table& table, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [key, node] : table) {
    const std::string name = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      flatten(*sub, name, out);
    } else if (const auto* text = node.as_string()) {
      out.emplace_back(name, text->get());
    } else {
      std::ostringstream value;
      node.visit([&](const auto& v) { value << v; });
      out.emplace_back(name, value.str());
    }
  }
}

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

bool ignored_on_resume(const std::string& key) {
  return starts_with(key, "logging.") || starts_with(key, "plugins.");
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_toml(const std::string& toml) {
  std::vector<std::pair<std::string, std::string>> out;
  try {
    flatten(toml::parse(toml), "", out);
  } catch (const toml::parse_error& e) {
    throw ConfigError(std::string("resolved config does not parse: ") + std::string(e.description()));
  }
  return out;
}

bool may_change_on_resume(const std::string& key) {
  static const char* const kAllowed[] = {
      "training.epochs",   "training.eval_every", "training.learning_rate",   "training.threads",
      "training.prefetch", "training.device",     "training.eval_batch_size", "training.sparse_learning_rate"};
  for (const char* allowed : kAllowed) {
    if (key == allowed) return true;
  }
  return starts_with(key, "early_stopping.") || starts_with(key, "distributed.");
}

std::vector<ResumeChange> resume_changes(const std::string& saved, const std::string& current) {
  std::map<std::string, std::pair<std::string, std::string>> values;  // key -> (saved, current)
  const std::string unset = "(unset)";
  for (auto& [key, value] : flatten_toml(saved)) values.emplace(key, std::make_pair(value, unset));
  for (auto& [key, value] : flatten_toml(current)) {
    auto [at, inserted] = values.emplace(key, std::make_pair(unset, value));
    if (!inserted) at->second.second = value;
  }
  std::vector<ResumeChange> changes;
  for (const auto& [key, pair] : values) {
    if (pair.first == pair.second || ignored_on_resume(key)) continue;
    changes.push_back({key, pair.first, pair.second, may_change_on_resume(key)});
  }
  return changes;
}

}  // namespace recsys::core
