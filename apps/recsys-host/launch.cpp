// `recsys-host launch`: starts N local ranks of `recsys-host run`, torchrun-style.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "recsys/core/distributed.hpp"
#include "recsys/errors.hpp"

extern char** environ;

namespace recsys::host {

namespace {

/// This process's environment with the rendezvous variables of `rank` set (replacing any
/// inherited ones, so a launch inside a launched job does not mix the two).
std::vector<std::string> rank_environment(int rank, int nproc, int port) {
  const std::map<std::string, std::string> launch{
      {"RANK", std::to_string(rank)},        {"LOCAL_RANK", std::to_string(rank)},
      {"WORLD_SIZE", std::to_string(nproc)}, {"LOCAL_WORLD_SIZE", std::to_string(nproc)},
      {"MASTER_ADDR", "127.0.0.1"},          {"MASTER_PORT", std::to_string(port)}};
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

}  // namespace

int launch_command(int nproc, std::optional<int> master_port, const std::vector<std::string>& run_arguments) {
  if (nproc < 1) throw ConfigError("--nproc " + std::to_string(nproc) + ": must be at least 1");
  const int port = master_port ? *master_port : core::free_local_port();
  std::vector<std::string> argv{"recsys-host", "run"};
  argv.insert(argv.end(), run_arguments.begin(), run_arguments.end());
  std::vector<char*> argv_pointers = pointers(argv);

  std::map<pid_t, int> rank_of;
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> environment = rank_environment(rank, nproc, port);
    std::vector<char*> environment_pointers = pointers(environment);
    pid_t pid = 0;
    const int error =
        posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv_pointers.data(), environment_pointers.data());
    if (error != 0) {
      for (const auto& [started, r] : rank_of) kill(started, SIGTERM);
      throw Error("launch: cannot start rank " + std::to_string(rank) + ": " + std::strerror(error));
    }
    rank_of[pid] = rank;
  }
  spdlog::info("launch: {} ranks on 127.0.0.1:{}", nproc, port);

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
    if (!failed || status_of_launch != kSuccess) continue;
    status_of_launch = WIFEXITED(status) ? WEXITSTATUS(status) : kRuntimeFailure;
    spdlog::error("launch: rank {} {} {}; stopping the other ranks", rank,
                  WIFEXITED(status) ? "exited with status" : "was killed by signal",
                  WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    for (const auto& [other, r] : rank_of) kill(other, SIGTERM);
  }
  return status_of_launch;
}

}  // namespace recsys::host
