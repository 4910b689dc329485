// `recsys-host serve` on cpp-httplib: a bounded worker pool, the routes, errors and signals.
#include "recsys/core/serving/http_server.hpp"

#include <signal.h>
#include <sys/socket.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include "recsys/errors.hpp"

namespace recsys::core::serving {

namespace {

/// Whether this thread serves a connection that arrived while the queue was full: each of its
/// requests is answered 503 with Retry-After and Connection: close.
thread_local bool overloaded = false;

/// cpp-httplib's TaskQueue with a bound: `workers` threads serve connections; at most
/// `capacity` wait for one while all are busy. A connection beyond that goes to one rejecting thread that answers
/// its requests 503 (cpp-httplib's enqueue cannot refuse a connection, nor close it unread).
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(std::size_t workers, std::size_t capacity) : workers_(workers), capacity_(capacity) {
    for (std::size_t w = 0; w < workers; ++w) threads_.emplace_back([this] { work(jobs_, false); });
    threads_.emplace_back([this] { work(rejected_, true); });
  }
  void enqueue(std::function<void()> fn) override {
    {
      const std::lock_guard lock(mutex_);
      const bool room = busy_ + jobs_.size() < workers_ + capacity_;
      (room ? jobs_ : rejected_).push_back(std::move(fn));
    }
    wake_.notify_all();
  }
  /// Serves what is queued, then joins the threads.
  void shutdown() override {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

 private:
  void work(std::deque<std::function<void()>>& queue, bool rejecting) {
    overloaded = rejecting;
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || !queue.empty(); });
        if (queue.empty()) return;
        fn = std::move(queue.front());
        queue.pop_front();
        busy_ += rejecting ? 0 : 1;
      }
      fn();
      if (rejecting) continue;
      const std::lock_guard lock(mutex_);
      --busy_;
    }
  }

  std::size_t workers_, capacity_;
  std::size_t busy_ = 0;  // workers serving a connection
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_, rejected_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address.rfind("::ffff:127.", 0) == 0;
}

std::string reason(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 408:
      return "request timeout";
    case 413:
      return "request body over the server's limit (--max-body)";
    case 414:
      return "URI too long";
    case 431:
      return "request header fields too large";
    case 503:
      return "the server is at capacity; retry after the Retry-After seconds";
    default:
      return "HTTP status " + std::to_string(status);
  }
}

void answer(httplib::Response& res, const HttpResponse& response) {
  res.status = response.status;
  for (const auto& [name, value] : response.headers) res.set_header(name, value);
  res.set_content(response.body, response.content_type.c_str());
}

void route(httplib::Server& server, Service& service) {
  const auto handler = [&service](const httplib::Request& req, httplib::Response& res) {
    answer(res, service.handle({req.method, req.path, req.params, req.body, is_loopback(req.remote_addr)}));
  };
  server.Get(".*", handler).Post(".*", handler).Put(".*", handler).Delete(".*", handler).Patch(".*", handler);
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (!overloaded) return httplib::Server::HandlerResponse::Unhandled;
    HttpResponse busy = error_response(503, reason(503));
    busy.headers = {{"Retry-After", "1"}, {"Connection", "close"}};
    answer(res, busy);
    return httplib::Server::HandlerResponse::Handled;
  });
  // cpp-httplib's own refusals (413, 400 for a malformed request line, ...) carry no body:
  // give them the JSON error of every other answer.
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    answer(res, error_response(res.status, reason(res.status)));
    return httplib::Server::HandlerResponse::Handled;
  }));
}

/// Binds and listens. cpp-httplib's defaults are replaced on the listening socket: its
/// SO_REUSEPORT would let a second server share the port silently (SO_REUSEADDR still allows a
/// restart while old connections sit in TIME_WAIT), and its compiled-in listen backlog of 5
/// drops the SYNs of clients that connect together (each then waits 1-3 s to retransmit), so
/// the socket listens again with the system's largest backlog.
int bind(httplib::Server& server, const ServeOptions& options) {
  const auto listening = std::make_shared<int>(-1);
  server.set_socket_options([listening](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    *listening = sock;
  });
  int port = 0;
  if (options.port == 0) {
    port = server.bind_to_any_port(options.host);
  } else if (server.bind_to_port(options.host, options.port)) {
    port = options.port;
  }
  if (port > 0 && ::listen(*listening, SOMAXCONN) == 0) return port;
  throw Error("serve: cannot listen on " + options.host + ":" + std::to_string(options.port) +
              " (address in use, or not an address of this machine?)");
}

/// Waits for signals until SIGTERM or SIGINT: SIGHUP reloads the checkpoint.
void handle_signals(const sigset_t& signals, Service& service, httplib::Server& server) {
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      try {
        service.reload();
      } catch (const std::exception& e) {
        spdlog::error("serve: SIGHUP: reload failed, still serving the previous checkpoint: {}", e.what());
      }
      continue;
    }
    spdlog::info("serve: signal {}: finishing the requests in flight", signal);
    server.stop();
    return;
  }
}

/// Requests one keep-alive connection may carry before the server closes it.
constexpr std::size_t kKeepAliveRequests = 1000000;

}  // namespace

int serve(const ServeOptions& options) {
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGHUP, SIGINT, SIGTERM}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Service service(options, open_served(options));
  httplib::Server server;
  server.new_task_queue = [&options] { return new BoundedPool(options.http_threads, options.queue); };
  server.set_payload_max_length(options.max_body);
  // cpp-httplib writes a response's headers and body in separate sends: with Nagle's algorithm
  // on, the body waits for the client's delayed ACK (40 ms on Linux) on every keep-alive reply.
  server.set_tcp_nodelay(true);
  // cpp-httplib closes a keep-alive connection after 5 requests by default: under load every
  // client then reconnects every 5 requests, overflowing the library's listen backlog of 5, and
  // the SYNs dropped wait 1-3 s for their retransmission. A connection now lasts until idle.
  server.set_keep_alive_max_count(kKeepAliveRequests);
  route(server, service);
  const int port = bind(server, options);
  std::printf("recsys-host serve: listening on http://%s:%d\n", options.host.c_str(), port);
  std::fflush(stdout);
  std::thread listener([&server] { server.listen_after_bind(); });
  handle_signals(signals, service, server);
  listener.join();
  spdlog::info("serve: stopped");
  return 0;
}

}  // namespace recsys::core::serving
