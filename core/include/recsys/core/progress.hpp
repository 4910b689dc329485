#pragma once
/// @file
/// Progress of a long task (an epoch, an evaluation), drawn the way tqdm and Lightning users
/// expect. On a terminal: one line redrawn in place, fitted to the terminal's width. In a log
/// file or pipe: an occasional plain line, so that a long task shows it is alive without
/// flooding the log; the caller logs its own summary line when the task ends either way.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace recsys::core {

/// "00:05", "01:02", "1:02:03" (tqdm's style): whole seconds (truncated), hours only when
/// needed. Negative durations read "00:00", infinite or NaN ones "?".
std::string format_duration(double seconds);

class ProgressBar {
 public:
  /// `label`: "epoch 2/10", "validation", "test". `total`: steps (batches or chunks). `stream`:
  /// null = silent. `initial`: steps already done before this process (a run resumed in mid-epoch:
  /// rates and ETA count only the steps done here). `unit`: "it" by default (it/s in the bar).
  ProgressBar(std::string label, std::int64_t total, std::FILE* stream = stderr, std::int64_t initial = 0,
              std::string unit = "it");

  /// After each step: steps done so far (including `initial`), and a postfix such as
  /// "loss=0.12345, 512.3k samples/s" ("" for none).
  ///
  /// On a terminal it redraws `\r` + `epoch 2/10  45%|#####     | 22/48 [00:05<00:06, 4.2it/s,
  /// loss=...]` + `\x1b[K` at most 10 times a second (more would cost more than a step of a
  /// small model) and always on the last step. The width is asked of the terminal at every
  /// redraw (TIOCGWINSZ, else $COLUMNS, else 80), so a resized window is followed; the line
  /// keeps the last column free (a full line makes some terminals wrap), giving up first the
  /// bar, then the postfix, then its tail.
  ///
  /// Elsewhere it writes `epoch 2/10: 45% (22/48), 00:35 elapsed, ETA 00:40, 4.2it/s, loss=...`
  /// and a newline once per log interval (30 s), the first after one interval: a task shorter
  /// than that writes nothing, as its summary line says all.
  void update(std::int64_t done, const std::string& postfix = "");

  /// Clears the bar from a terminal (`\r\x1b[K`), so that the caller's summary line replaces it.
  /// Writes nothing elsewhere.
  void finish();

  /// The interval between plain lines off a terminal (30 s by default), for every bar constructed
  /// afterwards: lets tests see plain lines without waiting 30 s.
  static void set_log_interval_for_testing(std::chrono::milliseconds interval);

 private:
  using Clock = std::chrono::steady_clock;

  // What one update shows, computed once for either form of line.
  struct Snapshot {
    std::int64_t done;
    int percent;
    double fraction;  // of the total, in [0, 1]
    std::string elapsed, eta, rate;
  };

  Snapshot snapshot(std::int64_t done, Clock::time_point now) const;
  std::string terminal_line(const Snapshot& s, const std::string& postfix, std::size_t max_columns) const;
  void draw_terminal(const Snapshot& s, const std::string& postfix);
  void write_plain(const Snapshot& s, const std::string& postfix);

  std::string label_;
  std::int64_t total_;
  std::FILE* stream_;
  std::int64_t initial_;
  std::string unit_;
  bool terminal_;
  std::chrono::milliseconds log_interval_;
  Clock::time_point start_;
  Clock::time_point last_write_;
  bool written_ = false;  // on a terminal: whether a line was drawn (finish() clears only then)
};

}  // namespace recsys::core
