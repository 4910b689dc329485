// The serve test's server process, libcurl client and raw sockets (serve_support.hpp).
#include "serve_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

namespace recsys::test {

namespace {

// curl_global_init is not thread-safe: do it once, before any test's threads.
const bool curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;

std::size_t append(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

void set_timeout(int fd, int seconds) {
  timeval limit{seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
}

}  // namespace

Client::Client() : handle_(curl_easy_init()) {
  if (!curl_ready || !handle_) throw std::runtime_error("libcurl did not initialise");
}

Client::~Client() {
  curl_easy_cleanup(handle_);
}

Reply Client::send(const std::string& method, const std::string& url, const std::string* body) {
  Reply reply;
  curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle_, CURLOPT_NOBODY, 0L);
  curl_easy_setopt(handle_, CURLOPT_HTTPGET, body ? 0L : 1L);
  if (body) {
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  // After HTTPGET and POSTFIELDS, which choose GET or POST: the method actually sent.
  curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, append);
  curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &reply.headers);
  curl_easy_setopt(handle_, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
  reply.curl_code = curl_easy_perform(handle_);
  if (reply.curl_code == CURLE_OK) curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &reply.status);
  return reply;
}

ServerProcess::ServerProcess(const std::filesystem::path& run, const std::string& options,
                             const std::filesystem::path& log)
    : pid_(spawn_host("serve '" + run.string() + "' --port 0 " + options, log)), log_(log) {
  const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch match;
    const std::string text = log_text();
    if (std::regex_search(text, match, listening)) {
      port_ = std::stoi(match[1]);
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("recsys-host serve exited before listening:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("recsys-host serve did not listen within 60 s:\n" + log_text());
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(SIGKILL);
}

std::string ServerProcess::url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

int ServerProcess::stop(int signal) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long ServerProcess::resident_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string ServerProcess::log_text() const {
  return read_file(log_);
}

int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  set_timeout(fd, 10);
  return fd;
}

std::string read_until(int fd, const std::string& needle) {
  std::string received;
  char buffer[4096];
  while (needle.empty() || received.find(needle) == std::string::npos) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

std::string exchange(int port, const std::string& bytes) {
  const int fd = connect_loopback(port);
  // MSG_NOSIGNAL: the server may close before reading everything; that is no reason to die.
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string received = read_until(fd, "");
  close(fd);
  return received;
}

}  // namespace recsys::test
