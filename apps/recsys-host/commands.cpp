#include "commands.hpp"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "recsys/core/pipeline.hpp"
#include "recsys/core/plugin_registry.hpp"

namespace recsys::host {

namespace {

void print_summary(const core::RunOutcome& outcome) {
  const auto& test = outcome.result.test;
  std::size_t width = 4;
  for (const auto& [name, value] : test.metrics) width = std::max(width, name.size());
  std::cout << "\nTest metrics (best validation epoch " << outcome.result.best_epoch << " of "
            << outcome.result.epochs.size() << "; " << outcome.num_users << " users, "
            << outcome.num_items << " items, " << outcome.num_positives << " positives)\n";
  std::cout << fmt::format("  {:<{}}  {:>8}\n", "metric", width, "value");
  std::cout << fmt::format("  {:<{}}  {:>8.4f}\n", "loss", width, test.loss);
  for (const auto& [name, value] : test.metrics) {
    std::cout << fmt::format("  {:<{}}  {:>8.4f}\n", name, width, value);
  }
  std::cout << "Protocol: " << outcome.protocol << "\n";
  if (outcome.result.stopped_early) std::cout << "Stopped early (see [early_stopping]).\n";
  std::cout << "Run directory: " << outcome.run_directory.string() << "\n";
}

}  // namespace

int run_command(const std::string& pipeline, const std::vector<std::string>& overrides) {
  const core::PipelineConfig config = core::PipelineConfig::load(pipeline, overrides);
  core::PluginRegistry registry;
  core::discover_plugins(registry, config);
  const core::RunOutcome outcome = core::run_pipeline(config, registry);
  print_summary(outcome);
  return kSuccess;
}

int plugins_command(const std::vector<std::string>& extra_directories) {
  core::PluginRegistry registry;
  for (const auto& directory : extra_directories) registry.scan_directory(directory);
  for (const auto& directory : core::default_plugin_directories()) registry.scan_directory(directory);

  const auto plugins = registry.plugins();
  std::size_t name_width = 4, version_width = 7;
  for (const auto& p : plugins) {
    name_width = std::max(name_width, p.name.size());
    version_width = std::max(version_width, p.version.size());
  }
  std::cout << fmt::format("{:<8} {:<{}} {:<{}} {}\n", "KIND", "NAME", name_width, "VERSION",
                           version_width, "PATH");
  for (const auto& p : plugins) {
    std::cout << fmt::format("{:<8} {:<{}} {:<{}} {}\n", to_string(p.kind), p.name, name_width,
                             p.version, version_width, p.path);
    if (!p.aliases.empty()) {
      std::string aliases;
      for (const auto& a : p.aliases) aliases += (aliases.empty() ? "" : ", ") + a;
      std::cout << fmt::format("{:<8} {:<{}} aliases: {}\n", "", "", name_width, aliases);
    }
  }
  bool any_refused = false;
  for (const auto& library : registry.libraries()) {
    if (library.ok && library.error.empty()) continue;
    if (!any_refused) std::cout << "\nLibraries with problems:\n";
    any_refused = true;
    std::cout << "  " << library.path << ": " << (library.ok ? "" : "refused: ") << library.error << "\n";
  }
  if (plugins.empty()) {
    std::cerr << "no plugins found; searched lib/recsys/plugins beside the executable and "
                 "RECSYS_PLUGIN_PATH\n";
    return kRuntimeFailure;
  }
  return kSuccess;
}

}  // namespace recsys::host
