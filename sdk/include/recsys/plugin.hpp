#pragma once
/// @file
/// Plugin registration: the single source of a plugin library's metadata.
///
/// A plugin library exports exactly one entry point, `recsys_plugin_manifest` (a Boost.DLL
/// alias in the ELF section "recsys"), returning a pointer to a constant PluginManifest.
/// The manifest is plain constant data (no static initialisers run), and it starts with the
/// API version so the host can check compatibility before it calls any factory
/// (cf. LLVM's llvmGetPassPluginInfo).
///
/// Usage, once per library (a library may hold several plugins of one family):
///
///     RECSYS_PLUGIN_LIBRARY(
///         RECSYS_PLUGIN(model, "inner_product", InnerProductModel, "1.0.0",
///                       "Dot product of user and item vectors plus biases",
///                       "NeuralInnerProduct"));
///
/// The class must have a constructor `Class(const recsys::PluginArgs&)`.

#include <cstdint>
#include <memory>

#include <boost/dll/alias.hpp>
#include <torch/version.h>

#include "recsys/config.hpp"
#include "recsys/dataset.hpp"
#include "recsys/loss.hpp"
#include "recsys/metric.hpp"
#include "recsys/model.hpp"
#include "recsys/sampler.hpp"
#include "recsys/schema.hpp"

/// Plugin API version. Compatibility rule: same major; the host's minor at least the
/// plugin's. Bump the major for any change to the layout of PluginManifest, PluginEntry,
/// PluginArgs, the structs the interfaces exchange (InteractionData, Examples, Batch, ...) or
/// the interfaces' virtual functions.
///
/// 2.0: original ids are strings; InteractionData gains `label` (labelled feedback) and
/// `context_features`; SideFeatures, SideSchema and Batch gain multi-valued categorical fields
/// and per-interaction context; Examples gains `row`; Dataset gains `fit_on_training_split`.
///
/// 3.0: Loss::forward takes the Batch (group size, log q) and Loss has grouped(); Examples and
/// Batch gain group_size and log_q, Examples hard_negatives; Sampler gains
/// fit_on_training_split; Model gains fit_on_training_split, regularization, factorized,
/// user_vectors and item_vectors.
///
/// 4.0: Loss gains scores() (a loss may score the batch's positives against each other, or
/// against the whole catalogue); Batch gains accidental_hits.
///
/// 5.0: InteractionData gains context_transforms (how a raw number of a continuous context
/// column becomes the model's input: `recommend --context` with numeric values).
#define RECSYS_PLUGIN_API_MAJOR 5
#define RECSYS_PLUGIN_API_MINOR 0

namespace recsys {

enum class PluginKind : std::uint32_t { dataset = 1, sampler = 2, model = 3, loss = 4, metric = 5 };

/// "dataset", "sampler", ...; "unknown" for a value outside the enum.
RECSYS_API const char* to_string(PluginKind kind);

/// What a factory receives.
struct PluginArgs {
  const Config& config;         ///< the plugin's TOML table (e.g. `[model]`)
  const FeatureSchema* schema;  ///< the dataset's schema for models; null for other kinds
  const char* requested_name;   ///< the name the config used (may be an alias)
};

/// Creates the plugin; returns a pointer to its kind's interface (Dataset, Model, ...)
/// converted to void. Throws ConfigError for a bad table.
using PluginFactory = std::shared_ptr<void> (*)(const PluginArgs&);

struct PluginEntry {
  PluginKind kind;
  const char* name;         ///< unique within a kind, [A-Za-z0-9_]+, ranking metrics +"@k" (checked at load)
  const char* version;      ///< semantic version of the plugin
  const char* description;  ///< one line
  const char* aliases;      ///< comma-separated other names (e.g. the notebooks' class names), "" for none
  PluginFactory factory;
};

/// How a library was built: the host refuses a plugin whose C++ ABI may differ from its own.
/// (A compiler's patch or minor release is not a mismatch; its major version is.)
struct PluginBuildInfo {
  const char* compiler;          ///< "gcc" or "clang"
  std::uint32_t compiler_major;  ///< __GNUC__ or __clang_major__
  std::uint32_t cxx11_abi;       ///< _GLIBCXX_USE_CXX11_ABI (torch's CMake target sets it)
  std::uint32_t torch_major;     ///< TORCH_VERSION_MAJOR
  std::uint32_t torch_minor;     ///< TORCH_VERSION_MINOR
};

/// The build info of the translation unit that expands this (plugin or host).
#if defined(__clang__)
#define RECSYS_BUILD_COMPILER "clang"
#define RECSYS_BUILD_COMPILER_MAJOR __clang_major__
#elif defined(__GNUC__)
#define RECSYS_BUILD_COMPILER "gcc"
#define RECSYS_BUILD_COMPILER_MAJOR __GNUC__
#else
#define RECSYS_BUILD_COMPILER "unknown"
#define RECSYS_BUILD_COMPILER_MAJOR 0
#endif
#define RECSYS_BUILD_INFO                                                                            \
  ::recsys::PluginBuildInfo {                                                                        \
    RECSYS_BUILD_COMPILER, RECSYS_BUILD_COMPILER_MAJOR, _GLIBCXX_USE_CXX11_ABI, TORCH_VERSION_MAJOR, \
        TORCH_VERSION_MINOR                                                                          \
  }

/// The one thing a plugin library exports. Its first two fields never move, so any host can
/// read the API version of any plugin before anything else.
struct PluginManifest {
  std::uint32_t api_major;  ///< RECSYS_PLUGIN_API_MAJOR the library was built with
  std::uint32_t api_minor;  ///< RECSYS_PLUGIN_API_MINOR the library was built with
  std::uint32_t entry_count;
  const PluginEntry* entries;
  PluginBuildInfo build;
};

/// The interface type of each kind.
template <PluginKind K>
struct PluginInterface;
template <>
struct PluginInterface<PluginKind::dataset> {
  using type = Dataset;
};
template <>
struct PluginInterface<PluginKind::sampler> {
  using type = Sampler;
};
template <>
struct PluginInterface<PluginKind::model> {
  using type = Model;
};
template <>
struct PluginInterface<PluginKind::loss> {
  using type = Loss;
};
template <>
struct PluginInterface<PluginKind::metric> {
  using type = Metric;
};

namespace detail {
template <PluginKind K, typename Class>
std::shared_ptr<void> create_plugin(const PluginArgs& args) {
  using Interface = typename PluginInterface<K>::type;
  std::shared_ptr<Interface> object = std::make_shared<Class>(args);
  return std::shared_ptr<void>(std::move(object));  // points at the Interface subobject
}
}  // namespace detail

}  // namespace recsys

/// One plugin entry: kind (dataset, sampler, model, loss, metric), name, class, version,
/// description, comma-separated aliases ("" for none).
#define RECSYS_PLUGIN(kind, name, Class, version, description, aliases)     \
  ::recsys::PluginEntry {                                                   \
    ::recsys::PluginKind::kind, name, version, description, aliases,        \
        &::recsys::detail::create_plugin<::recsys::PluginKind::kind, Class> \
  }

/// Exports the library's manifest. Use once per plugin library, at namespace scope.
#define RECSYS_PLUGIN_LIBRARY(...)                                                                              \
  namespace recsys_plugin_manifest_detail {                                                                     \
  constexpr ::recsys::PluginEntry entries[] = {__VA_ARGS__};                                                    \
  constexpr ::recsys::PluginManifest manifest{RECSYS_PLUGIN_API_MAJOR, RECSYS_PLUGIN_API_MINOR,                 \
                                              static_cast<std::uint32_t>(sizeof(entries) / sizeof(entries[0])), \
                                              entries, RECSYS_BUILD_INFO};                                      \
  inline const ::recsys::PluginManifest* get_manifest() {                                                       \
    return &manifest;                                                                                           \
  }                                                                                                             \
  }                                                                                                             \
  BOOST_DLL_ALIAS_SECTIONED(recsys_plugin_manifest_detail::get_manifest, recsys_plugin_manifest, recsys)

/// The plugin of a single-plugin library, named by the compile definitions that
/// recsys_add_plugin() sets: RECSYS_PLUGIN_KIND (a token: dataset, sampler, model, loss,
/// metric), RECSYS_PLUGIN_NAME and RECSYS_PLUGIN_VERSION (strings). Use once, at namespace scope:
///
///     RECSYS_EXPORT_PLUGIN(MyModel, "What it does (Author et al. 2020)", "MyModelAlias")
#define RECSYS_EXPORT_PLUGIN(Class, description, aliases) \
  RECSYS_PLUGIN_LIBRARY(                                  \
      RECSYS_PLUGIN(RECSYS_PLUGIN_KIND, RECSYS_PLUGIN_NAME, Class, RECSYS_PLUGIN_VERSION, description, aliases))
