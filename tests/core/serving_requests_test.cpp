// Parsing of recsys-host serve's requests (core/serving/requests.hpp): every field read as the
// documentation says, and every malformed request a 400 naming the parameter or key at fault.
#include <string>

#include <gtest/gtest.h>

#include "recsys/core/serving/requests.hpp"

namespace recsys::core::serving {
namespace {

/// The status and message of the HttpError `statement` throws ({0, ""} if none).
template <typename F>
std::pair<int, std::string> http_error(F statement) {
  try {
    statement();
  } catch (const HttpError& e) {
    return {e.status(), e.what()};
  }
  return {0, ""};
}

/// Expects `statement` to throw a 400 whose message contains `fragment`.
template <typename F>
void expect_bad_request(F statement, const std::string& fragment) {
  const auto [status, message] = http_error(statement);
  EXPECT_EQ(status, 400) << "expected a 400 mentioning " << fragment;
  EXPECT_NE(message.find(fragment), std::string::npos) << message;
}

TEST(RecommendQuery, DefaultsAreTenItemsSeenExcludedPopularFallback) {
  const RecommendRequest r = parse_recommend_query({{"user", "196"}});
  EXPECT_EQ(r.users, std::vector<std::string>{"196"});
  EXPECT_FALSE(r.batch);
  EXPECT_EQ(r.k, 10);
  EXPECT_TRUE(r.exclude_seen);
  EXPECT_EQ(r.fallback, Fallback::popular);
  EXPECT_TRUE(r.items.empty());
  EXPECT_TRUE(r.context.empty());
}

TEST(RecommendQuery, ReadsEveryParameterAndKeepsRepeatedContextInOrder) {
  const RecommendRequest r = parse_recommend_query({{"user", "u-7"},
                                                    {"k", "25"},
                                                    {"exclude_seen", "false"},
                                                    {"fallback", "none"},
                                                    {"context", "hour=13"},
                                                    {"context", "device=phone"}});
  EXPECT_EQ(r.users.front(), "u-7");
  EXPECT_EQ(r.k, 25);
  EXPECT_FALSE(r.exclude_seen);
  EXPECT_EQ(r.fallback, Fallback::none);
  EXPECT_EQ(r.context, (std::vector<std::string>{"hour=13", "device=phone"}));
  EXPECT_TRUE(parse_recommend_query({{"user", "1"}, {"exclude_seen", "1"}}).exclude_seen);
  EXPECT_FALSE(parse_recommend_query({{"user", "1"}, {"exclude_seen", "0"}}).exclude_seen);
}

TEST(RecommendQuery, MalformedParametersAreBadRequests) {
  expect_bad_request([] { parse_recommend_query({}); }, "'user' is required");
  expect_bad_request([] { parse_recommend_query({{"user", "1"}, {"user", "2"}}); }, "more than once");
  expect_bad_request([] { parse_recommend_query({{"user", "1"}, {"kk", "3"}}); }, "unknown query parameter 'kk'");
  expect_bad_request([] { parse_recommend_query({{"user", "1"}, {"exclude_seen", "yes"}}); }, "'exclude_seen'");
  expect_bad_request([] { parse_recommend_query({{"user", "1"}, {"fallback", "random"}}); }, "'fallback'");
}

TEST(ParseK, AcceptsPositiveIntegersOnly) {
  EXPECT_EQ(parse_k("1"), 1);
  EXPECT_EQ(parse_k("1447"), 1447);
  for (const char* bad : {"0", "-3", "", "ten", "5x", " 5", "1.5", "99999999999999999999"}) {
    EXPECT_EQ(http_error([bad] { parse_k(bad); }).first, 400) << "k = '" << bad << "'";
  }
  expect_bad_request([] { parse_k("0"); }, "at least 1");
  expect_bad_request([] { parse_k("ten"); }, "expected an integer, not 'ten'");
}

TEST(RecommendBody, OneUserWithCandidatesAndContext) {
  const RecommendRequest r =
      parse_recommend_body(R"({"user": 42, "k": 3, "exclude_seen": false, "fallback": "none", "items": ["50", 181],)"
                           R"( "context": {"hour": 13, "device": "phone", "embedding": [0.5, -1]}})");
  EXPECT_EQ(r.users, std::vector<std::string>{"42"});  // an integer id is its decimal text
  EXPECT_FALSE(r.batch);
  EXPECT_EQ(r.k, 3);
  EXPECT_FALSE(r.exclude_seen);
  EXPECT_EQ(r.fallback, Fallback::none);
  EXPECT_EQ(r.items, (std::vector<std::string>{"50", "181"}));
  // nlohmann's object keeps keys sorted.
  EXPECT_EQ(r.context, (std::vector<std::string>{"device=phone", "embedding=0.5,-1", "hour=13"}));
  EXPECT_FALSE(r.has_user_features);
}

TEST(RecommendBody, SeveralUsersAnswerAsABatch) {
  const RecommendRequest r = parse_recommend_body(R"({"users": ["1", "2", "x"], "k": "4"})");
  EXPECT_TRUE(r.batch);
  EXPECT_EQ(r.users, (std::vector<std::string>{"1", "2", "x"}));
  EXPECT_EQ(r.k, 4);
  EXPECT_TRUE(parse_recommend_body(R"({"user": "new", "user_features": {"age": 30}})").has_user_features);
}

TEST(RecommendBody, MalformedBodiesAreBadRequests) {
  expect_bad_request([] { parse_recommend_body(R"({"user": "1",)"); }, "not JSON");
  expect_bad_request([] { parse_recommend_body(""); }, "not JSON");
  // Beyond double's range: nlohmann reports out_of_range, not parse_error (a 500 before).
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "k": 1e309})"); }, "not JSON");
  expect_bad_request([] { parse_recommend_body("[1, 2]"); }, "must be a JSON object");
  expect_bad_request([] { parse_recommend_body(R"({"k": 3})"); }, "exactly one of 'user' and 'users'");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "users": ["2"]})"); }, "exactly one");
  expect_bad_request([] { parse_recommend_body(R"({"users": []})"); }, "'users' is empty");
  expect_bad_request([] { parse_recommend_body(R"({"user": 1.5})"); }, "'user': an id must be a string or an integer");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "top": 3})"); }, "unknown key 'top'");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "k": 0})"); }, "at least 1");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "k": 2.5})"); }, "'k' must be an integer");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "exclude_seen": "no"})"); }, "'exclude_seen'");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "items": []})"); }, "'items' is empty");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "items": "50"})"); }, "array of ids");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "context": [1]})"); }, "'context' must be an object");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "context": {"v": [1, "a"]}})"); }, "'context.v'");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "context": {"v": null}})"); }, "'context.v'");
  expect_bad_request([] { parse_recommend_body(R"({"user": "1", "user_features": 3})"); }, "'user_features'");
}

TEST(RecommendBody, ListsLongerThanTheLimitAreRefused) {
  std::string items = "[";
  for (std::size_t i = 0; i <= kMaxListedIds; ++i) items += (i ? ",1" : "1");
  items += "]";
  expect_bad_request([&] { parse_recommend_body(R"({"user": "1", "items": )" + items + "}"); }, "more than 100000 ids");
}

TEST(ScoreBody, ReadsUserItemsAndContext) {
  const ScoreRequest r = parse_score_body(R"({"user": "7", "items": ["1", 2, "3"], "context": {"hour": 9}})");
  EXPECT_EQ(r.user, "7");
  EXPECT_EQ(r.items, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(r.context, std::vector<std::string>{"hour=9"});
  expect_bad_request([] { parse_score_body(R"({"items": ["1"]})"); }, "'user' is required");
  expect_bad_request([] { parse_score_body(R"({"user": "7"})"); }, "'items' is required");
  expect_bad_request([] { parse_score_body(R"({"user": "7", "items": []})"); }, "'items' is empty");
  expect_bad_request([] { parse_score_body(R"({"user": "7", "items": [true]})"); }, "an id must be");
  expect_bad_request([] { parse_score_body(R"({"user": "7", "items": ["1"], "k": 3})"); }, "unknown key 'k'");
}

TEST(SimilarQuery, ReadsItemAndK) {
  const SimilarRequest r = parse_similar_query({{"item", "50"}, {"k", "5"}});
  EXPECT_EQ(r.item, "50");
  EXPECT_EQ(r.k, 5);
  EXPECT_EQ(parse_similar_query({{"item", "50"}}).k, 10);
  expect_bad_request([] { parse_similar_query({{"k", "5"}}); }, "'item' is required");
  expect_bad_request([] { parse_similar_query({{"item", "50"}, {"user", "1"}}); }, "unknown query parameter 'user'");
}

}  // namespace
}  // namespace recsys::core::serving
