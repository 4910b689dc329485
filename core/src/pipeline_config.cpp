#include "recsys/core/pipeline_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "recsys/config_toml.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

const std::vector<std::string>& pipeline_sections() {
  static const std::vector<std::string> sections = {"dataset",     "split",      "sampler",        "model",
                                                    "loss",        "evaluation", "early_stopping", "training",
                                                    "distributed", "logging",    "plugins"};
  return sections;
}

namespace {

/// Reads an override's value as TOML; a bare word that is not a TOML value is a string.
toml::table parse_override_value(const std::string& value) {
  try {
    return toml::parse("value = " + value, std::string(kOverrideSource));
  } catch (const toml::parse_error&) {
    toml::table table;
    table.insert("value", value);
    return table;
  }
}

void apply_override(toml::table& document, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError("--set " + assignment + ": expected section.key=value");
  }
  const std::string key_path = assignment.substr(0, equals);
  toml::table value = parse_override_value(assignment.substr(equals + 1));

  std::vector<std::string> parts;
  std::stringstream stream(key_path);
  for (std::string part; std::getline(stream, part, '.');) {
    if (part.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + key_path + "'");
    parts.push_back(part);
  }
  toml::table* table = &document;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    toml::node* child = table->get(parts[i]);
    if (!child) child = &table->insert(parts[i], toml::table{}).first->second;
    if (!child->is_table()) {
      throw ConfigError("--set " + assignment + ": '" + parts[i] + "' is a " + toml_type_name(child->type()) +
                        ", not a table");
    }
    table = child->as_table();
  }
  // The value's source path is kOverrideSource, which Config::where() reports as "(--set)".
  toml::node& node = *value.get("value");
  node.visit([&](auto& v) { table->insert_or_assign(parts.back(), std::move(v)); });
}

}  // namespace

PipelineConfig PipelineConfig::parse(std::string_view text, const std::string& source,
                                     const std::vector<std::string>& overrides) {
  std::shared_ptr<toml::table> document;
  try {
    document = std::make_shared<toml::table>(toml::parse(text, source));
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    throw ConfigError(source + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) + ": " +
                      std::string(error.description()));
  }
  for (const auto& assignment : overrides) apply_override(*document, assignment);
  const toml::table* root = document.get();
  return PipelineConfig(make_config(std::move(document), root, "", source));
}

PipelineConfig PipelineConfig::load(const std::filesystem::path& file, const std::vector<std::string>& overrides) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(file.string() + ": cannot open the pipeline file");
  std::stringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string(), overrides);
}

const Config& PipelineConfig::section(const std::string& name) const {
  auto it = sections_.find(name);
  if (it != sections_.end()) return it->second;
  const toml::node* node = root_.impl().table->get(name);
  if (node && !node->is_table()) {
    throw ConfigError(source_ + ": " + name + ": expected a table, found " + toml_type_name(node->type()));
  }
  Config view = make_config(root_.impl().document, node ? node->as_table() : nullptr, name, source_);
  return sections_.emplace(name, std::move(view)).first->second;
}

void PipelineConfig::check_unknown_sections() const {
  const auto& known = pipeline_sections();
  const toml::table& document = *root_.impl().table;
  for (const auto& [key, node] : document) {
    const std::string name(key.str());
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = source_;
    if (node.source().begin.line > 0) message += ":" + std::to_string(node.source().begin.line);
    message += ": unknown section '" + name + "'";
    if (auto suggestion = closest_match(name, known)) message += "; did you mean '" + *suggestion + "'?";
    throw ConfigError(message);
  }
}

std::string PipelineConfig::resolved_toml() const {
  toml::table document = *root_.impl().table;
  for (const auto& [name, view] : sections_) {
    const toml::table& resolved = view.impl().resolved;
    if (resolved.empty()) continue;
    toml::node* node = document.get(name);
    if (!node) node = &document.insert(name, toml::table{}).first->second;
    for (const auto& [key, value] : resolved) {
      value.visit([&, k = std::string(key.str())](const auto& v) { node->as_table()->insert_or_assign(k, v); });
    }
  }
  std::ostringstream out;
  out << document;
  return out.str();
}

}  // namespace recsys::core
