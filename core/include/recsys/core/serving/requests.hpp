#pragma once
/// @file
/// The requests of `recsys-host serve`, parsed from an HTTP query string's parameters or a JSON
/// body into typed structs, with no model in sight (the fuzz target fuzz_serve_requests feeds
/// them arbitrary bytes). Every malformed request throws HttpError with status 400 and a
/// message naming the parameter or JSON key at fault. Ids stay strings, as in the SDK; a JSON
/// number given as an id is taken as its decimal text.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace recsys::core::serving {

/// An error answered with an HTTP status (400 bad request, 404 unknown user or item, 413, 422,
/// 503, ...) and a message; the server turns it into {"error": {"status", "message"}}.
class HttpError : public std::runtime_error {
 public:
  HttpError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

/// A query string's parameters (repeated names keep every value, in order).
using QueryParams = std::multimap<std::string, std::string>;

/// What to answer for a user the run does not know.
enum class Fallback { popular, none };

/// GET /recommend?user=&k=&exclude_seen=&fallback=&context=name=value (context repeatable), or
/// POST /recommend {"user" | "users": [...], "k", "exclude_seen", "fallback", "items": [...]
/// (candidates), "context": {"name": value}, "user_features": {...}}.
struct RecommendRequest {
  std::vector<std::string> users;  ///< one or more original user ids
  bool batch = false;              ///< the body said "users" (answer with "results": [...])
  std::int64_t k = 10;             ///< >= 1
  bool exclude_seen = true;        ///< leave out every item the user has a positive with
  Fallback fallback = Fallback::popular;
  std::vector<std::string> items;    ///< candidate items (original ids); empty: the catalogue
  std::vector<std::string> context;  ///< "name=value" entries
  bool has_user_features = false;    ///< the body gave side features for an unseen user
};

/// POST /score {"user", "items": [...], "context": {...}}: the items' logits, in their order.
struct ScoreRequest {
  std::string user;
  std::vector<std::string> items;  ///< at least one
  std::vector<std::string> context;
};

/// GET /similar?item=&k=: the items nearest by cosine of item vectors.
struct SimilarRequest {
  std::string item;
  std::int64_t k = 10;
};

/// The most items one request may name (candidates, /score items, users).
inline constexpr std::size_t kMaxListedIds = 100000;

RecommendRequest parse_recommend_query(const QueryParams& params);
RecommendRequest parse_recommend_body(const std::string& body);
ScoreRequest parse_score_body(const std::string& body);
SimilarRequest parse_similar_query(const QueryParams& params);

/// k as a query parameter or JSON value: a decimal integer >= 1, else HttpError 400.
std::int64_t parse_k(const std::string& text);

}  // namespace recsys::core::serving
