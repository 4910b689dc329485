// The movielens dataset plugin, loaded through the host's loader: a hand-made fixture in
// the ml-100k formats (expected values worked out by hand), errors, and the real data.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "movielens_fixtures.hpp"
#include "recsys/conformance_gtest.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

class MovieLensFixture : public ::testing::Test {
 protected:
  void SetUp() override { test::write_movielens_fixture("100k", dir.path()); }

  InteractionData load(const std::string& extra = "") {
    const auto config = test::parse_config("[dataset]\ndata_dir = \"" + dir.path().string() + "\"\n" + extra);
    auto dataset = registry.create<PluginKind::dataset>("movielens", config.section("dataset"));
    config.section("dataset").check_unknown_keys();
    return dataset->load();
  }

  test::TempDir dir;
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
};

TEST_F(MovieLensFixture, KeepsPositivesWithContiguousIds) {
  // Ratings >= 4: (1, 10), (2, 20), (74, 267).
  InteractionData d = load();
  EXPECT_EQ(d.num_interactions(), 3);
  EXPECT_TRUE(torch::equal(d.user_id, torch::tensor({0, 1, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.item_id, torch::tensor({0, 1, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({5.0f, 4.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(d.timestamp, torch::tensor({100, 102, 103}, torch::kInt64)));
  EXPECT_EQ(d.user_original_id, (std::vector<std::int64_t>{1, 2, 74}));
  EXPECT_EQ(d.item_original_id, (std::vector<std::int64_t>{10, 20, 267}));
}

TEST_F(MovieLensFixture, UserFeaturesKeepZipCodesAsText) {
  InteractionData d = load();
  // Occupations sorted: artist, other, scientist, technician; zips: 00000, 85711, 94043, T8H1N.
  EXPECT_TRUE(
      torch::allclose(d.user_features.continuous, torch::tensor({0.24f, 0.0f, 0.53f, 1.0f, 0.39f, 0.0f}).view({3, 2})));
  EXPECT_TRUE(torch::equal(d.user_features.categorical, torch::tensor({3, 1, 1, 2, 2, 3}, torch::kInt64).view({3, 2})));
  ASSERT_EQ(d.schema.user.categorical.size(), 2u);
  EXPECT_EQ(d.schema.user.categorical[0].name, "occupation");
  EXPECT_EQ(d.schema.user.categorical[0].cardinality, 4);
  EXPECT_EQ(d.schema.user.categorical[1].cardinality, 4);
  EXPECT_EQ(d.schema.user.continuous_dim, 2);
  EXPECT_EQ(d.schema.user.num_ids, 3);
}

TEST_F(MovieLensFixture, AMissingReleaseDateIsAMissingValue) {
  InteractionData d = load();
  // Years sorted: 1993 -> 0, 1995 -> 1; item 267 has no date: the last bucket, 2 (never 0).
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({1, 0, 2}, torch::kInt64).view({3, 1})));
  EXPECT_EQ(d.schema.item.categorical.at(0).cardinality, 3);
  EXPECT_EQ(d.schema.item.continuous_dim, 19);
  EXPECT_EQ(d.item_features.continuous[0][0].item<float>(), 1.0f);
  EXPECT_EQ(d.item_features.continuous[1][18].item<float>(), 1.0f);
  EXPECT_EQ(d.item_features.continuous.sum().item<float>(), 3.0f);
}

TEST_F(MovieLensFixture, TitlesAreDecodedFromLatin1ToUtf8) {
  InteractionData d = load();
  EXPECT_EQ(d.item_title.at(0), "Caf\xc3\xa9 Test (1995)");
  EXPECT_EQ(d.item_title.at(1), "Toy (1993)");
}

TEST_F(MovieLensFixture, PositiveThresholdIsConfigurable) {
  EXPECT_EQ(load("positive_threshold = 3\n").num_interactions(), 4);
}

TEST_F(MovieLensFixture, AnUnknownUserInTheRatingsIsABadLine) {
  dir.write("u.data", "1\t10\t5\t100\n99\t10\t5\t100\n");
  try {
    load();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("u.data:2: user 99 is not in the users file"), std::string::npos) << e.what();
  }
  EXPECT_EQ(load("on_bad_line = \"skip\"\n").num_interactions(), 1);
}

TEST_F(MovieLensFixture, MalformedLineNamesFileAndLine) {
  dir.write("u.data", "1\t10\t5\t100\n1\t20\tfive\t101\n");
  try {
    load();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(std::string(e.what()).find("u.data:2: rating: expected an integer, found 'five'"), std::string::npos)
        << e.what();
  }
}

TEST_F(MovieLensFixture, MissingDataDirectoryIsAConfigErrorNamingTheKey) {
  const auto config = test::parse_config("[dataset]\ndata_dir = \"/nonexistent/ml\"\n");
  try {
    registry.create<PluginKind::dataset>("movielens", config.section("dataset"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("dataset.data_dir"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent/ml"), std::string::npos) << message;
  }
}

TEST_F(MovieLensFixture, UnsupportedVariantIsAConfigError) {
  EXPECT_THROW(load("variant = \"20m\"\n"), ConfigError);
}

/// Loads a fixture of another version through the plugin.
InteractionData load_version(const std::string& variant, const std::filesystem::path& dir,
                             const std::string& extra = "") {
  test::write_movielens_fixture(variant, dir);
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config =
      test::parse_config("[dataset]\nvariant = \"" + variant + "\"\ndata_dir = \"" + dir.string() + "\"\n" + extra);
  return registry.create<PluginKind::dataset>("movielens", config.section("dataset"))->load();
}

TEST(MovieLens1mTest, CountsFeaturesAndTitlesOfTheFixture) {
  test::TempDir dir;
  InteractionData d = load_version("1m", dir.path());
  // Positives (1,1), (2,1), (2,3), (3,4): users 1, 2, 3; items 1, 3, 4.
  EXPECT_EQ(d.num_interactions(), 4);
  EXPECT_EQ(d.schema.user.num_ids, 3);
  EXPECT_EQ(d.schema.item.num_ids, 3);
  // Age is the bucket code / 100; occupations "10", "15", "16" sorted; zips 48067, 70072, T8H1N.
  EXPECT_TRUE(
      torch::allclose(d.user_features.continuous, torch::tensor({0.01f, 1.f, 0.56f, 0.f, 0.25f, 0.f}).view({3, 2})));
  EXPECT_TRUE(torch::equal(d.user_features.categorical, torch::tensor({0, 0, 2, 1, 1, 2}, torch::kInt64).view({3, 2})));
  EXPECT_EQ(d.schema.user.categorical.at(0).cardinality, 3);
  // Genres alphabetical: Animation, Children's, Comedy, Drama.
  EXPECT_EQ(d.schema.item.continuous_names, (std::vector<std::string>{"Animation", "Children's", "Comedy", "Drama"}));
  EXPECT_TRUE(torch::equal(d.item_features.continuous,
                           torch::tensor({1.f, 1.f, 1.f, 0.f, 0.f, 0.f, 1.f, 1.f, 0.f, 0.f, 0.f, 1.f}).view({3, 4})));
  // Years 1994 -> 0, 1995 -> 1 (movie 2's is in its last parenthesis); movie 4 has none: bucket 2.
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({1, 0, 2}, torch::kInt64).view({3, 1})));
  EXPECT_EQ(d.schema.item.categorical.at(0).cardinality, 3);
  EXPECT_EQ(d.item_title.at(1), "The \"Quoted\" Film (1994)");
}

TEST(MovieLensCsvTest, CountsFeaturesAndQuotingOfTheFixture) {
  test::TempDir dir;
  InteractionData d = load_version("latest-small", dir.path());
  // Positives (rating >= 4, half stars): (1,1) 4.0, (2,2) 4.5, (2,3) 5.0.
  EXPECT_EQ(d.num_interactions(), 3);
  EXPECT_EQ(d.schema.user.num_ids, 2);
  EXPECT_EQ(d.schema.item.num_ids, 3);
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({4.0f, 4.5f, 5.0f})));
  // No user demographics: an empty user schema.
  EXPECT_EQ(d.schema.user.continuous_dim, 0);
  EXPECT_TRUE(d.schema.user.categorical.empty());
  EXPECT_EQ(d.user_features.continuous.sizes(), torch::IntArrayRef({2, 0}));
  EXPECT_EQ(d.item_title.at(1), "Bride, The (2005)");
  EXPECT_EQ(d.item_title.at(2), "Quote \"Inside\" (1999)");
  EXPECT_EQ(d.schema.item.continuous_names, (std::vector<std::string>{"Adventure", "Animation", "Drama", "Romance"}));
  EXPECT_EQ(d.item_features.continuous[2].sum().item<float>(), 0.0f) << "(no genres listed)";
  // Years 1995, 2005, 1999 -> codes 0, 2, 1; nothing missing: 3 classes.
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({0, 2, 1}, torch::kInt64).view({3, 1})));
  EXPECT_EQ(d.schema.item.categorical.at(0).cardinality, 3);
}

TEST(MovieLensCsvTest, BadLinesNameTheLineOrAreSkipped) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("ratings.csv",
            "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,four,964981247\r\n"
            "2,2,4.5\r\n2,3,5.0,964983815\r\n");
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto strict =
      test::parse_config("[d]\nvariant = \"latest-small\"\ndata_dir = \"" + dir.path().string() + "\"\n");
  try {
    registry.create<PluginKind::dataset>("movielens", strict.section("d"))->load();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("ratings.csv:3: rating: expected a number, found 'four'"), std::string::npos)
        << e.what();
  }
  const auto lenient = test::parse_config("[d]\nvariant = \"latest-small\"\non_bad_line = \"skip\"\ndata_dir = \"" +
                                          dir.path().string() + "\"\n");
  EXPECT_EQ(registry.create<PluginKind::dataset>("movielens", lenient.section("d"))->load().num_interactions(), 2);
}

TEST(MovieLensTitleTest, YearIsTheLastFourDigitGroup) {
  // Through the 1m fixture's "Some Film (Un film quelconque) (1995)": checked above; here the
  // plain cases of the rule, via a one-movie CSV.
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("movies.csv",
            "movieId,title,genres\n1,A (B) (2001),Drama\n2,\"(1999) Start, no end\",Drama\n3,C (12345),Drama\n");
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5,1\n1,2,5,1\n1,3,5,1\n");
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config =
      test::parse_config("[d]\nvariant = \"latest-small\"\ndata_dir = \"" + dir.path().string() + "\"\n");
  InteractionData d = registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
  // Known years 1999, 2001 (the parenthesis need not end the title); "(12345)" is no year.
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({1, 0, 2}, torch::kInt64).view({3, 1})));
}

TEST(MovieLens100kTest, CountsAndSchemaOnTheRealData) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config =
      test::parse_config("[dataset]\ndata_dir = \"" + (test::data_root() / "ml-100k").string() + "\"\n");
  InteractionData d = registry.create<PluginKind::dataset>("movielens", config.section("dataset"))->load();
  EXPECT_EQ(d.schema.user.num_ids, 942);
  EXPECT_EQ(d.schema.item.num_ids, 1447);
  EXPECT_EQ(d.num_interactions(), 55376);
  EXPECT_EQ(d.schema.user.categorical.at(0).cardinality, 21);   // occupation
  EXPECT_EQ(d.schema.user.categorical.at(1).cardinality, 795);  // zip code
  EXPECT_EQ(d.schema.item.categorical.at(0).cardinality, 72);   // 71 years + missing date
  EXPECT_EQ(d.item_title.at(0), "Toy Story (1995)");
  EXPECT_TRUE(d.rating.ge(4).all().item<bool>());
}

TEST_F(MovieLensFixture, ConformsOnTheFixture) {
  const auto config = test::parse_config("[dataset]\ndata_dir = \"" + dir.path().string() + "\"\n");
  RECSYS_EXPECT_CONFORMS(
      conformance::check_dataset(*registry.create<PluginKind::dataset>("movielens", config.section("dataset"))));
}

TEST(MovieLens100kTest, ConformsOnTheRealData) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config =
      test::parse_config("[dataset]\ndata_dir = \"" + (test::data_root() / "ml-100k").string() + "\"\n");
  RECSYS_EXPECT_CONFORMS(
      conformance::check_dataset(*registry.create<PluginKind::dataset>("movielens", config.section("dataset"))));
}

TEST(MovieLensCacheTest, ASecondLoadComesFromTheCacheUntilASourceChanges) {
  test::TempDir data, cache;
  setenv("XDG_CACHE_HOME", cache.path().c_str(), 1);
  test::write_movielens_fixture("1m", data.path());
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config = test::parse_config("[d]\nvariant = \"1m\"\ndata_dir = \"" + data.path().string() + "\"\n");
  const InteractionData first = registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
  ASSERT_EQ(std::distance(std::filesystem::directory_iterator(cache.path() / "recsys" / "parsed"),
                          std::filesystem::directory_iterator()),
            1);
  const InteractionData second = registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
  EXPECT_TRUE(torch::equal(first.user_id, second.user_id));
  EXPECT_TRUE(torch::equal(first.item_features.continuous, second.item_features.continuous));
  EXPECT_EQ(first.item_title, second.item_title);
  EXPECT_EQ(first.schema.item.continuous_names, second.schema.item.continuous_names);
  EXPECT_EQ(first.schema.user.categorical.at(1).cardinality, second.schema.user.categorical.at(1).cardinality);
  // A changed source file is parsed again (one more positive: user 1 now likes movie 2).
  data.write("ratings.dat",
             "1::1::5::978300760\n1::2::4::978302109\n2::1::4::978301968\n2::3::5::978300275\n"
             "3::4::4::978824291\n3::2::2::978300000\n");
  EXPECT_EQ(registry.create<PluginKind::dataset>("movielens", config.section("d"))->load().num_interactions(), 5);
  unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace recsys
