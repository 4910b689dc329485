#pragma once
/// @file
/// A graceful stop on SIGINT and SIGTERM (what Ctrl-C and a scheduler send before SIGKILL).
///
/// The first signal only records a request; the trainer sees it after the batch in flight,
/// writes a mid-epoch checkpoint and throws Interrupted, and the program then ends by the same
/// signal with its default action, so shells report 130 (SIGINT) or 143 (SIGTERM). A second
/// signal ends the process at once: every file is still either its old or its new version,
/// since all of them are written to a temporary file and renamed.

#include <filesystem>
#include <string>

#include "recsys/errors.hpp"

namespace recsys::core {

/// Installs the handlers for SIGINT and SIGTERM. `announce`: the first signal prints one
/// line on stderr saying that the run stops after the current batch (rank 0 announces; the
/// other ranks stay quiet).
void install_stop_handlers(bool announce = true);

/// The signal of the pending stop request (SIGINT or SIGTERM); 0 when none.
int stop_signal() noexcept;
inline bool stop_requested() noexcept {
  return stop_signal() != 0;
}

/// Records a stop request as the handler does (tests, and ranks told by another rank).
void request_stop(int signal) noexcept;
/// Forgets the request (tests).
void clear_stop_request() noexcept;

/// Ends the process by `signal` with its default action (no destructors run); exits with
/// 128 + signal if the signal does not end it.
[[noreturn]] void exit_by_signal(int signal);

/// A run stopped on request at a safe point. `run_directory` is the run to resume (empty
/// when the stop came before the run directory existed).
class Interrupted : public Error {
 public:
  Interrupted(int signal, const std::string& where, std::filesystem::path run_directory = {});
  int signal() const noexcept { return signal_; }
  /// Where the run stopped: "in epoch 2 after batch 3 of 48", "during validation", ...
  const std::string& where() const noexcept { return where_; }
  const std::filesystem::path& run_directory() const noexcept { return run_directory_; }

 private:
  int signal_;
  std::string where_;
  std::filesystem::path run_directory_;
};

/// "SIGINT", "SIGTERM" or "signal N".
std::string signal_name(int signal);

/// Throws Interrupted naming `where` ("while loading the data") when a stop was requested.
void throw_if_stop_requested(const std::string& where);

}  // namespace recsys::core
