// Prometheus text exposition of the server's counters.
#include "recsys/core/serving/metrics.hpp"

#include <sstream>

namespace recsys::core::serving {

std::string prometheus_label(const std::string& value) {
  std::string out;
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

void ServerMetrics::record(const std::string& endpoint, int status, double seconds) {
  const std::lock_guard lock(mutex_);
  ++requests_[{endpoint, status}];
  Latency& l = latency_[endpoint];
  for (std::size_t b = 0; b < kBuckets.size(); ++b) l.buckets[b] += seconds <= kBuckets[b] ? 1 : 0;
  ++l.count;
  l.sum += seconds;
}

void ServerMetrics::set_served(const std::string& run, const std::string& checkpoint, std::int64_t epoch) {
  const std::lock_guard lock(mutex_);
  reloads_ += run_.empty() ? 0 : 1;
  run_ = run;
  checkpoint_ = checkpoint;
  epoch_ = epoch;
}

std::string ServerMetrics::exposition() const {
  const std::lock_guard lock(mutex_);
  std::ostringstream out;
  out << "# HELP recsys_http_requests_total Requests answered, by endpoint and HTTP status.\n"
      << "# TYPE recsys_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    out << "recsys_http_requests_total{endpoint=\"" << prometheus_label(key.first) << "\",status=\"" << key.second
        << "\"} " << count << "\n";
  }
  out << "# HELP recsys_http_request_duration_seconds Time from a request's arrival to its answer.\n"
      << "# TYPE recsys_http_request_duration_seconds histogram\n";
  for (const auto& [endpoint, l] : latency_) {
    const std::string label = "endpoint=\"" + prometheus_label(endpoint) + "\"";
    for (std::size_t b = 0; b < kBuckets.size(); ++b) {
      out << "recsys_http_request_duration_seconds_bucket{" << label << ",le=\"" << kBuckets[b] << "\"} "
          << l.buckets[b] << "\n";
    }
    out << "recsys_http_request_duration_seconds_bucket{" << label << ",le=\"+Inf\"} " << l.count << "\n"
        << "recsys_http_request_duration_seconds_sum{" << label << "} " << l.sum << "\n"
        << "recsys_http_request_duration_seconds_count{" << label << "} " << l.count << "\n";
  }
  out << "# HELP recsys_served_run_info The run and checkpoint answering requests.\n"
      << "# TYPE recsys_served_run_info gauge\n"
      << "recsys_served_run_info{run=\"" << prometheus_label(run_) << "\",checkpoint=\""
      << prometheus_label(checkpoint_) << "\",epoch=\"" << epoch_ << "\"} 1\n"
      << "# HELP recsys_reloads_total Checkpoints loaded after the first.\n"
      << "# TYPE recsys_reloads_total counter\n"
      << "recsys_reloads_total " << reloads_ << "\n";
  return out.str();
}

}  // namespace recsys::core::serving
