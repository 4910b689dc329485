// The endpoints of `recsys-host serve`: routing, the JSON answers, errors and metrics.
#include "recsys/core/serving/service.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/core/runtime_info.hpp"
#include "recsys/errors.hpp"

namespace recsys::core::serving {

namespace {

using Json = nlohmann::ordered_json;

/// The methods each endpoint answers.
const std::map<std::string, std::vector<std::string>>& routes() {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"/recommend", {"GET", "POST"}}, {"/score", {"POST"}},  {"/similar", {"GET"}},
      {"/healthz", {"GET"}},           {"/metrics", {"GET"}}, {"/admin/reload", {"POST"}}};
  return table;
}

/// `json` as compact text; bytes that are not UTF-8 (an id or parameter a client sent
/// percent-encoded) become U+FFFD instead of throwing.
std::string text(const Json& json) {
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json items_json(const std::vector<Recommendation>& items) {
  Json out = Json::array();
  for (std::size_t r = 0; r < items.size(); ++r) {
    out.push_back({{"rank", r + 1}, {"item", items[r].item}, {"title", items[r].title}, {"score", items[r].score}});
  }
  return out;
}

/// The contiguous ids of `items` (original ids); an id the catalogue lacks is a 400.
torch::Tensor item_indices(const ServedRun& run, const std::vector<std::string>& items, const std::string& key) {
  std::vector<std::int64_t> ids;
  for (const std::string& item : items) {
    const auto i = run.item_index(item);
    if (!i) throw HttpError(400, "'" + key + "': item '" + item + "' is not in the run's catalogue");
    ids.push_back(*i);
  }
  return torch::tensor(ids, torch::kInt64);
}

std::string unknown_user(const ServedRun& run, const std::string& user) {
  return "user '" + user + "' is not among the run's " + std::to_string(run.num_users()) + " users";
}

/// Status and message of an exception a handler threw.
std::pair<int, std::string> status_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const HttpError& e) {
    return {e.status(), e.what()};
  } catch (const ConfigError& e) {  // a bad context entry
    return {400, e.what()};
  } catch (const std::invalid_argument& e) {
    return {400, e.what()};
  } catch (const std::exception& e) {
    return {500, e.what()};
  }
}

}  // namespace

std::shared_ptr<ServedRun> open_served(const ServeOptions& options) {
  std::shared_ptr<ServedRun> run = ServedRun::open(options.run_directory, options.checkpoint, options.index);
  // open() set the run's [training] threads; --threads overrides them.
  log_blas(options.threads > 0 ? configure_threads(options.threads) : run->run().threads);
  return run;
}

HttpResponse error_response(int status, const std::string& message) {
  HttpResponse response;
  response.status = status;
  response.body = text(Json{{"error", {{"status", status}, {"message", message}}}});
  return response;
}

Service::Service(ServeOptions options, std::shared_ptr<ServedRun> run)
    : options_(std::move(options)), scorer_(run, ScorerOptions{options_.batch_window, options_.max_batch}) {
  metrics_.set_served(options_.run_directory.string(), run->checkpoint(), run->run().epoch);
}

HttpResponse Service::handle(const HttpRequest& request) {
  const auto start = std::chrono::steady_clock::now();
  Scorer::Arrival arrival = scorer_.in_flight();
  HttpResponse response;
  try {
    response = route(request, arrival);
  } catch (...) {
    const auto [status, message] = status_of(std::current_exception());
    if (status >= 500) spdlog::error("{} {}: {}", request.method, request.path, message);
    response = error_response(status, message);
  }
  const std::string endpoint = routes().count(request.path) ? request.path : "other";
  metrics_.record(endpoint, response.status,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

HttpResponse Service::route(const HttpRequest& request, Scorer::Arrival& arrival) {
  const auto route = routes().find(request.path);
  if (route == routes().end()) throw HttpError(404, "no endpoint " + request.path);
  const auto& methods = route->second;
  if (std::find(methods.begin(), methods.end(), request.method) == methods.end()) {
    HttpResponse response = error_response(405, request.method + " " + request.path + ": method not allowed");
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  HttpResponse response;
  const std::string& path = request.path;
  if (path != "/recommend" && path != "/score") arrival.queued();  // no model call to batch
  if (path == "/recommend") {
    response.body = recommend(
        request.method == "GET" ? parse_recommend_query(request.params) : parse_recommend_body(request.body), arrival);
  } else if (path == "/score") {
    response.body = score(parse_score_body(request.body), arrival);
  } else if (path == "/similar") {
    response.body = similar(parse_similar_query(request.params));
  } else if (path == "/healthz") {
    const auto run = scorer_.run();
    Json health = {{"status", "ok"},
                   {"checkpoint", run->checkpoint()},
                   {"epoch", run->run().epoch},
                   {"index", options_.index.kind}};
    if (run->index_recall()) health["index_recall_at_10"] = *run->index_recall();
    response.body = text(health);
  } else if (path == "/metrics") {
    response.body = metrics_.exposition();
    response.content_type = "text/plain; version=0.0.4";
  } else {
    response.body = admin_reload(request);
  }
  return response;
}

std::string Service::recommend(const RecommendRequest& request, Scorer::Arrival& arrival) {
  const std::shared_ptr<ServedRun> run = scorer_.run();
  const torch::Tensor candidates = request.items.empty() ? torch::Tensor() : item_indices(*run, request.items, "items");
  std::vector<RankingQuery> queries;
  std::vector<bool> known;
  for (const std::string& user : request.users) {
    const auto u = run->user_index(user);
    known.push_back(u.has_value());
    if (u) {
      queries.push_back({*u, request.k, request.exclude_seen, request.context, candidates});
    } else if (request.has_user_features) {
      throw HttpError(422, unknown_user(*run, user) + ", and the run's model scores users by their id only: it " +
                               "cannot score side features of a user it never saw");
    } else if (request.fallback == Fallback::none) {
      throw HttpError(404, unknown_user(*run, user));
    }
  }
  const auto answers = scorer_.recommend(std::move(queries), arrival);
  Json results = Json::array();
  for (std::size_t u = 0, next = 0; u < request.users.size(); ++u) {
    const bool fallback = !known[u];
    results.push_back({{"user", request.users[u]},
                       {"items", items_json(fallback ? run->popular(request.k, candidates) : answers[next++])},
                       {"fallback", fallback ? Json("popular") : Json()}});
  }
  return text(request.batch ? Json{{"results", results}} : results.front());
}

std::string Service::score(const ScoreRequest& request, Scorer::Arrival& arrival) {
  const std::shared_ptr<ServedRun> run = scorer_.run();
  const auto u = run->user_index(request.user);
  if (!u) throw HttpError(404, unknown_user(*run, request.user));
  const torch::Tensor items = item_indices(*run, request.items, "items");
  const std::vector<double> scores = scorer_.score({*u, 1, false, request.context, items}, arrival);
  Json out = Json::array();
  for (std::size_t i = 0; i < scores.size(); ++i) out.push_back({{"item", request.items[i]}, {"score", scores[i]}});
  return text(Json{{"user", request.user}, {"scores", out}});
}

std::string Service::similar(const SimilarRequest& request) const {
  const std::shared_ptr<ServedRun> run = scorer_.run();
  if (!run->factorized()) {
    throw HttpError(422,
                    "the run's model has no item vectors (it does not score by a dot product), so no similar items");
  }
  const auto i = run->item_index(request.item);
  if (!i) throw HttpError(404, "item '" + request.item + "' is not in the run's catalogue");
  return text(Json{{"item", request.item}, {"items", items_json(run->similar(*i, request.k))}});
}

std::string Service::admin_reload(const HttpRequest& request) {
  if (!request.from_loopback && !options_.admin) {
    throw HttpError(403, "admin endpoints answer on loopback only (start the server with --admin to allow more)");
  }
  reload();
  const auto run = scorer_.run();
  return text(Json{{"reloaded", true}, {"checkpoint", run->checkpoint()}, {"epoch", run->run().epoch}});
}

void Service::reload() {
  const std::lock_guard lock(reload_mutex_);
  const auto start = std::chrono::steady_clock::now();
  std::shared_ptr<ServedRun> fresh = open_served(options_);
  scorer_.replace(fresh);
  metrics_.set_served(options_.run_directory.string(), fresh->checkpoint(), fresh->run().epoch);
  spdlog::info("serve: reloaded {} checkpoint {} (epoch {}) in {:.2f} s", options_.run_directory.string(),
               fresh->checkpoint(), fresh->run().epoch,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace recsys::core::serving
