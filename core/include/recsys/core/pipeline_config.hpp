#pragma once
/// @file
/// The pipeline TOML file: loading, `--set` overrides, section access and validation.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "recsys/config.hpp"

namespace recsys::core {

/// The sections a pipeline file may have.
const std::vector<std::string>& pipeline_sections();

class PipelineConfig {
 public:
  /// Parses `file` and applies `overrides` ("section.key=value", the value read as a TOML
  /// value, a bare word that is not one taken as a string). Throws ConfigError naming the
  /// file, line and column of a syntax error, or the override at fault.
  static PipelineConfig load(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});
  /// The same from TOML text (`source` names it in messages).
  static PipelineConfig parse(std::string_view text, const std::string& source,
                              const std::vector<std::string>& overrides = {});

  /// The view of `[name]`; an empty table when the file has none. Views are cached, so the
  /// keys read through them are remembered for check_unknown_keys().
  const Config& section(const std::string& name) const;

  /// Throws ConfigError for an unknown section, suggesting the closest. (Unknown keys are
  /// checked per section, once its consumer has read it: Config::check_unknown_keys.)
  void check_unknown_sections() const;

  /// The resolved configuration: after overrides, plus every default that was read (so the
  /// file alone reproduces the run), as TOML text.
  std::string resolved_toml() const;
  const std::string& source() const { return source_; }

 private:
  explicit PipelineConfig(Config root) : root_(std::move(root)), source_(root_.source()) {}
  Config root_;  // the whole document; its Impl owns the parsed toml::table
  std::string source_;
  mutable std::map<std::string, Config> sections_;
};

}  // namespace recsys::core
