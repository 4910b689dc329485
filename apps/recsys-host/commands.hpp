#pragma once
/// @file
/// The recsys-host subcommands. Each returns the process exit status.

#include <string>
#include <vector>

namespace recsys::host {

/// Exit statuses: 0 success, 1 failure at run time, 2 bad usage or configuration.
enum ExitStatus : int { kSuccess = 0, kRuntimeFailure = 1, kUsageError = 2 };

/// `recsys-host run PIPELINE.toml [--set section.key=value ...]`
int run_command(const std::string& pipeline, const std::vector<std::string>& overrides);

/// `recsys-host plugins [--path DIR ...]`: a table of every library found and its plugins.
int plugins_command(const std::vector<std::string>& extra_directories);

}  // namespace recsys::host
