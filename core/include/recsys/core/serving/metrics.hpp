#pragma once
/// @file
/// The server's counters in Prometheus's text exposition format (version 0.0.4): requests by
/// endpoint and status, a latency histogram per endpoint, and which run and checkpoint are
/// served. Thread-safe.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace recsys::core::serving {

class ServerMetrics {
 public:
  /// The histogram's upper bounds in seconds (then +Inf).
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  /// One answered request: `endpoint` a route ("/recommend", ...; "other" for the rest),
  /// `status` its HTTP status, `seconds` from its arrival to its answer.
  void record(const std::string& endpoint, int status, double seconds);
  /// The run served (its directory, checkpoint name and epoch), reported as recsys_served_run_info.
  void set_served(const std::string& run, const std::string& checkpoint, std::int64_t epoch);
  /// The text of GET /metrics.
  std::string exposition() const;

 private:
  struct Latency {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative counts per bound
    std::uint64_t count = 0;
    double sum = 0.0;
  };
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Latency> latency_;
  std::string run_, checkpoint_;
  std::int64_t epoch_ = 0;
  std::uint64_t reloads_ = 0;
};

/// A label value escaped for the exposition format (backslash, double quote, newline).
std::string prometheus_label(const std::string& value);

}  // namespace recsys::core::serving
