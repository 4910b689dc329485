// The context a request scores with (core/include/recsys/core/request_context.hpp): training
// modes by default, categorical values by name, numbers transformed as the dataset's fit did.
// Expected values worked out by hand.
#include "recsys/core/request_context.hpp"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

class RequestContextTest : public ::testing::Test {
 protected:
  /// Five interactions, the first four in training: device (categorical: "", "<oov>", mobile,
  /// tv), price (numeric: fill 3, shift 2, scale 4) and a two-column vector field emb (identity).
  void SetUp() override {
    InteractionData& d = data;
    d.schema.context.categorical = {{"device", 4}};
    d.schema.context.continuous_names = {"price", "emb", "emb"};
    d.schema.context.continuous_dim = 3;
    d.context_values = {{"", "<out of vocabulary>", "mobile", "tv"}};
    d.context_transforms = {{3.0f, 2.0f, 4.0f}, {}, {}};
    d.context_features.categorical = torch::tensor({3, 2, 3, 2, 2}, torch::kInt64).view({5, 1});
    d.context_features.continuous = torch::tensor(
        {{0.5f, 1.0f, 1.0f}, {0.5f, 7.0f, 7.0f}, {0.5f, 1.0f, 1.0f}, {9.0f, 9.0f, 9.0f}, {9.0f, 9.0f, 9.0f}});
  }
  std::string error(const std::vector<std::string>& entries) {
    return test::config_error([&] { context_row(data, train, entries); });
  }
  InteractionData data;
  torch::Tensor train = torch::arange(4, torch::kInt64);
};

TEST_F(RequestContextTest, WithoutEntriesEachColumnTakesItsMostFrequentTrainingValue) {
  const SideFeatures row = context_row(data, train, {});
  // device: tv (3) and mobile (2) twice each in training: the smaller code wins the tie.
  EXPECT_EQ(row.categorical[0][0].item<std::int64_t>(), 2);
  // price 0.5 three times in training, emb 1 twice; row 4 (9, 9, 9) is not in training.
  EXPECT_TRUE(torch::equal(row.continuous, torch::tensor({{0.5f, 1.0f, 1.0f}})));
}

TEST_F(RequestContextTest, NumbersAreTransformedAsTheFitDidAndVectorsTakeCommas) {
  SideFeatures row = context_row(data, train, {"price=10", "device=tv", "emb=-1.5,2e1"});
  EXPECT_FLOAT_EQ(row.continuous[0][0].item<float>(), 2.0f);  // (10 - 2) / 4
  EXPECT_FLOAT_EQ(row.continuous[0][1].item<float>(), -1.5f);
  EXPECT_FLOAT_EQ(row.continuous[0][2].item<float>(), 20.0f);
  EXPECT_EQ(row.categorical[0][0].item<std::int64_t>(), 3);
  row = context_row(data, train, {"price="});  // missing: the fill, (3 - 2) / 4
  EXPECT_FLOAT_EQ(row.continuous[0][0].item<float>(), 0.25f);
}

TEST_F(RequestContextTest, BadEntriesNameTheEntryAndWhatWasExpected) {
  EXPECT_NE(error({"price"}).find("--context price: expected name=value"), std::string::npos);
  EXPECT_NE(error({"colour=red"}).find("--context colour=red: no context field 'colour' (fields: device, price, emb)"),
            std::string::npos);
  EXPECT_NE(error({"device=fridge"}).find("'device' has no value 'fridge' in the run's data (4 values known)"),
            std::string::npos);
  EXPECT_NE(error({"device="}).find("'device' has no value ''"), std::string::npos);
  EXPECT_NE(error({"price=cheap"}).find("--context price=cheap: 'cheap' is not a finite number"), std::string::npos);
  EXPECT_NE(error({"price=1e99"}).find("'1e99' is not a finite number"), std::string::npos);
  EXPECT_NE(error({"price=3x"}).find("'3x' is not a finite number"), std::string::npos);
  EXPECT_NE(error({"emb=1"}).find("--context emb=1: expected 2 comma-separated numbers, got 1"), std::string::npos);
  data.context_transforms.clear();
  EXPECT_NE(error({"price=1"}).find("gives no transforms for its numeric context"), std::string::npos);
  EXPECT_NO_THROW(context_row(data, train, {"device=tv"}));  // categorical values need none
}

}  // namespace
}  // namespace recsys::core
