#pragma once
/// @file
/// The endpoints of `recsys-host serve`, independent of the HTTP library: a request (method,
/// path, query parameters, body, whether it came from loopback) in, a status and JSON body out.
/// docs/serving.md documents each endpoint. Every error is answered as
/// {"error": {"status": N, "message": "..."}}; none escapes handle().

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "recsys/core/served_run.hpp"
#include "recsys/core/serving/metrics.hpp"
#include "recsys/core/serving/requests.hpp"
#include "recsys/core/serving/scorer.hpp"

namespace recsys::core::serving {

/// `recsys-host serve`'s options; each field is the command-line option of the same name.
struct ServeOptions {
  std::filesystem::path run_directory;
  std::string checkpoint = "best";              ///< best or last
  std::string host = "127.0.0.1";               ///< the address to listen on
  int port = 8080;                              ///< 0: any free port (printed when listening)
  std::size_t http_threads = 128;               ///< connection workers (a keep-alive connection holds one)
  std::size_t queue = 512;                      ///< connections waiting for a worker before 503 Retry-After
  std::size_t max_body = 1 << 20;               ///< bytes; a longer body is answered 413
  bool admin = false;                           ///< admin endpoints answer beyond loopback too
  std::chrono::microseconds batch_window{500};  ///< ScorerOptions::window
  std::size_t max_batch = 256;                  ///< ScorerOptions::max_batch
  int threads = 0;     ///< the model's operator threads (configure_threads); 0: the run's [training] threads
  IndexOptions index;  ///< --index exact (the default), hnsw or faiss, and their options
};

/// ServedRun::open of the options' run and checkpoint, then the operator threads set.
std::shared_ptr<ServedRun> open_served(const ServeOptions& options);

struct HttpRequest {
  std::string method;  ///< GET, POST, ...
  std::string path;    ///< decoded, without the query string
  QueryParams params;
  std::string body;
  bool from_loopback = true;  ///< the peer is 127.0.0.0/8 or ::1
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The error body of `status` with `message`.
HttpResponse error_response(int status, const std::string& message);

class Service {
 public:
  Service(ServeOptions options, std::shared_ptr<ServedRun> run);

  /// Answers one request (any thread); records it in metrics().
  HttpResponse handle(const HttpRequest& request);
  /// Opens the run's checkpoint again (SIGHUP, POST /admin/reload) and swaps it in: requests
  /// queued before finish on the old one. Throws what ServedRun::open throws, keeping the old.
  void reload();

  ServerMetrics& metrics() { return metrics_; }
  const ServeOptions& options() const { return options_; }

 private:
  HttpResponse route(const HttpRequest& request, Scorer::Arrival& arrival);
  std::string recommend(const RecommendRequest& request, Scorer::Arrival& arrival);
  std::string score(const ScoreRequest& request, Scorer::Arrival& arrival);
  std::string similar(const SimilarRequest& request) const;
  std::string admin_reload(const HttpRequest& request);

  ServeOptions options_;
  ServerMetrics metrics_;
  Scorer scorer_;
  std::mutex reload_mutex_;
};

}  // namespace recsys::core::serving
