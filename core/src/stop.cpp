#include "recsys/core/stop.hpp"

#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>

namespace recsys::core {

namespace {

volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_announce = 1;

void write_stderr(const char* text) {
  // write(2) is async-signal-safe; its result is of no use inside a handler.
  const ssize_t ignored = write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_stop_signal(int signal) {
  if (g_signal != 0) {
    // The second signal: the default action now (the process ends as if never handled).
    std::signal(signal, SIG_DFL);
    std::raise(signal);
    return;
  }
  g_signal = signal;
  if (g_announce) {
    write_stderr(signal == SIGINT
                     ? "\n[recsys] SIGINT: stopping after the current batch (Ctrl-C again to exit at once)\n"
                     : "\n[recsys] SIGTERM: stopping after the current batch\n");
  }
}

}  // namespace

void install_stop_handlers(bool announce) {
  g_announce = announce ? 1 : 0;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // blocking reads and writes continue; the loop polls the flag
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() noexcept {
  return g_signal;
}

void request_stop(int signal) noexcept {
  if (g_signal == 0) g_signal = signal;
}

void clear_stop_request() noexcept {
  g_signal = 0;
}

void exit_by_signal(int signal) {
  std::fflush(nullptr);
  std::signal(signal, SIG_DFL);
  sigset_t unblock;
  sigemptyset(&unblock);
  sigaddset(&unblock, signal);
  sigprocmask(SIG_UNBLOCK, &unblock, nullptr);
  std::raise(signal);
  std::_Exit(128 + signal);
}

Interrupted::Interrupted(int signal, const std::string& where, std::filesystem::path run_directory)
    : Error("stopped by " + signal_name(signal) + " " + where),
      signal_(signal),
      where_(where),
      run_directory_(std::move(run_directory)) {}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

void throw_if_stop_requested(const std::string& where) {
  if (const int signal = stop_signal(); signal != 0) throw Interrupted(signal, where);
}

}  // namespace recsys::core
