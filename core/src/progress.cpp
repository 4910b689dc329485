#include "recsys/core/progress.hpp"

#include <unistd.h>

#include <algorithm>

namespace recsys::core {

ProgressBar::ProgressBar(std::string label, std::int64_t total_batches, std::FILE* stream)
    : label_(std::move(label)),
      total_(std::max<std::int64_t>(1, total_batches)),
      stream_(stream),
      enabled_(stream != nullptr && isatty(fileno(stream)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::update(std::int64_t batches_done, std::int64_t samples_done, double running_loss) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most 10 times a second, and always on the last batch.
  if (batches_done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const int width = 30;
  const int filled = static_cast<int>(width * batches_done / total_);
  std::string bar(filled, '#');
  bar.append(width - filled, '.');
  std::fprintf(stream_, "\r%s [%s] %lld/%lld  %.1fk samples/s  loss %.5f\x1b[K", label_.c_str(), bar.c_str(),
               static_cast<long long>(batches_done), static_cast<long long>(total_),
               seconds > 0 ? samples_done / seconds / 1000.0 : 0.0, running_loss);
  std::fflush(stream_);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::fprintf(stream_, "\r\x1b[K");
  std::fflush(stream_);
}

}  // namespace recsys::core
