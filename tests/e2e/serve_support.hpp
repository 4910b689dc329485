#pragma once
// What the serve end-to-end test needs around `recsys-host serve`: the server as a child
// process on a free loopback port, a libcurl client, and raw sockets for what no well-behaved
// client sends (garbage bytes, a connection held open, a body sent in two halves).
#include <curl/curl.h>

#include <filesystem>
#include <string>

namespace recsys::test {

/// One HTTP answer; status 0 when no answer came (curl_code says why).
struct Reply {
  long status = 0;
  std::string body;
  std::string headers;  ///< the raw header lines
  int curl_code = 0;
};

/// A libcurl easy handle, reused so that its connection is kept alive between requests.
class Client {
 public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Reply get(const std::string& url) { return send("GET", url, nullptr); }
  Reply post(const std::string& url, const std::string& body) { return send("POST", url, &body); }
  /// `method` to `url` with `body` (none when null), 30 s at most.
  Reply send(const std::string& method, const std::string& url, const std::string* body);

 private:
  CURL* handle_;
};

/// `recsys-host serve RUN --port 0 <options>` in the background, its port read from its log.
class ServerProcess {
 public:
  /// Starts the server and waits (60 s at most) for its "listening on" line; throws
  /// std::runtime_error with the log when it exits or never listens.
  ServerProcess(const std::filesystem::path& run, const std::string& options, const std::filesystem::path& log);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int pid() const { return pid_; }
  int port() const { return port_; }
  /// http://127.0.0.1:PORT followed by `path`.
  std::string url(const std::string& path) const;
  /// Sends `signal` and waits for the exit: its status, or -1 when a signal killed it.
  int stop(int signal);
  /// The server's resident memory in KiB (VmRSS of /proc/PID/status).
  long resident_kib() const;
  std::string log_text() const;

 private:
  int pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_;
};

/// A TCP connection to 127.0.0.1:port (throws std::runtime_error when none is made).
int connect_loopback(int port);
/// Sends `bytes` to 127.0.0.1:port, closes the writing half, and returns all that comes back
/// before the server closes (10 s at most).
std::string exchange(int port, const std::string& bytes);
/// Reads from `fd` until `needle` arrives or the peer closes (10 s at most).
std::string read_until(int fd, const std::string& needle);

}  // namespace recsys::test
