// The plugin loader: discovery, each distinct way a load fails, duplicates, lookups.
#include <gtest/gtest.h>

#include <filesystem>

#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using core::PluginRegistry;
using test::TempDir;

TEST(PluginRegistryTest, ScansTheBuiltPluginsAndListsThem) {
  PluginRegistry registry;
  registry.scan_directory(test::plugin_dir());
  for (const auto& library : registry.libraries()) EXPECT_TRUE(library.ok) << library.path << library.error;
  std::vector<std::string> names;
  for (const auto& p : registry.plugins()) names.push_back(std::string(to_string(p.kind)) + "/" + p.name);
  for (const char* expected : {"dataset/movielens", "sampler/uniform", "model/inner_product", "loss/mse", "loss/bce",
                               "metric/roc_auc", "metric/pr_auc"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

TEST(PluginRegistryTest, FindsByNameAndAlias) {
  PluginRegistry registry = test::registry_with("model_inner_product");
  EXPECT_EQ(registry.find(PluginKind::model, "NeuralInnerProduct").name, "inner_product");
  EXPECT_EQ(registry.find(PluginKind::model, "inner_product").version, "1.0.0");
}

TEST(PluginRegistryTest, UnknownNameSuggestsTheClosest) {
  PluginRegistry registry = test::registry_with("model_inner_product");
  try {
    registry.find(PluginKind::model, "inner_prodcut");
    FAIL() << "expected PluginNotFoundError";
  } catch (const PluginNotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'inner_product'?"), std::string::npos) << e.what();
  }
  // A name of another kind is not found either.
  EXPECT_THROW(registry.find(PluginKind::loss, "inner_product"), PluginNotFoundError);
}

TEST(PluginRegistryTest, RefusesAFileThatIsNotASharedLibrary) {
  TempDir dir;
  const fs::path file = dir.write("garbage.so", "this is not an ELF file\n");
  PluginRegistry registry;
  EXPECT_THROW(registry.load_library(file), NotAPluginError);  // read, never dlopen'ed (plugin_trust.hpp)
  ASSERT_EQ(registry.libraries().size(), 1u);
  EXPECT_FALSE(registry.libraries()[0].ok);
  EXPECT_NE(registry.libraries()[0].error.find("not an ELF shared library"), std::string::npos);
}

TEST(PluginRegistryTest, RefusesAMissingFile) {
  PluginRegistry registry;
  EXPECT_THROW(registry.load_library("/nonexistent/libplugin.so"), PluginLoadError);
  EXPECT_NE(registry.libraries()[0].error.find("cannot be loaded: No such file or directory"), std::string::npos)
      << registry.libraries()[0].error;
}

TEST(PluginRegistryTest, RefusesALibraryWithoutAManifest) {
  PluginRegistry registry;
  try {
    registry.load_library(test::fixture_dir() / "fixture_not_a_plugin.so");
    FAIL() << "expected NotAPluginError";
  } catch (const NotAPluginError& e) {
    EXPECT_NE(std::string(e.what()).find("fixture_not_a_plugin.so: not a recsys plugin"), std::string::npos)
        << e.what();
  }
}

TEST(PluginRegistryTest, RefusesAnotherApiMajorBeforeCallingAnyFactory) {
  PluginRegistry registry;
  try {
    registry.load_library(test::fixture_dir() / "fixture_bad_api.so");
    FAIL() << "expected PluginApiVersionError";
  } catch (const PluginApiVersionError& e) {
    EXPECT_NE(std::string(e.what()).find("built against plugin API 99.0"), std::string::npos) << e.what();
  }
  EXPECT_THROW(registry.find(PluginKind::loss, "future_loss"), PluginNotFoundError);
}

TEST(PluginRegistryTest, RefusesAnOlderApiMajorSayingWhatChanged) {
  PluginRegistry registry;
  try {
    registry.load_library(test::fixture_dir() / "fixture_old_api.so");
    FAIL() << "expected PluginApiVersionError";
  } catch (const PluginApiVersionError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("built against plugin API 4.0, but this host provides 5.0"), std::string::npos) << message;
    EXPECT_NE(message.find("API 5.0 changed InteractionData: it has context_transforms"), std::string::npos) << message;
  }
}

TEST(PluginRegistryTest, RefusesAMalformedManifest) {
  PluginRegistry registry;
  EXPECT_THROW(registry.load_library(test::fixture_dir() / "fixture_bad_manifest.so"), InvalidManifestError);
}

TEST(PluginRegistryTest, ABrokenLibraryInADirectoryDoesNotStopTheOthers) {
  TempDir dir;
  dir.write("broken.so", "not a library");
  fs::copy_file(test::plugin_file("loss_pointwise"), dir.path() / "recsys_loss_pointwise.so");
  PluginRegistry registry;
  registry.scan_directory(dir.path());
  EXPECT_EQ(registry.libraries().size(), 2u);
  EXPECT_EQ(registry.find(PluginKind::loss, "mse").name, "mse");
}

TEST(PluginRegistryTest, SameFileThroughTwoPathsIsLoadedOnce) {
  TempDir dir;
  fs::create_symlink(test::plugin_dir(), dir.path() / "link");
  PluginRegistry registry;
  registry.scan_directory(test::plugin_dir());
  const auto count = registry.libraries().size();
  registry.scan_directory(dir.path() / "link");
  EXPECT_EQ(registry.libraries().size(), count);
  EXPECT_NO_THROW(registry.find(PluginKind::loss, "mse"));
}

TEST(PluginRegistryTest, TwoFilesRegisteringOneNameAreRefusedOnUse) {
  TempDir dir;
  const fs::path copy = dir.path() / "copy_of_losses.so";
  fs::copy_file(test::plugin_file("loss_pointwise"), copy);
  PluginRegistry registry = test::registry_with("loss_pointwise");
  registry.load_library(copy);
  try {
    registry.find(PluginKind::loss, "mse");
    FAIL() << "expected DuplicatePluginError";
  } catch (const DuplicatePluginError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(test::plugin_file("loss_pointwise").filename().string()), std::string::npos);
    EXPECT_NE(message.find("copy_of_losses.so"), std::string::npos) << message;
  }
  EXPECT_NE(registry.libraries().back().error.find("registers loss 'mse'"), std::string::npos);
}

TEST(PluginRegistryTest, CreatesTypedPlugins) {
  PluginRegistry registry = test::registry_with("loss_pointwise");
  const Config config = Config::empty("loss");
  auto loss = registry.create<PluginKind::loss>("mse", config);
  ASSERT_NE(loss, nullptr);
  Batch batch;
  batch.label = torch::tensor({0.0f, 1.0f});
  const torch::Tensor value = loss->forward(torch::tensor({1.0f, 3.0f}), batch);
  EXPECT_FLOAT_EQ(value.item<float>(), 2.5f);  // (1 + 4) / 2
}

TEST(PluginRegistryTest, RefusesAnotherLibtorchNamingBothSides) {
  PluginRegistry registry;
  try {
    registry.load_library(test::fixture_dir() / "fixture_other_torch.so");
    FAIL() << "expected PluginAbiError";
  } catch (const PluginAbiError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("fixture_other_torch.so"), std::string::npos) << message;
    EXPECT_NE(message.find("libtorch 1.12, but this host was built with"), std::string::npos) << message;
    EXPECT_NE(message.find("libtorch 1.13"), std::string::npos) << message;
  }
}

TEST(PluginRegistryTest, RefusesAnUnresolvedSymbolWithTheLoadersMessage) {
  PluginRegistry registry;
  try {
    registry.load_library(test::fixture_dir() / "fixture_unresolved.so");
    FAIL() << "expected PluginLoadError";
  } catch (const PluginLoadError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("fixture_unresolved.so"), std::string::npos) << message;
    EXPECT_NE(message.find("recsys_fixture_symbol_nobody_defines"), std::string::npos) << message;
  }
}

TEST(PluginRegistryTest, AFactoryThatThrowsIsAnErrorNamingThePluginAndFile) {
  PluginRegistry registry;
  registry.load_library(test::fixture_dir() / "fixture_throwing.so");
  const Config config = Config::empty("loss");
  try {
    registry.create<PluginKind::loss>("throwing_loss", config);
    FAIL() << "expected PluginFactoryError";
  } catch (const PluginFactoryError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("fixture_throwing.so: loss plugin 'throwing_loss' failed to construct: cannot open "
                           "/dev/gpu0"),
              std::string::npos)
        << message;
  }
  // A plugin rejecting its table stays a config error (exit status 2).
  EXPECT_THROW(registry.create<PluginKind::loss>("bad_table_loss", config), ConfigError);
}

TEST(PluginRegistryTest, HostBuildInfoIsThisToolchain) {
  const PluginBuildInfo info = core::host_build_info();
  EXPECT_EQ(info.torch_major, 1u);
  EXPECT_EQ(info.torch_minor, 13u);
  EXPECT_EQ(info.cxx11_abi, 1u);
}

}  // namespace
}  // namespace recsys
