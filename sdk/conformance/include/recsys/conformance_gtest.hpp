#pragma once
/// @file
/// GoogleTest glue for the conformance suite: each failure becomes a test failure.
///
///     TEST(MyModel, Conforms) {
///       RECSYS_EXPECT_CONFORMS(recsys::conformance::check_model(make, schema));
///     }
///
/// Plugin test binaries are declared with recsys_add_plugin_test() (RecsysSDK CMake package),
/// which passes the built plugin file as RECSYS_PLUGIN_FILE.

#include <gtest/gtest.h>

#include "recsys/conformance.hpp"

#define RECSYS_EXPECT_CONFORMS(failures)                               \
  do {                                                                 \
    for (const auto& failure_ : (failures)) ADD_FAILURE() << failure_; \
  } while (false)
