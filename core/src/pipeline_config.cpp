#include "recsys/core/pipeline_config.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "recsys/config_toml.hpp"
#include "recsys/core/toml_limits.hpp"
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
  const std::string text = "value = " + value;
  check_toml_limits(text, std::string(kOverrideSource));
  try {
    return toml::parse(text, std::string(kOverrideSource));
  } catch (const toml::parse_error&) {
    toml::table table;
    table.insert("value", value);
    return table;
  }
}

/// The sections of `document` that hold `key`, for "did you mean training.epochs?".
std::vector<std::string> sections_holding(const toml::table& document, const std::string& key) {
  std::vector<std::string> found;
  for (const auto& [name, node] : document) {
    if (node.is_table() && node.as_table()->contains(key)) found.emplace_back(name.str());
  }
  return found;
}

/// An override names a known section and a key in it: `--set epochs=3` would otherwise become
/// a top-level key that the file is then blamed for.
void check_override_section(const toml::table& document, const std::string& assignment,
                            const std::vector<std::string>& parts) {
  const auto& known = pipeline_sections();
  const std::string prefix = "--set " + assignment + ": ";
  if (parts.size() == 1) {
    std::string message = prefix + "expected section.key=value, got the bare key '" + parts[0] + "'";
    const auto holders = sections_holding(document, parts[0]);
    if (!holders.empty()) message += "; did you mean " + holders.front() + "." + parts[0] + "?";
    throw ConfigError(message);
  }
  if (std::find(known.begin(), known.end(), parts[0]) != known.end()) return;
  std::string message = prefix + "unknown section '" + parts[0] + "'";
  if (auto suggestion = closest_match(parts[0], known)) message += "; did you mean '" + *suggestion + "'?";
  throw ConfigError(message);
}

std::vector<std::string> split_key_path(const std::string& assignment, const std::string& key_path) {
  std::vector<std::string> parts;
  std::stringstream stream(key_path);
  for (std::string part; std::getline(stream, part, '.');) {
    if (part.empty()) throw ConfigError("--set " + assignment + ": empty key in '" + key_path + "'");
    parts.push_back(part);
  }
  if (parts.empty() || key_path.back() == '.') {
    throw ConfigError("--set " + assignment + ": empty key in '" + key_path + "'");
  }
  if (parts.size() > kMaxTomlNesting) {
    throw ConfigError("--set: a key of " + std::to_string(parts.size()) + " parts, more than the " +
                      std::to_string(kMaxTomlNesting) + " a pipeline config nests");
  }
  return parts;
}

void apply_override(toml::table& document, const std::string& assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError("--set " + assignment + ": expected section.key=value");
  }
  const std::string key_path = assignment.substr(0, equals);
  const std::vector<std::string> parts = split_key_path(assignment, key_path);
  check_override_section(document, assignment, parts);
  toml::table value = parse_override_value(assignment.substr(equals + 1));
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

/// `run configs/`: name the pipeline files the folder holds instead of failing on an empty one.
std::string directory_given_message(const std::filesystem::path& directory) {
  std::vector<std::string> pipelines;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".toml") pipelines.push_back(entry.path().string());
  }
  std::sort(pipelines.begin(), pipelines.end());
  std::string message = directory.string() + ": is a directory, not a pipeline file";
  if (pipelines.empty()) return message + " (it holds no .toml file)";
  message += "; give one of its .toml files, e.g. " + pipelines.front();
  if (pipelines.size() > 1) message += " (" + std::to_string(pipelines.size()) + " there)";
  return message;
}

}  // namespace

PipelineConfig PipelineConfig::parse(std::string_view text, const std::string& source,
                                     const std::vector<std::string>& overrides) {
  check_toml_limits(text, source);
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
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw ConfigError(directory_given_message(file));
  // Checked before reading: /dev/zero or a FIFO would never end, a huge file fills memory.
  if (std::filesystem::exists(file, ec) && !std::filesystem::is_regular_file(file, ec)) {
    throw ConfigError(file.string() + ": not a regular file (a pipeline file is a .toml file)");
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > kMaxPipelineFileBytes) {
    throw ConfigError(file.string() + ": " + std::to_string(size) + " bytes, larger than the " +
                      std::to_string(kMaxPipelineFileBytes) + " a pipeline file may hold");
  }
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
