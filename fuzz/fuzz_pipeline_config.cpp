// Fuzzes the pipeline TOML file (core/src/pipeline_config.cpp, sdk/src/config.cpp, toml++'s
// parser): PipelineConfig::parse with `--set` overrides, every typed getter on every key of
// every section, the unknown-key checks, and the resolved config, which must parse again and
// print the same (it is the run directory's config.toml, read back by --resume), except where
// toml++'s formatter cannot (round_trip_expected).
//
// Input: leading lines "--set <assignment>" are the overrides; the rest is the TOML text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "fuzz_support.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/errors.hpp"

namespace {

using recsys::Config;
using recsys::ConfigError;
using recsys::core::PipelineConfig;

template <typename Read>
void attempt(Read&& read) {
  try {
    read();
  } catch (const ConfigError&) {
    // A rejected value: the expected outcome for most inputs.
  }
}

/// Every getter on `key`: each returns a value of its type or throws ConfigError.
void read_key(const Config& section, const std::string& key) {
  attempt([&] { section.get_int(key); });
  attempt([&] { section.get_double(key); });
  attempt([&] { section.get_bool(key); });
  attempt([&] { section.get_string(key); });
  attempt([&] { section.get_int_list(key); });
  attempt([&] { section.get_string_list(key); });
  attempt([&] { section.get_int_at_least(key, 1, 1); });
  attempt([&] { section.get_positive_double(key, 1.0); });
  attempt([&] { section.get_double_in(key, 0.5, 0.0, 1.0); });
  attempt([&] { section.get_int_list_at_least(key, {}, 0); });
  section.where(key);
  section.key_path(key);
}

void read_sections(const PipelineConfig& config) {
  for (const auto& name : recsys::core::pipeline_sections()) {
    attempt([&] {
      const Config& section = config.section(name);
      const auto keys = section.keys();
      // Half the keys read, so that the unknown-key checks have both kinds to report.
      for (std::size_t i = 0; i < keys.size(); i += 2) read_key(section, keys[i]);
      attempt([&] { section.get_string("fuzz_absent_key", "fallback"); });
      attempt([&] { section.check_misspelled_keys(); });
      attempt([&] { section.check_unknown_keys(); });
    });
  }
  attempt([&] { config.check_unknown_sections(); });
}

/// toml++ 3.3's formatter prints a key that holds a tab or a single quote (and no double quote)
/// bare, so that it does not parse again: `"it's" = 1` is printed `it's = 1`.
bool key_breaks_formatter(std::string_view key) {
  return key.find_first_of("\t'") != std::string_view::npos;
}

/// Whether any key of `table`, at any depth, is one toml++ cannot print.
bool unprintable_key_in(const toml::table& table) {
  for (const auto& [key, node] : table) {
    if (key_breaks_formatter(key.str())) return true;
    if (const auto* nested = node.as_table(); nested && unprintable_key_in(*nested)) return true;
    if (const auto* array = node.as_array()) {
      for (const auto& element : *array) {
        if (const auto* t = element.as_table(); t && unprintable_key_in(*t)) return true;
      }
    }
  }
  return false;
}

/// Whether toml++ 3.3 can print the document and read it back unchanged: not with a key it
/// prints bare by mistake (key_breaks_formatter; reported with the fuzz targets), nor with a
/// string that is not UTF-8, which only an override's bare word can give (a file's strings are
/// UTF-8): it is printed as \u escapes of its bytes, which read back as other text.
bool round_trip_expected(std::string_view text, const std::vector<std::string>& overrides) {
  for (const auto& assignment : overrides) {
    const std::string_view key = std::string_view(assignment).substr(0, assignment.find('='));
    if (!recsys::fuzz::valid_utf8(assignment) || key_breaks_formatter(key)) return false;
  }
  return !unprintable_key_in(toml::parse(text));
}

/// The resolved config must parse again (no overrides) and print identically.
void check_resolved(const PipelineConfig& config) {
  const std::string resolved = config.resolved_toml();
  try {
    const PipelineConfig again = PipelineConfig::parse(resolved, "resolved.toml");
    recsys::fuzz::check(again.resolved_toml() == resolved, "the resolved config prints differently once reparsed");
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "%s\n--- resolved config:\n%s\n", error.what(), resolved.c_str());
    recsys::fuzz::check(false, "the resolved config does not parse");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> overrides;
  constexpr std::string_view kSet = "--set ";
  while (text.substr(0, kSet.size()) == kSet) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    overrides.emplace_back(text.substr(kSet.size(), end - kSet.size()));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  try {
    const PipelineConfig config = PipelineConfig::parse(text, "fuzz.toml", overrides);
    read_sections(config);
    if (round_trip_expected(text, overrides)) check_resolved(config);
  } catch (const ConfigError&) {
    // A syntax error or a bad override.
  }
  return 0;
}
