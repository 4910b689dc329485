#include "recsys/core/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <utility>

namespace recsys::core {
namespace {

// Redraws on a terminal: 10 a second look live and cost nothing next to a training step.
constexpr std::chrono::milliseconds kRedrawInterval(100);
// A bar narrower than this says nothing a percentage doesn't; the room goes to the text instead.
constexpr std::size_t kMinBarColumns = 3;

std::atomic<std::int64_t> g_log_interval_ms{30000};

std::string printf_string(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Labels and postfixes come from configuration and metric names: a newline or escape in them
// would break the single redrawn line, so control characters become spaces.
std::string sanitized(std::string text) {
  for (char& c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return text;
}

// The terminal's width now (a window may be resized mid-run), else $COLUMNS, else 80.
std::size_t terminal_columns(std::FILE* stream) {
  winsize size{};
  if (ioctl(fileno(stream), TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* columns = std::getenv("COLUMNS")) {
    const long value = std::strtol(columns, nullptr, 10);
    if (value > 0) return static_cast<std::size_t>(value);
  }
  return 80;
}

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence. Bytes bound columns
// from above (ASCII takes 1 byte a column, other characters at least as many bytes as
// columns), so a line of at most `max` bytes never takes more than `max` columns.
std::string truncated(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// tqdm's rate: "4.2it/s", "512.3kit/s" for fast steps, "3.50s/it" once a step takes over a second.
std::string format_rate(double per_second, const std::string& unit) {
  if (!std::isfinite(per_second) || per_second <= 0) return "?" + unit + "/s";
  if (per_second < 1) return printf_string("%.2f", 1 / per_second) + "s/" + unit;
  const char* prefixes[] = {"", "k", "M", "G", "T"};
  int prefix = 0;
  while (per_second >= 999.95 && prefix < 4) {
    per_second /= 1000;
    ++prefix;
  }
  return printf_string("%.1f", per_second) + prefixes[prefix] + unit + "/s";
}

// The bracketed statistics of the terminal line: "[00:05<00:06, 4.2it/s, loss=0.12345]".
std::string bracket(const std::string& elapsed, const std::string& eta, const std::string& rate,
                    const std::string& postfix) {
  return "[" + elapsed + "<" + eta + ", " + rate + (postfix.empty() ? "" : ", " + postfix) + "]";
}

// `head` + a bar as wide as `max` allows + `tail`; without the bar when it would be too narrow.
std::string with_bar(const std::string& head, const std::string& tail, double fraction, std::size_t max) {
  const std::size_t fixed = head.size() + tail.size() + 3;  // "|", "|" and the space after it
  if (fixed + kMinBarColumns > max) return head + " " + tail;
  const std::size_t width = max - fixed;
  const auto filled = std::min(width, static_cast<std::size_t>(fraction * static_cast<double>(width)));
  return head + "|" + std::string(filled, '#') + std::string(width - filled, ' ') + "| " + tail;
}

}  // namespace

std::string format_duration(double seconds) {
  if (std::isnan(seconds) || std::isinf(seconds)) return "?";
  const auto total = static_cast<long long>(std::max(0.0, seconds));  // whole seconds, as tqdm
  const long long hours = total / 3600, minutes = total / 60 % 60, secs = total % 60;
  char buffer[48];
  if (hours > 0) {
    std::snprintf(buffer, sizeof buffer, "%lld:%02lld:%02lld", hours, minutes, secs);
  } else {
    std::snprintf(buffer, sizeof buffer, "%02lld:%02lld", minutes, secs);
  }
  return buffer;
}

void ProgressBar::set_log_interval_for_testing(std::chrono::milliseconds interval) {
  g_log_interval_ms = interval.count();
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, std::FILE* stream, std::int64_t initial,
                         std::string unit)
    : label_(sanitized(std::move(label))),
      total_(total),
      stream_(stream),
      initial_(initial),
      unit_(sanitized(std::move(unit))),
      terminal_(stream != nullptr && isatty(fileno(stream)) != 0),
      log_interval_(g_log_interval_ms.load()),
      start_(Clock::now()),
      last_write_(start_) {}

ProgressBar::Snapshot ProgressBar::snapshot(std::int64_t done, Clock::time_point now) const {
  Snapshot s;
  s.done = done;
  s.fraction = total_ > 0 ? std::clamp(static_cast<double>(done) / static_cast<double>(total_), 0.0, 1.0) : 1.0;
  // Floor, not round: 100% only once every step is done.
  s.percent = static_cast<int>(std::floor(s.fraction * 100.0));
  const double seconds = std::chrono::duration<double>(now - start_).count();
  // Only the steps done in this process: those before a resume took no time here.
  const double rate = seconds > 0 ? static_cast<double>(done - initial_) / seconds : 0.0;
  const std::int64_t remaining = std::max<std::int64_t>(0, total_ - done);
  s.elapsed = format_duration(seconds);
  s.eta = remaining == 0 ? format_duration(0) : rate > 0 ? format_duration(static_cast<double>(remaining) / rate) : "?";
  s.rate = format_rate(rate, unit_);
  return s;
}

std::string ProgressBar::terminal_line(const Snapshot& s, const std::string& postfix, std::size_t max) const {
  const std::string head = (label_.empty() ? "" : label_ + " ") + printf_string("%3.0f", s.percent) + "%";
  const std::string counts = std::to_string(s.done) + "/" + std::to_string(total_) + " ";
  std::string line = with_bar(head, counts + bracket(s.elapsed, s.eta, s.rate, postfix), s.fraction, max);
  // The postfix goes before the counts and timings: they are what a progress line is for.
  if (line.size() > max && !postfix.empty()) {
    line = with_bar(head, counts + bracket(s.elapsed, s.eta, s.rate, ""), s.fraction, max);
  }
  return truncated(line, max);
}

void ProgressBar::draw_terminal(const Snapshot& s, const std::string& postfix) {
  const std::size_t columns = terminal_columns(stream_);
  const std::size_t max = columns > 1 ? columns - 1 : 0;
  const std::string line = terminal_line(s, postfix, max);
  std::fprintf(stream_, "\r%s\x1b[K", line.c_str());
  std::fflush(stream_);
}

void ProgressBar::write_plain(const Snapshot& s, const std::string& postfix) {
  std::fprintf(stream_, "%s%d%% (%lld/%lld), %s elapsed, ETA %s, %s%s%s\n",
               label_.empty() ? "" : (label_ + ": ").c_str(), s.percent, static_cast<long long>(s.done),
               static_cast<long long>(total_), s.elapsed.c_str(), s.eta.c_str(), s.rate.c_str(),
               postfix.empty() ? "" : ", ", postfix.c_str());
  std::fflush(stream_);
}

void ProgressBar::update(std::int64_t done, const std::string& postfix) {
  if (stream_ == nullptr) return;
  const auto now = Clock::now();
  if (terminal_) {
    const bool last = done >= total_;
    if (written_ && !last && now - last_write_ < kRedrawInterval) return;
    draw_terminal(snapshot(done, now), sanitized(postfix));
  } else {
    // The first line only after one interval: a shorter task leaves its summary line alone.
    if (now - last_write_ < log_interval_) return;
    write_plain(snapshot(done, now), sanitized(postfix));
  }
  last_write_ = now;
  written_ = true;
}

void ProgressBar::finish() {
  if (!terminal_ || !written_) return;
  std::fprintf(stream_, "\r\x1b[K");
  std::fflush(stream_);
  written_ = false;
}

}  // namespace recsys::core
