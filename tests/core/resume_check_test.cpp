// What may change when a run is resumed: each differing key named and classified.
#include <gtest/gtest.h>

#include "recsys/core/resume_check.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {
namespace {

const std::string kSaved =
    "[model]\narchitecture = 'mf'\nembedding_dim = 16\n"
    "[training]\nepochs = 3\nbatch_size = 4096\nlearning_rate = 0.001\nseed = 42\n"
    "[logging]\nrun_name = 'a'\n";

TEST(ResumeChangesTest, IdenticalConfigsHaveNoChange) {
  EXPECT_TRUE(resume_changes(kSaved, kSaved).empty());
}

TEST(ResumeChangesTest, EachDifferingKeyIsNamedWithBothValuesInKeyOrder) {
  const std::string current =
      "[model]\narchitecture = 'mf'\nembedding_dim = 10\n"
      "[training]\nepochs = 5\nbatch_size = 4096\nlearning_rate = 0.01\nseed = 42\n"
      "[logging]\nrun_name = 'b'\n"
      "[early_stopping]\npatience = 2\n";
  const std::vector<ResumeChange> changes = resume_changes(kSaved, current);
  ASSERT_EQ(changes.size(), 4u);  // logging.run_name is ignored
  EXPECT_EQ(changes[0].key, "early_stopping.patience");
  EXPECT_EQ(changes[0].saved, "(unset)");
  EXPECT_EQ(changes[0].current, "2");
  EXPECT_TRUE(changes[0].allowed);
  EXPECT_EQ(changes[1].key, "model.embedding_dim");
  EXPECT_EQ(changes[1].saved, "16");
  EXPECT_EQ(changes[1].current, "10");
  EXPECT_FALSE(changes[1].allowed);
  EXPECT_EQ(changes[2].key, "training.epochs");
  EXPECT_TRUE(changes[2].allowed);
  EXPECT_EQ(changes[3].key, "training.learning_rate");
  EXPECT_EQ(changes[3].current, "0.01");
  EXPECT_TRUE(changes[3].allowed);
}

TEST(ResumeChangesTest, KeysThatShapeTheSavedStateAreRefused) {
  for (const char* key : {"dataset.variant", "split.strategy", "sampler.num_negatives", "model.embedding_dim",
                          "loss.plugin", "evaluation.protocol", "training.seed", "training.batch_size",
                          "training.micro_batch_size", "training.optimizer", "training.weight_decay"}) {
    EXPECT_FALSE(may_change_on_resume(key)) << key;
  }
  for (const char* key :
       {"training.epochs", "training.eval_every", "training.learning_rate", "training.threads", "training.prefetch",
        "training.device", "training.eval_batch_size", "early_stopping.patience", "early_stopping.monitor"}) {
    EXPECT_TRUE(may_change_on_resume(key)) << key;
  }
}

TEST(ResumeChangesTest, AResolvedConfigThatDoesNotParseIsAConfigError) {
  EXPECT_THROW(resume_changes("[model\n", kSaved), ConfigError);
}

}  // namespace
}  // namespace recsys::core
