#pragma once
/// @file
/// The recsys-host subcommands. Each returns the process exit status.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "recsys/core/stop.hpp"

namespace recsys::host {

/// Exit statuses: 0 success, 1 failure at run time, 2 bad usage or configuration.
enum ExitStatus : int { kSuccess = 0, kRuntimeFailure = 1, kUsageError = 2 };

/// `recsys-host run [PIPELINE.toml] [--set section.key=value ...] [--resume RUN_DIR]`; without a
/// pipeline file, --resume continues from RUN_DIR/config.toml (with the --set overrides on top).
/// SIGINT and SIGTERM stop it gracefully (stop.hpp): Interrupted reaches the caller.
int run_command(const std::optional<std::string>& pipeline, const std::vector<std::string>& overrides,
                const std::optional<std::string>& resume);

/// After a graceful stop: prints how to resume the run (under `launch`, as a launch command;
/// rank 0 only), then ends the process by the signal that stopped it. Never returns.
[[noreturn]] void exit_interrupted(const core::Interrupted& stop);

/// `recsys-host launch --nproc N PIPELINE.toml [run options]`: starts N local ranks of `run`
/// with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT
/// (`master_port`, else a free port) set. Returns 0 when every rank succeeds, otherwise the
/// first failing rank's status after stopping the others (SIGTERM).
int launch_command(int nproc, std::optional<int> master_port, const std::vector<std::string>& run_arguments);

/// `recsys-host evaluate RUN_DIR [--split test|validation] [--checkpoint best|last]`
int evaluate_command(const std::string& run_directory, const std::string& split, const std::string& checkpoint);

/// `recsys-host recommend RUN_DIR --user ID [--k 10] [--format table|json|csv] [--context name=value ...]`
int recommend_command(const std::string& run_directory, const std::string& user, std::int64_t k,
                      const std::string& format, const std::vector<std::string>& context = {});

/// `recsys-host plugins [--path DIR ...]`: every library found, its plugins and its status.
int plugins_command(const std::vector<std::string>& extra_directories);

/// `recsys-host plugins --check FILE`: loads one library and runs the conformance suite on
/// each of its plugins. 0 when all conform, 1 otherwise.
int check_plugin_command(const std::string& file);

}  // namespace recsys::host
