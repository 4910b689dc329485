// Fuzzes the request parsing of `recsys-host serve` (core/src/serving/requests.cpp) and the
// label escaping of its /metrics text (metrics.cpp), the parts of the server that read a
// client's bytes before any model sees them.
// Input: one byte choosing the parser (GET /recommend's query string, POST /recommend's body,
// POST /score's body, GET /similar's query string, a /metrics label), then the bytes. Query
// strings are split and percent-decoded by cpp-httplib's own parser, as the server does.
// Properties: a request is parsed or refused with HttpError 400, nothing else; what is parsed
// obeys the documented limits (k >= 1, one user or more, at most kMaxListedIds ids); the
// answer's JSON text is written whatever bytes the ids hold; an exposition line stays one line.
#include <httplib.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "recsys/core/serving/metrics.hpp"
#include "recsys/core/serving/requests.hpp"

namespace {

using namespace recsys::core::serving;
using recsys::fuzz::check;

/// Writes `ids` as the server writes JSON (invalid UTF-8 replaced, never a throw).
void check_writable(const std::vector<std::string>& ids) {
  const std::string text = nlohmann::json(ids).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  check(nlohmann::json::accept(text), "a written answer is JSON");
}

void check_recommend(const RecommendRequest& r) {
  check(r.k >= 1, "k >= 1");
  check(!r.users.empty() && r.users.size() <= kMaxListedIds, "one user or more, within the limit");
  check(r.batch || r.users.size() == 1, "a single user unless 'users' was given");
  check(r.items.size() <= kMaxListedIds, "candidates within the limit");
  check_writable(r.users);
  check_writable(r.items);
}

QueryParams query_of(const std::string& text) {
  httplib::Params params;
  httplib::detail::parse_query_text(text, params);
  return QueryParams(params.begin(), params.end());
}

void parse(std::uint8_t choice, const std::string& text) {
  switch (choice % 4) {
    case 0:
      check_recommend(parse_recommend_query(query_of(text)));
      break;
    case 1:
      check_recommend(parse_recommend_body(text));
      break;
    case 2: {
      const ScoreRequest r = parse_score_body(text);
      check(!r.items.empty() && r.items.size() <= kMaxListedIds, "score items: one or more, within the limit");
      check_writable(r.items);
      break;
    }
    default: {
      const SimilarRequest r = parse_similar_query(query_of(text));
      check(r.k >= 1, "similar: k >= 1");
      check_writable({r.item});
    }
  }
}

/// A label value with any bytes leaves its exposition line one line, its quotes closed.
void check_label(const std::string& value) {
  ServerMetrics metrics;
  metrics.set_served(value, "best", 1);
  const std::string text = metrics.exposition();
  const std::string line = "recsys_served_run_info{run=\"" + prometheus_label(value) + "\",";
  check(text.find(line) != std::string::npos, "the run's label as escaped");
  check(prometheus_label(value).find('\n') == std::string::npos, "an escaped label has no newline");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] >= 0xF0) {
    check_label(text);
    return 0;
  }
  try {
    parse(data[0], text);
  } catch (const HttpError& e) {
    check(e.status() == 400, "a malformed request is a 400");
    check(std::string(e.what()).size() > 0, "the 400 says what is wrong");
  }
  return 0;
}
