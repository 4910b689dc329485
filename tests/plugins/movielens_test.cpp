// The movielens dataset plugin, loaded through the host's loader: a hand-made fixture in
// the ml-100k formats (expected values worked out by hand), errors, and the real data.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "recsys/conformance_gtest.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

std::string genres(int set_flag) {
  std::string out;
  for (int g = 0; g < 19; ++g) out += (g == set_flag ? "|1" : "|0");
  return out;
}

class MovieLensFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    // Ratings >= 4 are positives: (1,10), (2,20), (3,30). The last line ends with CRLF.
    dir.write("u.data", "1\t10\t5\t100\n1\t20\t3\t101\n2\t20\t4\t102\n2\t10\t2\t104\n3\t30\t4\t103\r\n");
    dir.write("u.user",
              "1|24|M|technician|85711\n2|53|F|other|94043\n3|23|M|writer|32067\n4|30|F|artist|00000\n");
    // Item 10's title is Latin-1 ("Caf\xe9"); item 30 has no release date.
    dir.write("u.item", "10|Caf\xe9 (1995)|01-Jan-1995||http://x" + genres(0) + "\n" +
                            "20|Toy (1993)|01-Jan-1993||http://x" + genres(18) + "\n" +
                            "30|Unknown|||" + genres(-1) + "\n" +
                            "40|Other (1995)|01-Jan-1995||http://x" + genres(-1) + "\n");
  }

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
  InteractionData d = load();
  EXPECT_EQ(d.num_interactions(), 3);
  EXPECT_TRUE(torch::equal(d.user_id, torch::tensor({0, 1, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.item_id, torch::tensor({0, 1, 2}, torch::kInt64)));
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({5.0f, 4.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(d.timestamp, torch::tensor({100, 102, 103}, torch::kInt64)));
  EXPECT_EQ(d.user_original_id, (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(d.item_original_id, (std::vector<std::int64_t>{10, 20, 30}));
}

TEST_F(MovieLensFixture, UserFeatures) {
  InteractionData d = load();
  // occupations sorted: artist, other, technician, writer; zips: 00000, 32067, 85711, 94043.
  EXPECT_TRUE(torch::allclose(d.user_features.continuous,
                              torch::tensor({0.24f, 0.0f, 0.53f, 1.0f, 0.23f, 0.0f}).view({3, 2})));
  EXPECT_TRUE(torch::equal(d.user_features.categorical,
                           torch::tensor({2, 2, 1, 3, 3, 1}, torch::kInt64).view({3, 2})));
  ASSERT_EQ(d.schema.user.categorical.size(), 2u);
  EXPECT_EQ(d.schema.user.categorical[0].name, "occupation");
  EXPECT_EQ(d.schema.user.categorical[0].cardinality, 4);
  EXPECT_EQ(d.schema.user.categorical[1].cardinality, 4);
  EXPECT_EQ(d.schema.user.continuous_dim, 2);
  EXPECT_EQ(d.schema.user.num_ids, 3);
}

TEST_F(MovieLensFixture, ItemFeaturesWithAMissingYearBucket) {
  InteractionData d = load();
  // Years sorted: 1993 -> 0, 1995 -> 1; the missing date gets the last bucket, 2.
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({1, 0, 2}, torch::kInt64).view({3, 1})));
  EXPECT_EQ(d.schema.item.categorical.at(0).cardinality, 3);
  EXPECT_EQ(d.schema.item.continuous_dim, 19);
  EXPECT_EQ(d.item_features.continuous[0][0].item<float>(), 1.0f);
  EXPECT_EQ(d.item_features.continuous[1][18].item<float>(), 1.0f);
  EXPECT_EQ(d.item_features.continuous.sum().item<float>(), 2.0f);
}

TEST_F(MovieLensFixture, TitlesAreDecodedFromLatin1ToUtf8) {
  InteractionData d = load();
  EXPECT_EQ(d.item_title.at(0), "Caf\xc3\xa9 (1995)");
  EXPECT_EQ(d.item_title.at(1), "Toy (1993)");
}

TEST_F(MovieLensFixture, PositiveThresholdIsConfigurable) {
  EXPECT_EQ(load("positive_threshold = 3\n").num_interactions(), 4);
}

TEST_F(MovieLensFixture, MalformedLineNamesFileAndLine) {
  dir.write("u.data", "1\t10\t5\t100\n1\t20\tfive\t101\n");
  try {
    load();
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_EQ(e.line(), 2u);
    EXPECT_NE(std::string(e.what()).find("u.data:2: rating: expected an integer, found 'five'"),
              std::string::npos)
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

TEST(MovieLens100kTest, CountsAndSchemaOnTheRealData) {
  if (!test::have_movielens_100k()) GTEST_SKIP() << "ml-100k not found under " << test::data_root();
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config = test::parse_config("[dataset]\ndata_dir = \"" +
                                         (test::data_root() / "ml-100k").string() + "\"\n");
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
  if (!test::have_movielens_100k()) GTEST_SKIP() << "ml-100k not found under " << test::data_root();
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config = test::parse_config("[dataset]\ndata_dir = \"" +
                                         (test::data_root() / "ml-100k").string() + "\"\n");
  RECSYS_EXPECT_CONFORMS(
      conformance::check_dataset(*registry.create<PluginKind::dataset>("movielens", config.section("dataset"))));
}

}  // namespace
}  // namespace recsys
