// Closed-loop load client for `recsys-host serve` (bench/serve_load.sh runs it against MF and
// DCN-V2 runs on ml-100k). Each client is a thread with one keep-alive libcurl connection that
// sends its next request as soon as the previous answer arrives; a round stops after
// --requests requests in all or --seconds, whichever comes first. Prints one line per round:
// clients, requests, errors (non-200 answers or transport failures), requests/s, p50 and p99
// latency in milliseconds (per request, from send to the last byte of the answer).
//
//   recsys-bench-serve-load --url http://127.0.0.1:8080 --workload recommend --clients 1,8,64
//   recsys-bench-serve-load --url ... --workload score --candidates 200 --clients 1,8
//
// Workloads: `recommend` is GET /recommend?user=U&k=10 (seen items excluded, the default),
// the users among 1..--users that the run knows in turn (no popular fallbacks); `score` is POST /score of --candidates
// items drawn uniformly (seeded) from the run's catalogue, which the client reads first from the server itself (every
// item of user 1's full list), for the same users in turn.
#include <curl/curl.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url = "http://127.0.0.1:8080";
  std::string workload = "recommend";
  std::vector<int> clients = {1, 8, 64};
  long requests = 20000;  // per round, all clients together
  double seconds = 10.0;  // per round
  int users = 943, candidates = 200, k = 10;
  std::vector<std::string> catalogue;  // the served run's item ids (workload score)
  std::vector<std::string> known;      // the ids among 1..users the run knows (no fallback answers)
  int warmup = 200;                    // requests per round before timing starts (connections, caches)
};

std::vector<int> parse_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, ',');) out.push_back(std::stoi(part));
  return out;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--url")
      o.url = value;
    else if (key == "--workload")
      o.workload = value;
    else if (key == "--clients")
      o.clients = parse_list(value);
    else if (key == "--requests")
      o.requests = std::stol(value);
    else if (key == "--seconds")
      o.seconds = std::stod(value);
    else if (key == "--users")
      o.users = std::stoi(value);
    else if (key == "--candidates")
      o.candidates = std::stoi(value);
    else if (key == "--k")
      o.k = std::stoi(value);
    else if (key == "--warmup")
      o.warmup = std::stoi(value);
    else
      throw std::invalid_argument("unknown option " + key);
  }
  if (o.workload != "recommend" && o.workload != "score") throw std::invalid_argument("--workload: recommend|score");
  return o;
}

std::size_t keep(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

/// One request of the workload, for the n-th request of a client.
struct Request {
  std::string url, body;  // body empty: GET
};

Request make_request(const Options& o, std::mt19937& random, long n) {
  const std::string& user = o.known[static_cast<std::size_t>(n) % o.known.size()];
  if (o.workload == "recommend") return {o.url + "/recommend?user=" + user + "&k=" + std::to_string(o.k), ""};
  std::uniform_int_distribution<std::size_t> item(0, o.catalogue.size() - 1);
  std::string body = "{\"user\": \"" + user + "\", \"items\": [";
  for (int c = 0; c < o.candidates; ++c) body += (c ? ",\"" : "\"") + o.catalogue[item(random)] + "\"";
  return {o.url + "/score", body + "]}"};
}

/// A client's keep-alive connection; returns whether the answer was a 200.
class Connection {
 public:
  Connection() : handle_(curl_easy_init()) {
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &sink_);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(handle_, CURLOPT_TCP_NODELAY, 1L);
    headers_ = curl_slist_append(nullptr, "Content-Type: application/json");
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
  }
  ~Connection() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(handle_);
  }
  const std::string& body() const { return sink_; }
  bool send(const Request& r) {
    sink_.clear();
    curl_easy_setopt(handle_, CURLOPT_URL, r.url.c_str());
    if (r.body.empty()) {
      curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, r.body.c_str());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    }
    long status = 0;
    if (curl_easy_perform(handle_) != CURLE_OK) return false;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    return status == 200;
  }

 private:
  CURL* handle_;
  curl_slist* headers_;
  std::string sink_;
};

/// The served run's item ids: user 1's list of every item, seen ones included.
std::vector<std::string> read_catalogue(const std::string& url) {
  Connection connection;
  if (!connection.send({url + "/recommend?user=1&k=100000000&exclude_seen=false", ""})) {
    throw std::runtime_error("GET " + url + "/recommend for the catalogue failed: " + connection.body());
  }
  const nlohmann::json list = nlohmann::json::parse(connection.body());  // kept: the loop's range points into it
  std::vector<std::string> items;
  for (const auto& entry : list["items"]) items.push_back(entry["item"]);
  if (items.empty()) throw std::runtime_error("the served run listed no items for user 1");
  return items;
}

/// The ids among 1..users that the run knows (GET /recommend with fallback=none answers 200).
std::vector<std::string> known_users(const std::string& url, int users) {
  Connection connection;
  std::vector<std::string> known;
  for (int u = 1; u <= users; ++u) {
    const std::string id = std::to_string(u);
    if (connection.send({url + "/recommend?user=" + id + "&k=1&fallback=none", ""})) known.push_back(id);
  }
  if (known.empty()) throw std::runtime_error("the served run knows none of the users 1.." + std::to_string(users));
  return known;
}

struct Round {
  std::vector<double> latencies_ms;
  long errors = 0;
  double seconds = 0.0;
};

/// `clients` threads in a closed loop until the round's requests or time are used up. The
/// clock starts once every client has warmed up its connection (a spin barrier), so
/// requests/s counts timed requests over timed wall time.
Round run_round(const Options& o, int clients) {
  std::atomic<long> issued{0};
  std::atomic<int> ready{0};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<long> errors(clients, 0);
  Clock::time_point start, deadline;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Connection connection;
      std::mt19937 random(1000 + c);
      for (int w = 0; w < o.warmup / clients + 1; ++w) connection.send(make_request(o, random, w * clients + c));
      if (++ready == clients) {
        start = Clock::now();
        deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
        ready = clients + 1;  // releases the others after start and deadline are written
      }
      while (ready.load() <= clients) std::this_thread::yield();
      for (long n; (n = issued++) < o.requests && Clock::now() < deadline;) {
        const Request request = make_request(o, random, n);
        const auto sent = Clock::now();
        errors[c] += connection.send(request) ? 0 : 1;
        latencies[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Round round;
  round.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (int c = 0; c < clients; ++c) {
    round.latencies_ms.insert(round.latencies_ms.end(), latencies[c].begin(), latencies[c].end());
    round.errors += errors[c];
  }
  return round;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0.0;
  const auto at = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at), values.end());
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Options o = parse_options(argc, argv);
    if (o.workload == "score") o.catalogue = read_catalogue(o.url);
    o.known = known_users(o.url, o.users);
    std::printf("%-10s %8s %9s %7s %12s %9s %9s\n", "workload", "clients", "requests", "errors", "requests/s", "p50 ms",
                "p99 ms");
    for (const int clients : o.clients) {
      const Round r = run_round(o, clients);
      const double rate = static_cast<double>(r.latencies_ms.size()) / r.seconds;
      std::printf("%-10s %8d %9zu %7ld %12.0f %9.3f %9.3f %9.3f\n", o.workload.c_str(), clients, r.latencies_ms.size(),
                  r.errors, rate, percentile(r.latencies_ms, 0.5), percentile(r.latencies_ms, 0.99),
                  percentile(r.latencies_ms, 1.0));
      std::fflush(stdout);
    }
    curl_global_cleanup();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recsys-bench-serve-load: %s\n", e.what());
    return 2;
  }
}
