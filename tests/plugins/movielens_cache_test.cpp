// The movielens plugin's parsed-data cache refuses files it should not trust (issue 18,
// finding 6): a valid cache of other data under this data's name, and a damaged one.
#include <gtest/gtest.h>

#include <cstdlib>

#include <torch/torch.h>

#include "movielens_fixtures.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

class MovieLensCacheTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("XDG_CACHE_HOME", cache.path().c_str(), 1);
    test::write_movielens_fixture("100k", small.path());
    test::write_movielens_fixture("1m", other.path());
  }
  void TearDown() override { unsetenv("XDG_CACHE_HOME"); }

  InteractionData load(const fs::path& dir, const std::string& variant) {
    const auto config = test::parse_config("[d]\nvariant = \"" + variant + "\"\ndata_dir = \"" + dir.string() + "\"\n");
    return registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
  }
  std::vector<fs::path> cache_files() const {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(cache.path() / "recsys" / "parsed")) files.push_back(e.path());
    return files;
  }

  test::TempDir cache, small, other;
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
};

// The probe's case: another dataset's valid cache copied under this data's name was trained on.
TEST_F(MovieLensCacheTrustTest, AValidCacheOfOtherDataUnderThisNameIsNotUsed) {
  const InteractionData expected = load(small.path(), "100k");
  ASSERT_EQ(cache_files().size(), 1u);
  const fs::path own = cache_files().front();
  const InteractionData foreign = load(other.path(), "1m");
  ASSERT_NE(foreign.num_interactions(), expected.num_interactions()) << "the fixtures must differ";
  fs::path foreign_file;
  for (const auto& f : cache_files()) foreign_file = f == own ? foreign_file : f;
  fs::copy_file(foreign_file, own, fs::copy_options::overwrite_existing);
  const InteractionData again = load(small.path(), "100k");
  EXPECT_EQ(again.num_interactions(), expected.num_interactions());
  EXPECT_TRUE(torch::equal(again.user_id, expected.user_id));
  EXPECT_EQ(again.item_original_id, expected.item_original_id);
}

TEST_F(MovieLensCacheTrustTest, ADamagedCacheIsParsedAgain) {
  const InteractionData expected = load(small.path(), "100k");
  const fs::path own = cache_files().front();
  const auto size = fs::file_size(own);
  fs::resize_file(own, size / 2);
  const InteractionData again = load(small.path(), "100k");
  EXPECT_TRUE(torch::equal(again.item_id, expected.item_id));
}

}  // namespace
}  // namespace recsys
