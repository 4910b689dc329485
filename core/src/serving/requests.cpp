// Parsing of the server's requests: query parameters and JSON bodies into typed structs.
#include "recsys/core/serving/requests.hpp"

#include <charconv>
#include <set>

#include <nlohmann/json.hpp>

namespace recsys::core::serving {

namespace {

using Json = nlohmann::json;

[[noreturn]] void bad(const std::string& message) {
  throw HttpError(400, message);
}

/// The one value of parameter `name`, or `fallback` when absent; repeated is an error.
std::string single(const QueryParams& params, const std::string& name, const std::string& fallback) {
  const auto [first, last] = params.equal_range(name);
  if (first == last) return fallback;
  if (std::next(first) != last) bad("query parameter '" + name + "' is given more than once");
  return first->second;
}

void check_known(const QueryParams& params, const std::set<std::string>& known) {
  for (const auto& [name, value] : params) {
    if (!known.count(name)) bad("unknown query parameter '" + name + "'");
  }
}

bool parse_bool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  bad("'" + name + "': expected true or false, not '" + text + "'");
}

Fallback parse_fallback(const std::string& text) {
  if (text == "popular") return Fallback::popular;
  if (text == "none") return Fallback::none;
  bad("'fallback': expected popular or none, not '" + text + "'");
}

Json parse_object(const std::string& body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    // Parse again for the position of the error (the first parse keeps exceptions out of the
    // common path of a good body). A number out of double's range (1e309) is an out_of_range,
    // not a parse_error, so catch their common base.
    try {
      const Json again = Json::parse(body);
      (void)again;
    } catch (const Json::exception& e) {
      bad("the body is not JSON: " + std::string(e.what()));
    }
  }
  if (!json.is_object()) bad("the body must be a JSON object");
  return json;
}

void check_keys(const Json& body, const std::set<std::string>& known) {
  for (const auto& [key, value] : body.items()) {
    if (!known.count(key)) bad("unknown key '" + key + "'");
  }
}

/// An id: a JSON string, or an integer taken as its decimal text.
std::string id_of(const Json& value, const std::string& key) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return value.dump();
  bad("'" + key + "': an id must be a string or an integer, not " + std::string(value.type_name()));
}

std::vector<std::string> ids_of(const Json& value, const std::string& key) {
  if (!value.is_array()) bad("'" + key + "' must be an array of ids");
  if (value.size() > kMaxListedIds) bad("'" + key + "' lists more than " + std::to_string(kMaxListedIds) + " ids");
  std::vector<std::string> ids;
  for (const Json& id : value) ids.push_back(id_of(id, key));
  return ids;
}

/// "context": {"name": "value" | number | [numbers]} as name=value entries.
std::vector<std::string> context_of(const Json& value) {
  if (!value.is_object()) bad("'context' must be an object of field names and values");
  std::vector<std::string> entries;
  for (const auto& [name, v] : value.items()) {
    std::string text;
    if (v.is_string()) {
      text = v.get<std::string>();
    } else if (v.is_number()) {
      text = v.dump();
    } else if (v.is_array()) {
      for (const Json& x : v) {
        if (!x.is_number()) bad("'context." + name + "': a vector value must hold numbers only");
        text += (text.empty() ? "" : ",") + x.dump();
      }
    } else {
      bad("'context." + name + "': expected a string, a number or an array of numbers");
    }
    entries.push_back(name + "=" + text);
  }
  return entries;
}

std::int64_t k_of(const Json& value) {
  if (value.is_number_integer()) {
    const auto k = value.get<std::int64_t>();
    if (k < 1) bad("'k' must be at least 1, not " + std::to_string(k));
    return k;
  }
  if (value.is_string()) return parse_k(value.get<std::string>());
  bad("'k' must be an integer");
}

bool bool_of(const Json& value, const std::string& key) {
  if (!value.is_boolean()) bad("'" + key + "' must be true or false");
  return value.get<bool>();
}

/// "user" (one) or "users" (several): exactly one of them.
void users_of(const Json& body, RecommendRequest& request) {
  const bool one = body.contains("user"), many = body.contains("users");
  if (one == many) bad("give exactly one of 'user' and 'users'");
  request.batch = many;
  request.users = many ? ids_of(body["users"], "users") : std::vector<std::string>{id_of(body["user"], "user")};
  if (request.users.empty()) bad("'users' is empty");
}

}  // namespace

std::int64_t parse_k(const std::string& text) {
  std::int64_t k = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    bad("'k': expected an integer, not '" + text + "'");
  }
  if (k < 1) bad("'k' must be at least 1, not " + text);
  return k;
}

RecommendRequest parse_recommend_query(const QueryParams& params) {
  check_known(params, {"user", "k", "exclude_seen", "fallback", "context"});
  RecommendRequest request;
  const auto user = params.equal_range("user");
  if (user.first == user.second) bad("query parameter 'user' is required");
  request.users = {single(params, "user", "")};
  request.k = parse_k(single(params, "k", "10"));
  request.exclude_seen = parse_bool("exclude_seen", single(params, "exclude_seen", "true"));
  request.fallback = parse_fallback(single(params, "fallback", "popular"));
  const auto [first, last] = params.equal_range("context");
  for (auto it = first; it != last; ++it) request.context.push_back(it->second);
  return request;
}

RecommendRequest parse_recommend_body(const std::string& body) {
  const Json json = parse_object(body);
  check_keys(json, {"user", "users", "k", "exclude_seen", "fallback", "items", "context", "user_features"});
  RecommendRequest request;
  users_of(json, request);
  if (json.contains("k")) request.k = k_of(json["k"]);
  if (json.contains("exclude_seen")) request.exclude_seen = bool_of(json["exclude_seen"], "exclude_seen");
  if (json.contains("fallback")) {
    if (!json["fallback"].is_string()) bad("'fallback' must be popular or none");
    request.fallback = parse_fallback(json["fallback"].get<std::string>());
  }
  if (json.contains("items")) {
    request.items = ids_of(json["items"], "items");
    if (request.items.empty()) bad("'items' is empty (leave it out to rank the whole catalogue)");
  }
  if (json.contains("context")) request.context = context_of(json["context"]);
  if (json.contains("user_features")) {
    if (!json["user_features"].is_object()) bad("'user_features' must be an object of field names and values");
    request.has_user_features = true;
  }
  return request;
}

ScoreRequest parse_score_body(const std::string& body) {
  const Json json = parse_object(body);
  check_keys(json, {"user", "items", "context"});
  if (!json.contains("user")) bad("'user' is required");
  if (!json.contains("items")) bad("'items' is required");
  ScoreRequest request{id_of(json["user"], "user"), ids_of(json["items"], "items"), {}};
  if (request.items.empty()) bad("'items' is empty");
  if (json.contains("context")) request.context = context_of(json["context"]);
  return request;
}

SimilarRequest parse_similar_query(const QueryParams& params) {
  check_known(params, {"item", "k"});
  const auto item = params.equal_range("item");
  if (item.first == item.second) bad("query parameter 'item' is required");
  return {single(params, "item", ""), parse_k(single(params, "k", "10"))};
}

}  // namespace recsys::core::serving
