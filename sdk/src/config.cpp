#include "recsys/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "recsys/config_toml.hpp"
#include "recsys/errors.hpp"

namespace recsys {

const char* toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

Config make_config(std::shared_ptr<toml::table> document, const toml::table* table, std::string path,
                   std::string source) {
  auto impl = std::make_shared<Config::Impl>();
  impl->document = std::move(document);
  impl->table = table;
  impl->path = std::move(path);
  impl->source = std::move(source);
  return Config(std::move(impl));
}

Config Config::empty(std::string path, std::string source) {
  return make_config(nullptr, nullptr, std::move(path), std::move(source));
}

Config::Config(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

const std::string& Config::path() const {
  return impl_->path;
}
const std::string& Config::source() const {
  return impl_->source;
}

std::string Config::key_path(std::string_view key) const {
  if (impl_->path.empty()) return std::string(key);
  return impl_->path + "." + std::string(key);
}

namespace {

const toml::node* find(const Config::Impl& impl, std::string_view key) {
  return impl.table ? impl.table->get(key) : nullptr;
}

}  // namespace

std::string Config::where(std::string_view key) const {
  std::ostringstream out;
  out << (impl_->source.empty() ? std::string("<config>") : impl_->source);
  if (const toml::node* node = find(*impl_, key)) {
    const auto& origin = node->source();
    // Parsed values always have a line; a value without one was built from a --set word.
    if ((origin.path && *origin.path == kOverrideSource) || origin.begin.line == 0)
      out << " (--set)";
    else if (origin.begin.line > 0)
      out << ":" << origin.begin.line << ":" << origin.begin.column;
  }
  out << ": " << key_path(key);
  return out.str();
}

bool Config::contains(std::string_view key) const {
  return find(*impl_, key) != nullptr;
}

std::vector<std::string> Config::keys() const {
  std::vector<std::string> out;
  if (!impl_->table) return out;
  for (const auto& [key, node] : *impl_->table) out.emplace_back(key.str());
  return out;
}

void Config::fail(std::string_view key, const std::string& message) const {
  throw ConfigError(where(key) + ": " + message);
}

void Config::mark_known(std::string_view key) const {
  impl_->known.emplace(key);
}

Config Config::get_table(std::string_view key) const {
  mark_known(key);
  const toml::node* node = impl_->table ? impl_->table->get(key) : nullptr;
  if (node && !node->is_table()) fail(key, std::string("expected a table, found ") + toml_type_name(node->type()));
  Config child = make_config(impl_->document, node ? node->as_table() : nullptr, key_path(key), impl_->source);
  auto& child_impl = const_cast<Impl&>(child.impl());
  child_impl.parent = impl_;
  child_impl.name_in_parent = std::string(key);
  return child;
}

namespace {

/// `value` with up to 15 significant digits and no trailing zeros ("0.2", "1", "1e-06").
std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.15g", value);
  return text;
}

[[noreturn]] void type_error(const Config& config, std::string_view key, const char* expected,
                             const toml::node& found) {
  std::ostringstream out;
  out << "expected " << expected << ", found " << toml_type_name(found.type());
  if (found.is_integer()) out << " (" << found.as_integer()->get() << ")";
  if (found.is_boolean()) out << " (" << (found.as_boolean()->get() ? "true" : "false") << ")";
  if (found.is_string()) out << " (\"" << found.as_string()->get() << "\")";
  if (found.is_floating_point()) out << " (" << format_number(found.as_floating_point()->get()) << ")";
  config.fail(key, out.str());
}

const toml::node& require(const Config& config, std::string_view key) {
  config.mark_known(key);
  const toml::node* node = find(config.impl(), key);
  if (!node) config.fail(key, "required key is missing");
  return *node;
}

std::int64_t as_int(const Config& config, std::string_view key, const toml::node& node) {
  if (!node.is_integer()) type_error(config, key, "integer", node);
  return node.as_integer()->get();
}

double as_double(const Config& config, std::string_view key, const toml::node& node) {
  if (node.is_integer()) return static_cast<double>(node.as_integer()->get());
  if (!node.is_floating_point()) type_error(config, key, "float", node);
  const double value = node.as_floating_point()->get();
  // TOML has nan and inf; no key means either, and NaN passes every `<`/`>=` range check.
  if (!std::isfinite(value)) type_error(config, key, "finite float", node);
  return value;
}

bool as_bool(const Config& config, std::string_view key, const toml::node& node) {
  if (!node.is_boolean()) type_error(config, key, "boolean", node);
  return node.as_boolean()->get();
}

std::string as_string(const Config& config, std::string_view key, const toml::node& node) {
  if (!node.is_string()) type_error(config, key, "string", node);
  return node.as_string()->get();
}

std::vector<std::int64_t> as_int_list(const Config& config, std::string_view key, const toml::node& node) {
  if (!node.is_array()) type_error(config, key, "array of integers", node);
  std::vector<std::int64_t> out;
  std::size_t index = 0;
  for (const toml::node& element : *node.as_array()) {
    if (!element.is_integer()) {
      type_error(config, std::string(key) + "[" + std::to_string(index) + "]", "integer", element);
    }
    out.push_back(element.as_integer()->get());
    ++index;
  }
  return out;
}

std::vector<std::string> as_string_list(const Config& config, std::string_view key, const toml::node& node) {
  if (!node.is_array()) type_error(config, key, "array of strings", node);
  std::vector<std::string> out;
  std::size_t index = 0;
  for (const toml::node& element : *node.as_array()) {
    if (!element.is_string()) {
      type_error(config, std::string(key) + "[" + std::to_string(index) + "]", "string", element);
    }
    out.push_back(element.as_string()->get());
    ++index;
  }
  return out;
}

/// A sub-table's resolved values, copied into its parents' (Config::get_table).
void propagate(const Config::Impl& impl) {
  for (const Config::Impl* child = &impl; child->parent; child = child->parent.get()) {
    child->parent->resolved.insert_or_assign(child->name_in_parent, child->resolved);
  }
}

/// Remembers `value` as the resolved value of `key` (what the run used, default or not).
template <typename T>
void record(const Config& config, std::string_view key, const T& value) {
  config.impl().resolved.insert_or_assign(key, value);
  propagate(config.impl());
}
template <typename T>
void record(const Config& config, std::string_view key, const std::vector<T>& values) {
  toml::array array;
  for (const auto& v : values) array.push_back(v);
  config.impl().resolved.insert_or_assign(key, std::move(array));
  propagate(config.impl());
}

template <typename T, typename Convert>
T optional_value(const Config& config, std::string_view key, T fallback, Convert convert) {
  config.mark_known(key);
  const toml::node* node = find(config.impl(), key);
  T value = node ? convert(config, key, *node) : fallback;
  record(config, key, value);
  return value;
}

template <typename Convert>
auto required_value(const Config& config, std::string_view key, Convert convert) {
  auto value = convert(config, key, require(config, key));
  record(config, key, value);
  return value;
}

}  // namespace

std::int64_t Config::get_int(std::string_view key) const {
  return required_value(*this, key, as_int);
}
double Config::get_double(std::string_view key) const {
  return required_value(*this, key, as_double);
}
bool Config::get_bool(std::string_view key) const {
  return required_value(*this, key, as_bool);
}
std::string Config::get_string(std::string_view key) const {
  return required_value(*this, key, as_string);
}
std::vector<std::int64_t> Config::get_int_list(std::string_view key) const {
  return required_value(*this, key, as_int_list);
}
std::vector<std::string> Config::get_string_list(std::string_view key) const {
  return required_value(*this, key, as_string_list);
}

std::int64_t Config::get_int(std::string_view key, std::int64_t fallback) const {
  return optional_value(*this, key, fallback, as_int);
}
double Config::get_double(std::string_view key, double fallback) const {
  return optional_value(*this, key, fallback, as_double);
}
bool Config::get_bool(std::string_view key, bool fallback) const {
  return optional_value(*this, key, fallback, as_bool);
}
std::string Config::get_string(std::string_view key, const std::string& fallback) const {
  return optional_value(*this, key, fallback, as_string);
}
std::vector<std::int64_t> Config::get_int_list(std::string_view key, const std::vector<std::int64_t>& fallback) const {
  return optional_value(*this, key, fallback, as_int_list);
}
std::vector<std::string> Config::get_string_list(std::string_view key, const std::vector<std::string>& fallback) const {
  return optional_value(*this, key, fallback, as_string_list);
}

namespace {

/// The range-check message of a minimum: "must be at least <minimum>" ("must not be negative").
std::string at_least(std::int64_t minimum) {
  return minimum == 0 ? "must not be negative" : "must be at least " + std::to_string(minimum);
}

/// "must be in [low, high]".
std::string in_closed_range(std::int64_t low, std::int64_t high) {
  return "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "]";
}

}  // namespace

std::int64_t Config::get_int_at_least(std::string_view key, std::int64_t fallback, std::int64_t minimum) const {
  const std::int64_t value = get_int(key, fallback);
  if (value < minimum) fail(key, at_least(minimum));
  return value;
}
std::int64_t Config::get_int_in(std::string_view key, std::int64_t fallback, std::int64_t low,
                                std::int64_t high) const {
  const std::int64_t value = get_int(key, fallback);
  if (value < low || value > high) fail(key, in_closed_range(low, high));
  return value;
}
std::vector<std::int64_t> Config::get_int_list_in(std::string_view key, const std::vector<std::int64_t>& fallback,
                                                  std::int64_t low, std::int64_t high) const {
  std::vector<std::int64_t> values = get_int_list(key, fallback);
  for (const std::int64_t value : values) {
    if (value < low || value > high) fail(key, "every entry " + in_closed_range(low, high));
  }
  return values;
}
double Config::get_positive_double(std::string_view key, double fallback) const {
  const double value = get_double(key, fallback);
  if (!(value > 0.0)) fail(key, "must be positive");
  return value;
}
double Config::get_double_in(std::string_view key, double fallback, double low, double high) const {
  const double value = get_double(key, fallback);
  if (!(value >= low && value < high)) {
    fail(key, "must be in [" + format_number(low) + ", " + format_number(high) + ")");
  }
  return value;
}
std::vector<std::int64_t> Config::get_int_list_at_least(std::string_view key, const std::vector<std::int64_t>& fallback,
                                                        std::int64_t minimum) const {
  std::vector<std::int64_t> values = get_int_list(key, fallback);
  for (const std::int64_t value : values) {
    if (value < minimum) fail(key, "every entry " + at_least(minimum));
  }
  return values;
}

void Config::check_unknown_keys() const {
  std::vector<std::string> known(impl_->known.begin(), impl_->known.end());
  for (const std::string& key : keys()) {
    if (impl_->known.count(key)) continue;
    std::string message = "unknown key '" + key + "'";
    if (auto suggestion = closest_match(key, known)) {
      message += "; did you mean '" + *suggestion + "'?";
    } else if (!known.empty()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      message += " (known keys: " + list + ")";
    }
    fail(key, message);
  }
}

void Config::check_misspelled_keys() const {
  std::vector<std::string> known(impl_->known.begin(), impl_->known.end());
  for (const std::string& key : keys()) {
    if (impl_->known.count(key)) continue;
    auto suggestion = closest_match(key, known);
    if (suggestion && !contains(*suggestion)) {
      fail(key, "unknown key '" + key + "'; did you mean '" + *suggestion + "'?");
    }
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    std::size_t d = edit_distance(word, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

}  // namespace recsys
