// `recsys-host launch`: starts N local ranks of `recsys-host run`, torchrun-style.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "recsys/core/distributed.hpp"
#include "recsys/core/stop.hpp"
#include "recsys/errors.hpp"

extern char** environ;

namespace recsys::host {

namespace {

/// This process's environment with the rendezvous variables of `rank` set (replacing any
/// inherited ones, so a launch inside a launched job does not mix the two).
std::vector<std::string> rank_environment(int rank, int nproc, int port) {
  const std::map<std::string, std::string> launch{{"RANK", std::to_string(rank)},
                                                  {"LOCAL_RANK", std::to_string(rank)},
                                                  {"WORLD_SIZE", std::to_string(nproc)},
                                                  {"LOCAL_WORLD_SIZE", std::to_string(nproc)},
                                                  {"MASTER_ADDR", "127.0.0.1"},
                                                  {"MASTER_PORT", std::to_string(port)},
                                                  {"RECSYS_LAUNCH_NPROC", std::to_string(nproc)},
                                                  {"RECSYS_LAUNCH_PARENT", std::to_string(getpid())}};
  std::vector<std::string> out;
  for (char** entry = environ; *entry; ++entry) {
    const std::string variable(*entry);
    if (launch.count(variable.substr(0, variable.find('='))) == 0) out.push_back(variable);
  }
  for (const auto& [name, value] : launch) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// The ranks run in their own process groups, so a Ctrl-C reaches only the launcher, which
// forwards it once to every rank (a terminal's SIGINT to the whole group would count as a
// second, immediate stop on each rank).
constexpr int kMaxRanks = 1024;
pid_t g_ranks[kMaxRanks];
volatile std::sig_atomic_t g_rank_count = 0;
volatile std::sig_atomic_t g_stop_signal = 0;
int g_ranks_stopped = 0;  ///< a rank ended by the forwarded stop (not one that finished first)

void forward_stop(int signal) {
  for (int i = 0; i < g_rank_count; ++i) kill(g_ranks[i], signal);
  if (g_stop_signal != 0) {
    // The second signal: the ranks got it too and exit at once; so does the launcher.
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_stop_signal = signal;
}

void install_forwarding() {
  struct sigaction action {};
  action.sa_handler = forward_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

/// Starts one rank in its own process group; returns its pid.
pid_t spawn_rank(int rank, int nproc, int port, std::vector<char*>& argv_pointers) {
  std::vector<std::string> environment = rank_environment(rank, nproc, port);
  std::vector<char*> environment_pointers = pointers(environment);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  pid_t pid = 0;
  const int error =
      posix_spawn(&pid, "/proc/self/exe", nullptr, &attributes, argv_pointers.data(), environment_pointers.data());
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    for (int i = 0; i < g_rank_count; ++i) kill(g_ranks[i], SIGTERM);
    throw Error("launch: cannot start rank " + std::to_string(rank) + ": " + std::strerror(error));
  }
  return pid;
}

/// Waits for every rank; returns the launch's exit status.
int wait_for_ranks(std::map<pid_t, int>& rank_of) {
  // As torchrun: the first rank that fails stops the others; its status is the launch's.
  int status_of_launch = kSuccess;
  while (!rank_of.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      throw Error(std::string("launch: waitpid: ") + std::strerror(errno));
    }
    const auto found = rank_of.find(pid);
    if (found == rank_of.end()) continue;
    const int rank = found->second;
    rank_of.erase(found);
    const bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (WIFSIGNALED(status) && g_stop_signal != 0) g_ranks_stopped = 1;
    // A rank ended by the stop the launcher forwarded is not a failure to stop the others for.
    if (!failed || status_of_launch != kSuccess || g_stop_signal != 0) continue;
    status_of_launch = WIFEXITED(status) ? WEXITSTATUS(status) : kRuntimeFailure;
    spdlog::error("launch: rank {} {} {}; stopping the other ranks", rank,
                  WIFEXITED(status) ? "exited with status" : "was killed by signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    for (const auto& [other, r] : rank_of) kill(other, SIGTERM);
  }
  return status_of_launch;
}

}  // namespace

int launch_command(int nproc, std::optional<int> master_port, const std::vector<std::string>& run_arguments) {
  if (nproc < 1 || nproc > kMaxRanks) {
    throw ConfigError("--nproc " + std::to_string(nproc) + ": must be between 1 and " + std::to_string(kMaxRanks));
  }
  const int port = master_port ? *master_port : core::free_local_port();
  std::vector<std::string> argv{"recsys-host", "run"};
  argv.insert(argv.end(), run_arguments.begin(), run_arguments.end());
  std::vector<char*> argv_pointers = pointers(argv);

  std::map<pid_t, int> rank_of;
  install_forwarding();
  for (int rank = 0; rank < nproc; ++rank) {
    const pid_t pid = spawn_rank(rank, nproc, port, argv_pointers);
    rank_of[pid] = rank;
    g_ranks[rank] = pid;
    g_rank_count = rank + 1;
  }
  spdlog::info("launch: {} ranks on 127.0.0.1:{}", nproc, port);
  const int status = wait_for_ranks(rank_of);
  // Stopped on request: the ranks saved the run and printed how to resume it; the launcher
  // ends by the same signal, as they did (ranks that finished the run first exit 0).
  if (g_ranks_stopped) core::exit_by_signal(g_stop_signal);
  return status;
}

}  // namespace recsys::host
