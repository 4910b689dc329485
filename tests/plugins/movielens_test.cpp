// The movielens dataset plugin, loaded through the host's loader: a hand-made fixture in
// the ml-100k formats (expected values worked out by hand), errors, and the real data.
#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sstream>
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
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"1", "2", "74"}));
  EXPECT_EQ(d.item_original_id, (std::vector<std::string>{"10", "20", "267"}));
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

/// Collects what is logged while it lives (spdlog's default logger, which the plugin shares;
/// restored afterwards).
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(text_)));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::ostringstream text_;
  std::shared_ptr<spdlog::logger> previous_;
};

/// Loads the files already in `dir` (no fixture written, no cache: each test reads its files).
InteractionData load_files(const std::string& variant, const fs::path& dir, const std::string& extra = "") {
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
  const auto config = test::parse_config("[dataset]\nvariant = \"" + variant + "\"\ndata_dir = \"" + dir.string() +
                                         "\"\ncache = false\n" + extra);
  return registry.create<PluginKind::dataset>("movielens", config.section("dataset"))->load();
}

/// The message of the DataError that loading `dir` throws, or a note that it loaded.
std::string load_error(const std::string& variant, const fs::path& dir, const std::string& extra = "") {
  try {
    load_files(variant, dir, extra);
  } catch (const DataError& e) {
    return e.what();
  }
  return "(loaded without a DataError)";
}

/// Replaces the first `from` in the fixture file `name` of `dir` with `to`.
void edit(const test::TempDir& dir, const std::string& name, const std::string& from, const std::string& to) {
  std::string text = test::read_file(dir.path() / name);
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from << " not in " << name;
  dir.write(name, text.replace(at, from.size(), to));
}

#define EXPECT_CONTAINS(text, part)                          \
  do {                                                       \
    const std::string seen_ = (text);                        \
    EXPECT_NE(seen_.find(part), std::string::npos) << seen_; \
  } while (0)

TEST_F(MovieLensFixture, DuplicateRatingsKeepTheLatestAtThePositionOfTheFirst) {
  // (1,10) rated 3 times (the latest, t=300, is a 2), (2,20) twice at t=102 (a tie: the later
  // line's 5 wins) and once earlier: 3 merged, one rating per pair, in first-line order.
  dir.write("u.data",
            "1\t10\t5\t100\n2\t20\t4\t102\n1\t10\t2\t300\n74\t267\t4\t103\n2\t20\t5\t102\n2\t20\t3\t50\n"
            "1\t10\t4\t200\n");
  CapturedLog log;
  InteractionData d = load("cache = false\npositive_threshold = 1\n");
  EXPECT_EQ(d.num_interactions(), 3);
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"1", "2", "74"}));
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({2.0f, 5.0f, 4.0f})));
  EXPECT_TRUE(torch::equal(d.timestamp, torch::tensor({300, 102, 103}, torch::kInt64)));
  EXPECT_CONTAINS(log.text(), "u.data: 4 duplicate (user, item) ratings merged, the latest kept");
  // With the default threshold only (2,20) and (74,267) are positives: (1,10)'s latest is a 2.
  EXPECT_EQ(load("cache = false\n").num_interactions(), 2);
}

TEST(MovieLensCsvTest, DuplicateRatingsAreMergedInSortedFilesToo) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  // Sorted by (user, item) as the CSV versions are: the later line is the older rating.
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,10\n1,1,2.0,5\n1,2,4.5,7\n2,3,5.0,8\n2,3,1.0,9\n");
  CapturedLog log;
  InteractionData d = load_files("latest-small", dir.path());
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({4.0f, 4.5f})));
  EXPECT_TRUE(torch::equal(d.timestamp, torch::tensor({10, 7}, torch::kInt64)));
  EXPECT_CONTAINS(log.text(), "ratings.csv: 2 duplicate (user, item) ratings merged, the latest kept");
}

TEST_F(MovieLensFixture, AUserListedTwiceWithOtherAttributesIsABadLine) {
  edit(dir, "u.user", "4|30|F|artist|00000\n", "4|30|F|artist|00000\n2|54|F|other|94043\n");
  EXPECT_CONTAINS(load_error("100k", dir.path()),
                  "u.user:5: user 2 is listed twice with different attributes (first at line 2)");
  // Skipped, the first listing stays: user 2 is still 53.
  InteractionData d = load_files("100k", dir.path(), "on_bad_line = \"skip\"\n");
  EXPECT_FLOAT_EQ(d.user_features.continuous[1][0].item<float>(), 0.53f);
}

TEST(MovieLens1mTest, AMovieListedTwiceWithOtherAttributesIsABadLine) {
  test::TempDir dir;
  test::write_movielens_fixture("1m", dir.path());
  edit(dir, "movies.dat", "4::No Year Film::Drama\n", "4::No Year Film::Drama\n3::The \"Quoted\" Film (1994)::Drama\n");
  EXPECT_CONTAINS(load_error("1m", dir.path()),
                  "movies.dat:5: movie 3 is listed twice with different attributes (first at line 3)");
}

TEST(MovieLens1mTest, AnIdenticalRepeatedUserOrMovieIsDroppedQuietly) {
  test::TempDir dir;
  test::write_movielens_fixture("1m", dir.path());
  edit(dir, "users.dat", "3::M::25::15::T8H1N\n", "3::M::25::15::T8H1N\n2::M::56::16::70072\n");
  edit(dir, "movies.dat", "4::No Year Film::Drama\n",
       "4::No Year Film::Drama\n1::Toy Story (1995)::Comedy|Animation|Children's\n");
  InteractionData d = load_files("1m", dir.path());
  EXPECT_EQ(d.num_interactions(), 4);
  EXPECT_EQ(d.schema.user.categorical.at(0).cardinality, 3);  // occupations as without the repeat
  EXPECT_EQ(d.item_features.continuous.sum().item<float>(), 6.0f);
}

TEST(MovieLensRangeTest, OutOfRangeValuesAreBadLinesNamingTheFieldAndValue) {
  struct Case {
    const char *variant, *file, *from, *to, *expected;
  };
  const Case cases[] = {
      {"100k", "u.data", "1\t10\t5\t100", "1\t10\t6\t100", "u.data:1: rating: expected an integer 1-5, found 6"},
      {"100k", "u.data", "1\t10\t5\t100", "1\t10\t0\t100", "u.data:1: rating: expected an integer 1-5, found 0"},
      {"100k", "u.data", "2\t20\t4\t102", "2\t20\t4\t-102",
       "u.data:3: timestamp: expected seconds since 1970 (>= 0), found -102"},
      {"100k", "u.user", "1|24|", "1|9223372036854775807|", "u.user:1: age: expected 1-120, found 9223372036854775807"},
      {"100k", "u.user", "2|53|", "2|0|", "u.user:2: age: expected 1-120, found 0"},
      {"100k", "u.item", "01-Jan-1995", "01-Foo-1995",
       "u.item:1: release date: expected dd-Mon-yyyy (e.g. 01-Jan-1995) or nothing, found '01-Foo-1995'"},
      {"100k", "u.item", "01-Jan-1995", "32-Jan-1995", "release date: expected dd-Mon-yyyy"},
      {"100k", "u.item", "01-Jan-1995", "01-Jan-95", "release date: expected dd-Mon-yyyy"},
      {"100k", "u.item", "01-Jan-1995", "1995", "release date: expected dd-Mon-yyyy"},
      {"1m", "users.dat",
       "3::M::25::", "3::M::30::", "users.dat:3: age: expected a bucket code (1, 18, 25, 35, 45, 50, 56), found 30"},
      {"1m", "ratings.dat", "1::1::5::", "1::1::0::", "ratings.dat:1: rating: expected an integer 1-5, found 0"},
      {"1m", "ratings.dat", "1::2::3::978302109", "1::2::3::-1",
       "ratings.dat:2: timestamp: expected seconds since 1970 (>= 0), found -1"},
      {"latest-small", "ratings.csv", "1,2,3.5,", "1,2,4.3,",
       "ratings.csv:3: rating: expected 0.5-5.0 in half stars, found '4.3'"},
      {"latest-small", "ratings.csv", "1,2,3.5,", "1,2,5.5,", "found '5.5'"},
      {"latest-small", "ratings.csv", "1,2,3.5,", "1,2,0.0,", "found '0.0'"},
      {"latest-small", "ratings.csv", "1,2,3.5,", "1,2,nan,", "found 'nan'"},
  };
  for (const Case& c : cases) {
    test::TempDir dir;
    test::write_movielens_fixture(c.variant, dir.path());
    edit(dir, c.file, c.from, c.to);
    EXPECT_CONTAINS(load_error(c.variant, dir.path()), c.expected);
  }
}

TEST(MovieLensCsvTest, ColumnsAreReadByTheirHeaderNamesInAnyOrder) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("movies.csv",
            "genres,movieId,title\nAdventure|Animation,1,Toy Story (1995)\nDrama|Romance,2,\"Bride, The (2005)\"\n"
            "(no genres listed),3,\"Quote \"\"Inside\"\" (1999)\"\n");
  dir.write("ratings.csv",
            "timestamp,rating,movieId,userId\n964982703,4.0,1,1\n964981247,3.5,2,1\n964982224,4.5,2,2\n"
            "964983815,5.0,3,2\n964982931,1.0,1,3\n");
  InteractionData d = load_files("latest-small", dir.path());
  EXPECT_EQ(d.user_original_id, (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(torch::equal(d.rating, torch::tensor({4.0f, 4.5f, 5.0f})));
  EXPECT_TRUE(torch::equal(d.timestamp, torch::tensor({964982703, 964982224, 964983815}, torch::kInt64)));
  EXPECT_EQ(d.item_title.at(2), "Quote \"Inside\" (1999)");
  EXPECT_EQ(d.item_features.continuous[0].sum().item<float>(), 2.0f);
}

// Found by fuzz_movielens_csv under ASan: the second quoted field of a record grew the buffer that
// held the first one, whose view then read freed memory (short strings move with the buffer).
TEST(MovieLensCsvTest, SeveralShortQuotedFieldsOfOneRecordKeepTheirText) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("movies.csv",
            "\"movieId\",\"title\",\"genres\"\n\"1\",\"A (1995)\",\"Drama\"\n\"2\",\"B (2005)\",\"War\"\n"
            "\"3\",\"C (1999)\",\"Drama|War\"\n");
  InteractionData d = load_files("latest-small", dir.path());
  EXPECT_EQ(d.item_title, (std::vector<std::string>{"A (1995)", "B (2005)", "C (1999)"}));
  EXPECT_EQ(d.item_features.continuous.size(1), 2) << "the genre flags, drama and war";
}

TEST(MovieLensCsvTest, AFileWithoutItsHeaderIsADataErrorAtLine1) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("ratings.csv", "1,31,2.5,1260759144\n1,1,4.0,964982703\n");
  for (const char* policy : {"error", "skip"}) {
    EXPECT_CONTAINS(load_error("latest-small", dir.path(), "on_bad_line = \"" + std::string(policy) + "\"\n"),
                    "ratings.csv:1: expected the header userId,movieId,rating,timestamp (columns in any order), "
                    "found '1,31,2.5,1260759144'");
  }
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n");
  dir.write("movies.csv", "movieId,name,genres\n1,Toy Story (1995),Animation\n");
  EXPECT_CONTAINS(load_error("latest-small", dir.path()), "movies.csv:1: expected the header movieId,title,genres");
  EXPECT_CONTAINS(load_error("latest-small", dir.path()), "(no column 'title')");
}

TEST(MovieLensCsvTest, AQuotedFieldMayHoldLineBreaks) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  // Records over lines 2-3 and 4-6 (CRLF inside the quotes too); the title's breaks become spaces.
  dir.write("movies.csv",
            "movieId,title,genres\r\n1,\"Foo\nBar (1999)\",Drama\r\n2,\"Two\r\n\"\"Lines\"\",\r\n(2001)\",Comedy\n"
            "3,Plain (2002),Drama\n");
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5,1\n1,2,5,1\n1,3,5,1\n");
  InteractionData d = load_files("latest-small", dir.path());
  EXPECT_EQ(d.item_title, (std::vector<std::string>{"Foo Bar (1999)", "Two \"Lines\", (2001)", "Plain (2002)"}));
  EXPECT_TRUE(torch::equal(d.item_features.categorical, torch::tensor({0, 1, 2}, torch::kInt64).view({3, 1})));
  // Line numbers still count physical lines: the bad record after them is at line 8.
  dir.write("movies.csv", test::read_file(dir.path() / "movies.csv") + "x,Bad (2003),Drama\n");
  EXPECT_CONTAINS(load_error("latest-small", dir.path()), "movies.csv:8: movie id: expected an integer, found 'x'");
}

TEST(MovieLensCsvTest, AnUnterminatedQuoteIsABadLineAtTheRecordsFirstLine) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  dir.write("movies.csv", "movieId,title,genres\n1,Toy (1995),Drama\n2,\"Open (1999),Drama\n3,Three (2000),Drama\n");
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5,1\n1,3,5,1\n");
  EXPECT_CONTAINS(load_error("latest-small", dir.path()), "movies.csv:3: unterminated quoted field");
  // Skipped, only that line is lost: the next record is read again from its own line.
  InteractionData d = load_files("latest-small", dir.path(), "on_bad_line = \"skip\"\n");
  EXPECT_EQ(d.item_title, (std::vector<std::string>{"Toy (1995)", "Three (2000)"}));
  // An open quote spans at most 100 lines: far from the end of the file it is still only its
  // own line that is lost.
  std::string movies = "movieId,title,genres\n1,Toy (1995),Drama\n2,\"Open (1999),Drama\n";
  for (int id = 3; id <= 300; ++id) movies += std::to_string(id) + ",Film (2000),Drama\n";
  dir.write("movies.csv", movies);
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5,1\n1,150,5,1\n1,300,5,1\n");
  EXPECT_CONTAINS(load_error("latest-small", dir.path()), "movies.csv:3: unterminated quoted field");
  EXPECT_EQ(load_files("latest-small", dir.path(), "on_bad_line = \"skip\"\n").item_original_id,
            (std::vector<std::string>{"1", "150", "300"}));
}

TEST(MovieLensCsvTest, AUtf8ByteOrderMarkIsDropped) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  edit(dir, "movies.csv", "movieId", "\xEF\xBB\xBFmovieId");
  edit(dir, "ratings.csv", "userId", "\xEF\xBB\xBFuserId");
  EXPECT_EQ(load_files("latest-small", dir.path()).num_interactions(), 3);
}

TEST(MovieLensCsvTest, InvalidUtf8AndControlCharactersInTitlesAreReplaced) {
  test::TempDir dir;
  test::write_movielens_fixture("latest-small", dir.path());
  // Bytes FF and FE, a truncated 3-byte sequence, an overlong '/', a surrogate, C0 controls,
  // DEL, tab, C1 controls NEL (whitespace) and CSI; "Caf\u00e9" and an emoji are valid.
  dir.write("movies.csv",
            "movieId,title,genres\n1,Bad \xff\xfe Bytes (1995),Drama\n2,Cut \xe2\x82 (2005),Drama\n"
            "3,\"Ctl\x01\x7f\tT\xc2\x85\xc2\x9b \xc0\xaf\xed\xa0\x80 (1999)\",Drama\n"
            "4,Caf\xc3\xa9 \xf0\x9f\x8e\xac (2001),Drama\n");
  dir.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,5,1\n1,2,5,1\n1,3,5,1\n1,4,5,1\n");
  CapturedLog log;
  InteractionData d = load_files("latest-small", dir.path());
  const std::string r = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(d.item_title, (std::vector<std::string>{"Bad " + r + r + " Bytes (1995)", "Cut " + r + " (2005)",
                                                    "Ctl" + r + r + " T " + r + " " + r + r + r + r + r + " (1999)",
                                                    "Caf\xc3\xa9 \xf0\x9f\x8e\xac (2001)"}));
  EXPECT_CONTAINS(log.text(), "movies.csv: 3 titles had invalid UTF-8 or control characters, replaced");
}

TEST_F(MovieLensFixture, ControlCharactersInLatin1TitlesAreReplaced) {
  // Latin-1 bytes 0x01 (C0) and 0x9B (C1, U+009B) decode to controls; 0xE9 is an 'e' acute.
  edit(dir, "u.item", "Caf\xe9 Test", "Caf\xe9\x9b Test\x01");
  CapturedLog log;
  InteractionData d = load("cache = false\n");
  EXPECT_EQ(d.item_title.at(0), "Caf\xc3\xa9\xEF\xBF\xBD Test\xEF\xBF\xBD (1995)");
  EXPECT_CONTAINS(log.text(), "u.item: 1 titles had invalid UTF-8 or control characters, replaced");
}

TEST(MovieLens100kTest, TheRealDataNeedsNoMergeNorRepair) {
  RECSYS_REQUIRE_MOVIELENS_100K();
  CapturedLog log;
  InteractionData d = load_files("100k", test::data_root() / "ml-100k");
  EXPECT_EQ(d.schema.user.num_ids, 942);
  EXPECT_EQ(d.schema.item.num_ids, 1447);
  EXPECT_EQ(d.num_interactions(), 55376);
  EXPECT_EQ(log.text().find("merged"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("replaced"), std::string::npos) << log.text();
  EXPECT_EQ(log.text().find("repeated"), std::string::npos) << log.text();
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
