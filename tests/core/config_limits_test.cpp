// What a hostile pipeline file can no longer do: crash the TOML parser with deep nesting, or
// pass a value (nan, inf, a size past what a run holds) that silently breaks the results.
// The inputs are those of the hardening probe (issue 18, findings 3 and 4).
#include <gtest/gtest.h>

#include <fstream>

#include "recsys/core/distributed.hpp"
#include "recsys/core/evaluation.hpp"
#include "recsys/core/pipeline_config.hpp"
#include "recsys/core/toml_limits.hpp"
#include "recsys/core/trainer.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

using core::PipelineConfig;

using test::config_error;

std::string repeated(const std::string& unit, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

// The probe's crash: toml++ recursed once per part and overflowed the stack (SIGSEGV).
TEST(TomlLimitsTest, AHeaderOfFiftyThousandPartsIsAConfigErrorNotACrash) {
  const std::string text = "[x" + repeated(".x", 49'999) + "]\n";
  EXPECT_EQ(config_error([&] { PipelineConfig::parse(text, "deep.toml"); }),
            "deep.toml:1:129: nested deeper than 64 levels (dotted key parts, arrays and inline tables): not a "
            "pipeline config");
}

TEST(TomlLimitsTest, DeepArraysInlineTablesAndDottedKeysAreRefused) {
  for (const std::string& text :
       {"a = " + repeated("[", 10'000) + repeated("]", 10'000) + "\n",
        "a = " + repeated("{b = ", 5'000) + "1" + repeated("}", 5'000) + "\n", "x" + repeated(".x", 100) + " = 1\n",
        "[dataset]\nv = [\n" + repeated("[", 65) + "\n" + repeated("]", 65) + "]\n"}) {
    const std::string message = config_error([&] { PipelineConfig::parse(text, "deep.toml"); });
    EXPECT_NE(message.find("deep.toml:"), std::string::npos) << message;
    EXPECT_NE(message.find("nested deeper than 64 levels"), std::string::npos) << text.substr(0, 40);
  }
}

TEST(TomlLimitsTest, DotsAndBracketsInStringsAndCommentsDoNotCount) {
  const std::string many_dots = repeated(".[{", 200);
  const std::string text = "# " + many_dots + "\n[model]\nname = \"" + many_dots + "\"\nliteral = '" + many_dots +
                           "'\nmulti = \"\"\"\n" + many_dots + "\n\"\"\"\nwidths = [1.5, 2.5, [3.5]]\n" +
                           "inline = {a.b = 1, c = {d = 2}}\n\"quoted.key.with.dots\" = 1\n";
  const PipelineConfig config = PipelineConfig::parse(text, "ok.toml");
  EXPECT_EQ(config.section("model").get_string("name"), many_dots);
}

TEST(TomlLimitsTest, SixtyFourLevelsAreAcceptedSixtyFiveAreNot) {
  EXPECT_NO_THROW(PipelineConfig::parse("a = " + repeated("[", 64) + repeated("]", 64) + "\n", "ok.toml"));
  EXPECT_NE(config_error([&] { PipelineConfig::parse("a = " + repeated("[", 65) + repeated("]", 65), "x.toml"); }), "");
}

TEST(TomlLimitsTest, AFileLargerThanOneMebibyteIsRefusedBeforeItIsRead) {
  test::TempDir dir;
  const auto file = dir.path() / "big.toml";
  std::ofstream(file) << "# " << std::string(core::kMaxPipelineFileBytes, 'x') << "\n";
  EXPECT_NE(config_error([&] { PipelineConfig::load(file); }).find("larger than the 1048576 a pipeline file may hold"),
            std::string::npos);
  EXPECT_NE(config_error([&] { PipelineConfig::load("/dev/zero"); }).find("/dev/zero: not a regular file"),
            std::string::npos);
}

TEST(TomlLimitsTest, DeepSetOverridesAreRefused) {
  const std::string key = "model" + repeated(".x", 70);
  EXPECT_NE(config_error([&] {
              PipelineConfig::parse("[model]\n", "p.toml", {key + "=1"});
            }).find("more than the 64 a pipeline config nests"),
            std::string::npos);
  EXPECT_NE(config_error([&] {
              PipelineConfig::parse("[model]\n", "p.toml", {"model.x=" + repeated("[", 100) + repeated("]", 100)});
            }).find("nested deeper than 64 levels"),
            std::string::npos);
}

/// `section` of `toml`, read by `from_config`: the ConfigError it throws.
template <typename Options>
std::string options_error(const std::string& toml, const std::string& section) {
  const PipelineConfig config = PipelineConfig::parse(toml, "p.toml");
  return config_error([&] { Options::from_config(config.section(section)); });
}

// The probe's silent values: each passed its check and changed the run (or crashed it late).
TEST(ValueRangeTest, NanAndInfinityAreRefusedForEveryFloatKey) {
  EXPECT_EQ(options_error<core::TrainerOptions>("[training]\nweight_decay = nan\n", "training"),
            "p.toml:2:16: training.weight_decay: expected finite float, found float (nan)");
  EXPECT_EQ(options_error<core::TrainerOptions>("[training]\nlearning_rate = inf\n", "training"),
            "p.toml:2:17: training.learning_rate: expected finite float, found float (inf)");
  EXPECT_EQ(options_error<core::DistributedOptions>("[distributed]\ntimeout_seconds = inf\n", "distributed"),
            "p.toml:2:19: distributed.timeout_seconds: expected finite float, found float (inf)");
  const PipelineConfig config = PipelineConfig::parse("[early_stopping]\nmin_delta = nan\n", "p.toml");
  EXPECT_EQ(config_error([&] {
              core::EarlyStoppingOptions::from_config(config.section("early_stopping"), {"roc_auc"},
                                                      [](const std::string&) { return true; });
            }),
            "p.toml:2:13: early_stopping.min_delta: expected finite float, found float (nan)");
}

TEST(ValueRangeTest, SizesPastWhatARunHoldsNameTheirKey) {
  // 4294967297 became 1 thread through static_cast<int>.
  EXPECT_EQ(options_error<core::TrainerOptions>("[training]\nthreads = 4294967297\n", "training"),
            "p.toml:2:11: training.threads: must be in [0, 4096]");
  EXPECT_EQ(options_error<core::DistributedOptions>("[distributed]\ntimeout_seconds = 1e9\n", "distributed"),
            "p.toml:2:19: distributed.timeout_seconds: must be in [0.001, 604800)");
  EXPECT_EQ(options_error<core::TrainerOptions>("[training]\nbatch_size = 9223372036854775807\n", "training"),
            "p.toml:2:14: training.batch_size: must be in [1, 67108864]");
  EXPECT_EQ(options_error<core::EvaluationOptions>("[evaluation]\nnum_candidates = 4294967296\n", "evaluation"),
            "p.toml:2:18: evaluation.num_candidates: must be in [1, 1000000]");
}

}  // namespace
}  // namespace recsys
