// recsys-host serve end to end: a run trained on ml-100k, served on a free loopback port and
// queried with libcurl. Answers are checked against `recommend` for the same run (same items,
// same order), the fallback against popularity counted from u.data, and the lifecycle (reload
// under load, SIGHUP, SIGTERM with a request in flight, the bounded queue) on servers of their own.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checkpoint_weights.hpp"
#include "recsys/core/checkpoint.hpp"
#include "recsys/core/files.hpp"
#include "serve_support.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using test::Client;
using test::data_env;
using test::HostResult;
using test::Reply;
using test::run_host;
using test::ServerProcess;

const std::vector<std::string> kUsers = {"1", "2", "100", "450", "942"};

/// A 3-epoch MF run on ml-100k, and one server on it for the whole suite.
class ServeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!test::have_movielens_100k()) return;
    dir = new test::TempDir;
    run = test::train_movielens_mf(dir->path(), 3);
    server = new ServerProcess(run, "--max-body 65536", dir->path() / "serve.log");
  }
  static void TearDownTestSuite() {
    if (server) server->stop(SIGTERM);
    delete server;
    delete dir;
  }
  void SetUp() override { RECSYS_REQUIRE_MOVIELENS_100K(); }

  /// `recommend RUN --user U --k K --format json`: a list of {rank, item, title, score}.
  static Json recommend_cli(const std::string& user, int k) {
    const HostResult r =
        run_host("recommend '" + run.string() + "' --user " + user + " --k " + std::to_string(k) + " --format json",
                 data_env(), false);
    EXPECT_EQ(r.status, 0) << r.output;
    return Json::parse(r.output);
  }
  static Json json_of(const Reply& reply) { return Json::parse(reply.body); }

  static inline test::TempDir* dir = nullptr;
  static inline fs::path run;
  static inline ServerProcess* server = nullptr;
  Client client;
};

/// Expects the served list `served` to hold the items of `expected` in the same order, titles
/// equal and scores within 1e-4 (the server scores users in batches of its own).
void expect_same_list(const Json& served, const Json& expected, const std::string& user) {
  ASSERT_EQ(served.size(), expected.size()) << "user " << user;
  for (std::size_t r = 0; r < expected.size(); ++r) {
    EXPECT_EQ(served[r]["rank"], r + 1);
    EXPECT_EQ(served[r]["item"], expected[r]["item"]) << "user " << user << ", rank " << r + 1;
    EXPECT_EQ(served[r]["title"], expected[r]["title"]);
    EXPECT_NEAR(served[r]["score"].get<double>(), expected[r]["score"].get<double>(), 1e-4);
  }
}

/// Expects an error reply: `status`, a JSON body {"error": {"status", "message"}} whose message
/// holds `fragment`.
void expect_error(const Reply& reply, long status, const std::string& fragment) {
  EXPECT_EQ(reply.status, status) << reply.body;
  const Json body = Json::parse(reply.body, nullptr, false);
  ASSERT_TRUE(body.is_object() && body.contains("error")) << reply.body;
  EXPECT_EQ(body["error"]["status"], status);
  EXPECT_NE(body["error"]["message"].get<std::string>().find(fragment), std::string::npos) << reply.body;
}

TEST_F(ServeTest, GetAndPostRecommendGiveTheListsOfRecommend) {
  Json batch = {{"users", kUsers}, {"k", 10}};
  const Reply posted = client.post(server->url("/recommend"), batch.dump());
  ASSERT_EQ(posted.status, 200) << posted.body;
  const Json results = json_of(posted)["results"];
  ASSERT_EQ(results.size(), kUsers.size());
  for (std::size_t u = 0; u < kUsers.size(); ++u) {
    const Json expected = recommend_cli(kUsers[u], 10);
    const Reply got = client.get(server->url("/recommend?user=" + kUsers[u] + "&k=10"));
    ASSERT_EQ(got.status, 200) << got.body;
    EXPECT_EQ(json_of(got)["user"], kUsers[u]);
    EXPECT_TRUE(json_of(got)["fallback"].is_null());
    expect_same_list(json_of(got)["items"], expected, kUsers[u]);
    EXPECT_EQ(results[u]["user"], kUsers[u]);
    expect_same_list(results[u]["items"], expected, kUsers[u]);
  }
}

TEST_F(ServeTest, KIsClampedToTheCatalogueAsRecommendDoesAndValidated) {
  const Reply all = client.get(server->url("/recommend?user=1&k=100000"));
  ASSERT_EQ(all.status, 200) << all.body;
  const Json expected = recommend_cli("1", 100000);
  EXPECT_LT(expected.size(), 1447u);  // the catalogue less user 1's seen items
  expect_same_list(json_of(all)["items"], expected, "1");
  expect_error(client.get(server->url("/recommend?user=1&k=0")), 400, "'k' must be at least 1");
  expect_error(client.get(server->url("/recommend?user=1&k=ten")), 400, "'k': expected an integer");
  expect_error(client.get(server->url("/recommend?user=1&k=-3")), 400, "'k'");
}

TEST_F(ServeTest, ScoreMatchesTheFullListAndCandidatesAreRankedByIt) {
  const Reply full = client.get(server->url("/recommend?user=2&k=1447&exclude_seen=false"));
  ASSERT_EQ(full.status, 200) << full.body;
  const Json items = json_of(full)["items"];
  ASSERT_EQ(items.size(), 1447u);
  std::map<std::string, double> listed;
  for (const Json& entry : items) listed[entry["item"]] = entry["score"];
  const std::vector<std::string> candidates = {"50", "181", "1", "7", "300", "1000", "13", "222"};
  const Reply scored = client.post(server->url("/score"), Json{{"user", "2"}, {"items", candidates}}.dump());
  ASSERT_EQ(scored.status, 200) << scored.body;
  std::vector<std::pair<double, std::string>> by_score;
  const Json scores = json_of(scored)["scores"];  // a copy: the range of a for must outlive the loop
  for (const Json& entry : scores) {
    EXPECT_NEAR(entry["score"].get<double>(), listed.at(entry["item"]), 1e-4) << entry.dump();
    by_score.emplace_back(entry["score"], entry["item"]);
  }
  ASSERT_EQ(by_score.size(), candidates.size());
  std::sort(by_score.rbegin(), by_score.rend());
  const Json ask = {{"user", "2"}, {"items", candidates}, {"k", 3}, {"exclude_seen", false}};
  const Reply ranked = client.post(server->url("/recommend"), ask.dump());
  ASSERT_EQ(ranked.status, 200) << ranked.body;
  const Json top = json_of(ranked)["items"];
  ASSERT_EQ(top.size(), 3u);
  for (int r = 0; r < 3; ++r) EXPECT_EQ(top[r]["item"], by_score[r].second) << r;
}

/// The item with the most ratings of 4 or more in u.data (the training positives' leader by far).
std::string most_liked_item() {
  std::map<std::string, int> count;
  std::ifstream ratings(test::data_root() / "ml-100k" / "u.data");
  for (std::string user, item, rating, time; ratings >> user >> item >> rating >> time;) {
    if (std::stoi(rating) >= 4) ++count[item];
  }
  return std::max_element(count.begin(), count.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
}

TEST_F(ServeTest, AnUnknownUserGetsThePopularItemsOrA404) {
  const Reply got = client.get(server->url("/recommend?user=nobody&k=5"));
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(json_of(got)["fallback"], "popular");
  ASSERT_EQ(json_of(got)["items"].size(), 5u);
  EXPECT_EQ(json_of(got)["items"][0]["item"], most_liked_item());
  expect_error(client.get(server->url("/recommend?user=nobody&fallback=none")), 404, "nobody");
  const Reply mixed = client.post(server->url("/recommend"), Json{{"users", {"1", "nobody"}}, {"k", 2}}.dump());
  ASSERT_EQ(mixed.status, 200) << mixed.body;
  EXPECT_TRUE(json_of(mixed)["results"][0]["fallback"].is_null());
  EXPECT_EQ(json_of(mixed)["results"][1]["fallback"], "popular");
  // With candidates, the popular ones among them.
  const std::string top = most_liked_item();
  const Json ask = {{"user", "nobody"}, {"items", {"2", top, "1"}}, {"k", 2}};
  const Json among = json_of(client.post(server->url("/recommend"), ask.dump()))["items"];
  ASSERT_EQ(among.size(), 2u) << among.dump();
  EXPECT_EQ(among[0]["item"], top);
  EXPECT_TRUE(among[1]["item"] == "1" || among[1]["item"] == "2") << among.dump();
}

TEST_F(ServeTest, SimilarItemsAreTheNearestByCosineWhichIsSymmetric) {
  const Reply got = client.get(server->url("/similar?item=50&k=5"));
  ASSERT_EQ(got.status, 200) << got.body;
  const Json items = json_of(got)["items"];
  ASSERT_EQ(items.size(), 5u);
  for (std::size_t r = 0; r < items.size(); ++r) {
    EXPECT_NE(items[r]["item"], "50");
    EXPECT_LE(std::abs(items[r]["score"].get<double>()), 1.0 + 1e-9);
    if (r > 0) {
      EXPECT_LE(items[r]["score"].get<double>(), items[r - 1]["score"].get<double>());
    }
  }
  // cos(50, x) read from x's own list of every other item.
  const std::string nearest = items[0]["item"];
  const Reply back = client.get(server->url("/similar?item=" + nearest + "&k=1446"));
  ASSERT_EQ(back.status, 200) << back.body;
  bool found = false;
  const Json others = json_of(back)["items"];
  ASSERT_EQ(others.size(), 1446u);
  for (const Json& entry : others) {
    if (entry["item"] != "50") continue;
    found = true;
    EXPECT_NEAR(entry["score"].get<double>(), items[0]["score"].get<double>(), 1e-6);
  }
  EXPECT_TRUE(found);
  expect_error(client.get(server->url("/similar?item=99999")), 404, "99999");
}

TEST_F(ServeTest, BadRequestsGetTheRightStatusAndAJsonError) {
  expect_error(client.get(server->url("/nope")), 404, "/nope");
  const Reply deleted = client.send("DELETE", server->url("/recommend"), nullptr);
  expect_error(deleted, 405, "DELETE");
  EXPECT_NE(deleted.headers.find("Allow: GET, POST"), std::string::npos) << deleted.headers;
  expect_error(client.post(server->url("/recommend"), "{\"user\": "), 400, "not JSON");
  expect_error(client.post(server->url("/score"), Json{{"user", "1"}, {"items", {"50", "x9"}}}.dump()), 400,
               "not in the run's catalogue");
  expect_error(client.get(server->url("/recommend?user=1&colour=red")), 400, "unknown query parameter 'colour'");
  const std::string huge = Json{{"user", "1"}, {"items", std::vector<std::string>(7000, "123456789")}}.dump();
  ASSERT_GT(huge.size(), 65536u);
  expect_error(client.post(server->url("/score"), huge), 413, "--max-body");
  EXPECT_EQ(client.get(server->url("/recommend?user=1")).status, 200);
}

TEST_F(ServeTest, HealthzAndMetricsDescribeTheServer) {
  const Reply health = client.get(server->url("/healthz"));
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(json_of(health)["status"], "ok");
  EXPECT_EQ(json_of(health)["checkpoint"], "best");
  ASSERT_EQ(client.get(server->url("/recommend?user=1")).status, 200);
  const Reply metrics = client.get(server->url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  for (const std::string line : {"# TYPE recsys_http_requests_total counter",
                                 "recsys_http_requests_total{endpoint=\"/recommend\",status=\"200\"}",
                                 "recsys_http_request_duration_seconds_bucket{endpoint=\"/recommend\",le=\"+Inf\"}",
                                 "recsys_served_run_info{run=\"", "checkpoint=\"best\""}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  }
}

TEST_F(ServeTest, AnApproximateIndexMeasuresItsRecallAndFindsTheExactLists) {
  for (const std::string kind : {"hnsw", "faiss"}) {
    ServerProcess own(run, "--index " + kind, dir->path() / (kind + ".log"));
    Client mine;
    const Json health = json_of(mine.get(own.url("/healthz")));
    EXPECT_EQ(health["index"], kind);
    EXPECT_GE(health["index_recall_at_10"].get<double>(), 0.95) << kind;
    EXPECT_NE(own.log_text().find("recall@10"), std::string::npos) << own.log_text();
    int shared = 0;
    for (const std::string& user : kUsers) {
      const Json expected = recommend_cli(user, 10);
      const Json served = json_of(mine.get(own.url("/recommend?user=" + user + "&k=10")))["items"];
      ASSERT_EQ(served.size(), 10u) << kind;
      for (const Json& got : served) {
        for (const Json& want : expected) {
          if (got["item"] != want["item"]) continue;
          ++shared;  // rescored exactly: the same score as the exact path
          EXPECT_NEAR(got["score"].get<double>(), want["score"].get<double>(), 1e-4) << kind;
        }
      }
    }
    EXPECT_GE(shared, 45) << kind << ": of the 50 exact top-10 items of " << kUsers.size() << " users";
    EXPECT_EQ(own.stop(SIGTERM), 0) << own.log_text();
  }
}

/// Seeded malformed traffic: raw bytes, query strings and JSON bodies no client should send.
class Garbage {
 public:
  explicit Garbage(unsigned seed) : random_(seed) {}

  std::string bytes(std::size_t longest) {
    std::string out(pick(longest) + 1, '\0');
    for (char& c : out) c = static_cast<char>(pick(256));
    return out;
  }
  /// A path and query of known and unknown endpoints, parameters and escapes.
  std::string target() {
    static const std::vector<std::string> paths = {"/recommend",     "/score", "/similar", "/metrics",   "/healthz",
                                                   "/admin/reloadx", "/",      "/%zz",     "/recommend/"};
    std::string out = paths[pick(paths.size())] + "?";
    for (std::size_t n = pick(4); n > 0; --n) out += piece() + "=" + piece() + "&";
    return out;
  }
  /// A valid request body with one to three mutations (cut, changed byte, inserted piece).
  std::string body() {
    static const std::vector<std::string> valid = {
        R"({"user": "1", "k": 5})", R"({"users": ["1", 2, "nobody"], "items": ["50", "181"], "k": 2})",
        R"({"user": "1", "items": ["50", "1"], "context": {"hour": 3}})", R"({"user": 1, "exclude_seen": false})"};
    std::string out = valid[pick(valid.size())];
    for (std::size_t n = pick(3) + 1; n > 0 && !out.empty(); --n) {
      const std::size_t at = pick(out.size());
      if (const auto how = pick(3); how == 0)
        out.resize(at);
      else if (how == 1)
        out[at] = static_cast<char>(pick(256));
      else
        out.insert(at, piece());
    }
    return out;
  }
  std::string method() {
    static const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
    return methods[pick(methods.size())];
  }
  std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_); }

 private:
  std::string piece() {
    static const std::vector<std::string> pieces = {
        "user",   "k",  "items", "context", "exclude_seen",         "fallback", "%",  "%zz",    "%FF%FE", "%00",
        "%C3%28", "-1", "0",     "1e309",   "99999999999999999999", "nobody",   "50", "%7B%22", "%5B",    "none",
        "true",   ""};
    return pieces[pick(pieces.size())];
  }
  std::mt19937 random_;
};

/// Sends `count` malformed requests: one in ten as raw bytes on a fresh connection, the others
/// through libcurl. Every answer must be a 2xx or 4xx (with a JSON error), never a 5xx.
void send_garbage(Garbage& garbage, const ServerProcess& server, Client& client, int count) {
  for (int i = 0; i < count; ++i) {
    if (i % 10 == 0) {
      const std::string raw = i % 20 == 0
                                  ? garbage.bytes(300)
                                  : "GET " + garbage.target() + " HTTP/1.1\r\n" + garbage.bytes(60) + "\r\n\r\n";
      const std::string answer = test::exchange(server.port(), raw);
      EXPECT_TRUE(answer.empty() || answer.rfind("HTTP/1.1 5", 0) != 0) << answer.substr(0, 200);
      continue;
    }
    const std::string method = garbage.method(), body = garbage.body();
    const Reply reply = client.send(method, server.url(garbage.target()), method == "GET" ? nullptr : &body);
    ASSERT_EQ(reply.curl_code, CURLE_OK) << "request " << i;
    ASSERT_LT(reply.status, 500) << method << " " << body << "\n" << reply.body;
    if (reply.status >= 400) {
      const Json error = Json::parse(reply.body, nullptr, false);
      EXPECT_TRUE(error.is_object() && error.contains("error") && error["error"]["status"] == reply.status)
          << reply.status << " " << reply.body;
    }
  }
}

TEST_F(ServeTest, TenThousandMalformedRequestsLeaveItServingInFlatMemory) {
  Garbage garbage(20261204);
  send_garbage(garbage, *server, client, 1000);  // warm-up: every code path and arena touched once
  const long before = server->resident_kib();
  send_garbage(garbage, *server, client, 10000);
  const long after = server->resident_kib();
  EXPECT_LE(after - before, 10240) << "resident memory grew from " << before << " KiB to " << after << " KiB";
  const Reply still = client.get(server->url("/recommend?user=1&k=10"));
  ASSERT_EQ(still.status, 200) << still.body;
  expect_same_list(json_of(still)["items"], recommend_cli("1", 10), "1");
}

/// Rewrites `served`'s best.pt as epoch `epoch` with every item table negated, so that its
/// answers differ from the trained checkpoint's.
void write_negated_checkpoint(const fs::path& served, std::int64_t epoch) {
  std::map<std::string, torch::Tensor> weights = test::read_checkpoint_weights(served / "checkpoints" / "best.pt");
  for (auto& [name, tensor] : weights) {
    if (name.find("item") != std::string::npos && tensor.dim() == 2) tensor.neg_();
  }
  core::TrainingProgress progress;
  progress.epoch = progress.best_epoch = epoch;
  core::write_file_atomically(served / "checkpoints" / "best.pt",
                              core::serialize_checkpoint(*test::module_of(weights), nullptr, progress,
                                                         test::read_file(served / "config.toml")));
}

/// Waits (30 s at most) until `predicate` holds.
template <typename F>
bool eventually(F predicate) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST_F(ServeTest, ReloadUnderLoadServesTheNewCheckpointAndDropsNoRequest) {
  test::TempDir copy;
  const fs::path served = copy.path() / "run";
  fs::copy(run, served, fs::copy_options::recursive);
  ServerProcess own(served, "", copy.path() / "serve.log");
  Client admin;
  const Json before = json_of(admin.get(own.url("/recommend?user=1")))["items"];
  std::atomic<bool> done{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> load;
  for (const std::string& user : kUsers) {
    load.emplace_back([&, user] {
      Client mine;
      while (!done) ++(mine.get(own.url("/recommend?user=" + user)).status == 200 ? answered : failed);
    });
  }
  ASSERT_TRUE(eventually([&] { return answered > 50; }));
  write_negated_checkpoint(served, 9);
  const Reply reloaded = admin.post(own.url("/admin/reload"), "");
  const int at_reload = answered;
  EXPECT_TRUE(eventually([&] { return answered > at_reload + 50; }));
  done = true;
  for (std::thread& t : load) t.join();
  ASSERT_EQ(reloaded.status, 200) << reloaded.body;
  EXPECT_EQ(json_of(reloaded)["epoch"], 9);
  EXPECT_EQ(failed, 0) << "of " << answered << " requests";
  const Json after = json_of(admin.get(own.url("/recommend?user=1")))["items"];
  EXPECT_NE(after[0]["item"], before[0]["item"]);
  const HostResult cli = run_host("recommend '" + served.string() + "' --user 1 --format json", data_env(), false);
  expect_same_list(after, Json::parse(cli.output), "1");
  kill(own.pid(), SIGHUP);
  EXPECT_TRUE(eventually([&] {
    return admin.get(own.url("/metrics")).body.find("recsys_reloads_total 2\n") != std::string::npos;
  })) << own.log_text();
  EXPECT_NE(admin.get(own.url("/metrics")).body.find("epoch=\"9\""), std::string::npos);
  EXPECT_EQ(own.stop(SIGTERM), 0) << own.log_text();
}

/// Sends all of `bytes` on `fd`.
void send_all(int fd, const std::string& bytes) {
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << "the server closed the connection";
    sent += static_cast<std::size_t>(n);
  }
}

TEST_F(ServeTest, SigtermFinishesTheRequestInFlightThenExitsZero) {
  ServerProcess own(run, "", dir->path() / "sigterm.log");
  const std::string body = Json{{"users", kUsers}, {"k", 5}}.dump();
  const int fd = test::connect_loopback(own.port());
  send_all(fd,
           "POST /recommend HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body.substr(0, body.size() / 2));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(own.pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  send_all(fd, body.substr(body.size() / 2));
  const std::string answer = test::read_until(fd, "");
  close(fd);
  ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  const Json results = Json::parse(answer.substr(answer.find("\r\n\r\n") + 4))["results"];
  EXPECT_EQ(results.size(), kUsers.size());
  EXPECT_EQ(own.stop(0), 0) << own.log_text();  // signalled already: wait for its exit
  EXPECT_NE(own.log_text().find("finishing the requests in flight"), std::string::npos);
}

TEST_F(ServeTest, AFullQueueAnswers503WithRetryAfterAndRecovers) {
  ServerProcess own(run, "--http-threads 1 --queue 0", dir->path() / "queue.log");
  const int held = test::connect_loopback(own.port());  // a keep-alive connection holds the one worker
  send_all(held, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_NE(test::read_until(held, "}").find("HTTP/1.1 200"), std::string::npos);
  Client client;
  const Reply busy = client.get(own.url("/healthz"));
  expect_error(busy, 503, "at capacity");
  EXPECT_NE(busy.headers.find("Retry-After: 1"), std::string::npos) << busy.headers;
  close(held);
  EXPECT_TRUE(eventually([&] { return client.get(own.url("/healthz")).status == 200; }));
  EXPECT_EQ(own.stop(SIGTERM), 0) << own.log_text();
}

}  // namespace
}  // namespace recsys
