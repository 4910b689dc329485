// Typed config access, --set overrides and the pipeline file's error messages.
#include <gtest/gtest.h>

#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

using core::PipelineConfig;
using test::parse_config;

using test::config_error;

class ConfigTest : public ::testing::Test {
 protected:
  PipelineConfig config = parse_config(R"(
[model]
embedding_dim = 10
dropout = 0.2
name = "mf"
layers = [64, 32]
mixed = [1, "two"]
flag = true
rate = 3
)");
  const Config& model = config.section("model");
};

TEST_F(ConfigTest, ReadsEachType) {
  EXPECT_EQ(model.get_int("embedding_dim"), 10);
  EXPECT_DOUBLE_EQ(model.get_double("dropout"), 0.2);
  EXPECT_EQ(model.get_string("name"), "mf");
  EXPECT_EQ(model.get_int_list("layers"), (std::vector<std::int64_t>{64, 32}));
  EXPECT_TRUE(model.get_bool("flag"));
}

TEST_F(ConfigTest, AcceptsAnIntegerWhereAFloatIsWanted) {
  EXPECT_DOUBLE_EQ(model.get_double("rate"), 3.0);
}

TEST_F(ConfigTest, FallbackOnlyWhenAbsent) {
  EXPECT_EQ(model.get_int("num_layers", 3), 3);
  EXPECT_EQ(model.get_int("embedding_dim", 3), 10);
}

TEST_F(ConfigTest, FloatWhereIntegerWantedNamesKeyTypesAndLine) {
  const std::string message = config_error([&] { model.get_int("dropout"); });
  EXPECT_NE(message.find("test.toml:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("model.dropout"), std::string::npos) << message;
  EXPECT_NE(message.find("expected integer, found float (0.2)"), std::string::npos) << message;
}

TEST_F(ConfigTest, WrongTypeIsAnErrorEvenWithAFallback) {
  const std::string message = config_error([&] { model.get_double("name", 1.0); });
  EXPECT_NE(message.find("expected float, found string"), std::string::npos) << message;
}

TEST_F(ConfigTest, MissingRequiredKey) {
  const std::string message = config_error([&] { model.get_int("num_heads"); });
  EXPECT_NE(message.find("model.num_heads: required key is missing"), std::string::npos) << message;
}

TEST_F(ConfigTest, ListElementOfWrongTypeNamesTheIndex) {
  const std::string message = config_error([&] { model.get_int_list("mixed"); });
  EXPECT_NE(message.find("model.mixed[1]: expected integer, found string"), std::string::npos) << message;
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosestKnownOne) {
  const PipelineConfig c = parse_config("[model]\nembeding_dim = 8\n");
  const Config& m = c.section("model");
  EXPECT_EQ(m.get_int("embedding_dim", 10), 10);
  const std::string message = config_error([&] { m.check_unknown_keys(); });
  EXPECT_NE(message.find("test.toml:2:16: model.embeding_dim: unknown key 'embeding_dim'; did you mean "
                         "'embedding_dim'?"),
            std::string::npos)
      << message;
}

TEST_F(ConfigTest, UnknownSectionSuggestsTheClosest) {
  const PipelineConfig c = parse_config("[trainig]\nepochs = 1\n");
  const std::string message = config_error([&] { c.check_unknown_sections(); });
  EXPECT_NE(message.find("unknown section 'trainig'; did you mean 'training'?"), std::string::npos) << message;
}

TEST_F(ConfigTest, SyntaxErrorNamesLineAndColumn) {
  const std::string message = config_error([] { parse_config("[model]\nembedding_dim = = 3\n"); });
  EXPECT_EQ(message.rfind("test.toml:2:", 0), 0u) << message;
}

TEST(ConfigOverrideTest, ValuesAreReadAsToml) {
  const PipelineConfig c =
      PipelineConfig::parse("[training]\nepochs = 10\n", "test.toml",
                            {"training.epochs=5", "training.learning_rate=1e-3", "training.flag=true",
                             "model.layers=[64, 32]", "model.name=\"text\"", "model.word=adam", "logging.new=1"});
  EXPECT_EQ(c.section("training").get_int("epochs"), 5);
  EXPECT_DOUBLE_EQ(c.section("training").get_double("learning_rate"), 1e-3);
  EXPECT_TRUE(c.section("training").get_bool("flag"));
  EXPECT_EQ(c.section("model").get_int_list("layers"), (std::vector<std::int64_t>{64, 32}));
  EXPECT_EQ(c.section("model").get_string("name"), "text");
  EXPECT_EQ(c.section("model").get_string("word"), "adam");
  EXPECT_EQ(c.section("logging").get_int("new"), 1);
  EXPECT_NE(c.section("training").where("epochs").find("(--set)"), std::string::npos);
}

TEST(ConfigOverrideTest, MalformedOverrideIsAConfigError) {
  EXPECT_THROW(PipelineConfig::parse("", "t", {"training.epochs"}), ConfigError);
  EXPECT_THROW(PipelineConfig::parse("", "t", {"training..epochs=1"}), ConfigError);
  EXPECT_THROW(PipelineConfig::parse("[training]\nepochs = 1\n", "t", {"training.epochs.x=1"}), ConfigError);
}

TEST(ClosestMatchTest, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest_match("inner_prodct", {"inner_product", "neumf"}), "inner_product");
  EXPECT_FALSE(closest_match("xyz", {"inner_product", "neumf"}).has_value());
}

}  // namespace
}  // namespace recsys

namespace recsys {
namespace {

TEST(MisspelledKeyTest, ReportsOnlyATypoWhoseIntendedKeyIsAbsent) {
  const auto config = test::parse_config("[dataset]\ndata_dri = \"x\"\nlater = 1\n");
  const Config& d = config.section("dataset");
  d.get_string("data_dir", "default");
  d.get_int("latter", 0);  // read, but "later" is near it and "latter" is absent: a typo
  EXPECT_THROW(d.check_misspelled_keys(), ConfigError);

  const auto clean = test::parse_config("[model]\nembedding_dim = 0\nuse_features = true\n");
  const Config& m = clean.section("model");
  m.get_int("embedding_dim", 10);  // a reader that stopped here has not read use_features yet
  EXPECT_NO_THROW(m.check_misspelled_keys());
}

}  // namespace
}  // namespace recsys

namespace recsys {
namespace {

TEST(ResolvedConfigTest, HoldsTheDefaultsThatWereRead) {
  const auto config = test::parse_config("[model]\nembedding_dim = 8\n");
  const Config& model = config.section("model");
  model.get_int("embedding_dim", 10);
  model.get_double("init_std", 0.01);
  model.get_string_list("exclude_fields", {});
  const std::string resolved = config.resolved_toml();
  EXPECT_NE(resolved.find("embedding_dim = 8"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("init_std = 0.01"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("exclude_fields = []"), std::string::npos) << resolved;
  // It parses back to the same values.
  const auto again = core::PipelineConfig::parse(resolved, "resolved.toml");
  EXPECT_EQ(again.section("model").get_int("embedding_dim"), 8);
  EXPECT_DOUBLE_EQ(again.section("model").get_double("init_std"), 0.01);
}

}  // namespace
}  // namespace recsys

namespace recsys {
namespace {

// The range-checked getters (plugin API 1.2). Each message is where(key) (file:line:column of
// the value, and the key path) followed by the bound that failed.
class RangeCheckedGetterTest : public ::testing::Test {
 protected:
  core::PipelineConfig config = test::parse_config(
      "[model]\n"
      "num_heads = 4\n"             // line 2, value at column 13
      "zero = 0\n"                  // line 3, column 8
      "negative = -1\n"             // line 4, column 12
      "init_std = 0.05\n"           // line 5
      "zero_std = 0.0\n"            // line 6, column 12
      "not_a_number = nan\n"        // line 7, column 16
      "dropout = 0.5\n"             // line 8, column 11
      "one = 1.0\n"                 // line 9, column 7
      "below = -0.1\n"              // line 10, column 9
      "deep_layers = [512, 256]\n"  // line 11
      "empty = []\n"                // line 12
      "widths = [64, 0, 32]\n"      // line 13, column 10
      "offsets = [0, -2]\n"         // line 14, column 11
      "ratio = 0.5\n");             // line 15
  const Config& model = config.section("model");
};

TEST_F(RangeCheckedGetterTest, IntAtLeast) {
  EXPECT_EQ(model.get_int_at_least("num_heads", 8, 1), 4);
  EXPECT_EQ(model.get_int_at_least("num_layers", 3, 0), 3);  // absent: the fallback
  EXPECT_EQ(model.get_int_at_least("zero", 5, 0), 0);        // the minimum itself passes
  EXPECT_EQ(config_error([&] { model.get_int_at_least("zero", 5, 1); }),
            "test.toml:3:8: model.zero: must be at least 1");
  EXPECT_EQ(config_error([&] { model.get_int_at_least("num_heads", 8, 5); }),
            "test.toml:2:13: model.num_heads: must be at least 5");
  EXPECT_EQ(config_error([&] { model.get_int_at_least("negative", 0, 0); }),
            "test.toml:4:12: model.negative: must not be negative");
  // The fallback is checked too (no position: the key is absent); the type before the range.
  EXPECT_EQ(config_error([&] { model.get_int_at_least("absent", 0, 1); }),
            "test.toml: model.absent: must be at least 1");
  EXPECT_NE(
      config_error([&] { model.get_int_at_least("init_std", 1, 1); }).find("expected integer, found float (0.05)"),
      std::string::npos);
}

TEST_F(RangeCheckedGetterTest, PositiveDouble) {
  EXPECT_DOUBLE_EQ(model.get_positive_double("init_std", 0.01), 0.05);
  EXPECT_DOUBLE_EQ(model.get_positive_double("learning_rate", 0.001), 0.001);  // absent
  EXPECT_DOUBLE_EQ(model.get_positive_double("num_heads", 1.0), 4.0);          // an integer is a number
  EXPECT_EQ(config_error([&] { model.get_positive_double("zero_std", 0.01); }),
            "test.toml:6:12: model.zero_std: must be positive");
  EXPECT_EQ(config_error([&] { model.get_positive_double("negative", 0.01); }),
            "test.toml:4:12: model.negative: must be positive");
  EXPECT_EQ(config_error([&] { model.get_positive_double("not_a_number", 0.01); }),
            "test.toml:7:16: model.not_a_number: expected finite float, found float (nan)");
}

TEST_F(RangeCheckedGetterTest, DoubleInAHalfOpenRange) {
  EXPECT_DOUBLE_EQ(model.get_double_in("dropout", 0.2, 0.0, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(model.get_double_in("attention_dropout", 0.1, 0.0, 1.0), 0.1);  // absent
  EXPECT_DOUBLE_EQ(model.get_double_in("zero", 0.2, 0.0, 1.0), 0.0);               // low is inside
  EXPECT_EQ(config_error([&] { model.get_double_in("one", 0.2, 0.0, 1.0); }),
            "test.toml:9:7: model.one: must be in [0, 1)");  // high is outside
  EXPECT_EQ(config_error([&] { model.get_double_in("below", 0.2, 0.0, 1.0); }),
            "test.toml:10:9: model.below: must be in [0, 1)");
  EXPECT_EQ(config_error([&] { model.get_double_in("dropout", 0.2, 0.75, 2.5); }),
            "test.toml:8:11: model.dropout: must be in [0.75, 2.5)");
  EXPECT_EQ(config_error([&] { model.get_double_in("not_a_number", 0.2, 0.0, 1.0); }),
            "test.toml:7:16: model.not_a_number: expected finite float, found float (nan)");
}

TEST_F(RangeCheckedGetterTest, IntListWhoseEveryEntryHasAMinimum) {
  EXPECT_EQ(model.get_int_list_at_least("deep_layers", {1}, 1), (std::vector<std::int64_t>{512, 256}));
  EXPECT_EQ(model.get_int_list_at_least("layers", {64, 32}, 1), (std::vector<std::int64_t>{64, 32}));  // absent
  EXPECT_TRUE(model.get_int_list_at_least("empty", {8}, 1).empty());
  EXPECT_EQ(model.get_int_list_at_least("offsets", {}, -2), (std::vector<std::int64_t>{0, -2}));
  EXPECT_EQ(config_error([&] { model.get_int_list_at_least("widths", {}, 1); }),
            "test.toml:13:10: model.widths: every entry must be at least 1");
  EXPECT_EQ(config_error([&] { model.get_int_list_at_least("offsets", {}, 0); }),
            "test.toml:14:11: model.offsets: every entry must not be negative");
}

TEST_F(RangeCheckedGetterTest, IntInAClosedRange) {
  EXPECT_EQ(model.get_int_in("num_heads", 8, 1, 4), 4);  // high is inside
  EXPECT_EQ(model.get_int_in("zero", 8, 0, 4), 0);       // low is inside
  EXPECT_EQ(model.get_int_in("absent", 2, 1, 4), 2);
  EXPECT_EQ(config_error([&] { model.get_int_in("num_heads", 8, 1, 3); }),
            "test.toml:2:13: model.num_heads: must be in [1, 3]");
  EXPECT_EQ(config_error([&] { model.get_int_in("negative", 8, 0, 3); }),
            "test.toml:4:12: model.negative: must be in [0, 3]");
  EXPECT_EQ(model.get_int_list_in("deep_layers", {}, 1, 512), (std::vector<std::int64_t>{512, 256}));
  EXPECT_EQ(config_error([&] { model.get_int_list_in("deep_layers", {}, 1, 300); }),
            "test.toml:11:15: model.deep_layers: every entry must be in [1, 300]");
}

TEST_F(RangeCheckedGetterTest, RecordsAndMarksWhatTheyRead) {
  model.get_int_at_least("num_heads", 8, 1);
  model.get_int_at_least("num_layers", 3, 0);
  model.get_double_in("ratio", 0.1, 0.0, 1.0);
  const std::string resolved = config.resolved_toml();
  EXPECT_NE(resolved.find("num_heads = 4"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("num_layers = 3"), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("ratio = 0.5"), std::string::npos) << resolved;
  // A key read by a range-checked getter is known: a typo of it is reported with it.
  const auto typo = test::parse_config("[model]\nnum_heads = 4\nnum_layer = 2\n");
  const Config& m = typo.section("model");
  m.get_int_at_least("num_heads", 8, 1);
  m.get_int_at_least("num_layers", 3, 0);
  EXPECT_EQ(config_error([&] { m.check_unknown_keys(); }),
            "test.toml:3:13: model.num_layer: unknown key 'num_layer'; did you mean 'num_layers'?");
}

}  // namespace
}  // namespace recsys
