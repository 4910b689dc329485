// The server's Prometheus exposition (core/serving/metrics.hpp), checked line by line against
// counts and bucket boundaries worked out by hand.
#include <string>

#include <gtest/gtest.h>

#include "recsys/core/serving/metrics.hpp"

namespace recsys::core::serving {
namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.rfind(line + "\n", 0) == 0;
}

TEST(ServerMetrics, CountsRequestsByEndpointAndStatus) {
  ServerMetrics metrics;
  metrics.record("/recommend", 200, 0.0003);
  metrics.record("/recommend", 200, 0.002);
  metrics.record("/recommend", 400, 0.0001);
  metrics.record("/score", 200, 0.03);
  const std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, "# TYPE recsys_http_requests_total counter")) << text;
  EXPECT_TRUE(has_line(text, R"(recsys_http_requests_total{endpoint="/recommend",status="200"} 2)")) << text;
  EXPECT_TRUE(has_line(text, R"(recsys_http_requests_total{endpoint="/recommend",status="400"} 1)")) << text;
  EXPECT_TRUE(has_line(text, R"(recsys_http_requests_total{endpoint="/score",status="200"} 1)")) << text;
}

TEST(ServerMetrics, HistogramBucketsAreCumulativeWithUpperBoundsIncluded) {
  ServerMetrics metrics;
  // 0.0005 s lies on the first bound (le is "less or equal"); 0.002 s in (0.001, 0.0025];
  // 3 s beyond the last bound, so only in +Inf.
  for (const double seconds : {0.0005, 0.002, 3.0}) metrics.record("/recommend", 200, seconds);
  const std::string text = metrics.exposition();
  const std::string prefix = R"(recsys_http_request_duration_seconds_bucket{endpoint="/recommend",le=")";
  EXPECT_TRUE(has_line(text, prefix + R"(0.0005"} 1)")) << text;
  EXPECT_TRUE(has_line(text, prefix + R"(0.001"} 1)")) << text;
  EXPECT_TRUE(has_line(text, prefix + R"(0.0025"} 2)")) << text;
  EXPECT_TRUE(has_line(text, prefix + R"(2.5"} 2)")) << text;
  EXPECT_TRUE(has_line(text, prefix + R"(+Inf"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(recsys_http_request_duration_seconds_count{endpoint="/recommend"} 3)")) << text;
  EXPECT_TRUE(has_line(text, R"(recsys_http_request_duration_seconds_sum{endpoint="/recommend"} 3.0025)")) << text;
  EXPECT_TRUE(has_line(text, "# TYPE recsys_http_request_duration_seconds histogram")) << text;
}

TEST(ServerMetrics, ReportsTheServedRunAndCountsReloadsAfterTheFirst) {
  ServerMetrics metrics;
  metrics.set_served("/runs/mf/a", "best", 3);
  EXPECT_TRUE(has_line(metrics.exposition(), "recsys_reloads_total 0"));
  metrics.set_served("/runs/mf/a", "best", 5);
  const std::string text = metrics.exposition();
  EXPECT_TRUE(has_line(text, R"(recsys_served_run_info{run="/runs/mf/a",checkpoint="best",epoch="5"} 1)")) << text;
  EXPECT_TRUE(has_line(text, "recsys_reloads_total 1")) << text;
}

TEST(PrometheusLabel, EscapesBackslashQuoteAndNewline) {
  EXPECT_EQ(prometheus_label(R"(C:\runs "a")"), R"(C:\\runs \"a\")");
  EXPECT_EQ(prometheus_label("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(prometheus_label("plain/path"), "plain/path");
}

}  // namespace
}  // namespace recsys::core::serving
