#include "recsys/core/plugin_library.hpp"

#include <cctype>
#include <sstream>
#include <string_view>

#include "recsys/core/plugin_trust.hpp"

namespace recsys::core {

namespace {

/// Every library ever opened, kept for the life of the process and intentionally never
/// destroyed (see PluginLibrary).
std::vector<boost::dll::shared_library>& kept_libraries() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

std::vector<std::string> split_aliases(const char* aliases) {
  std::vector<std::string> out;
  std::string current;
  for (const char* c = aliases ? aliases : ""; *c; ++c) {
    if (*c == ',') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else if (*c != ' ') {
      current += *c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

bool valid_kind(PluginKind kind) {
  return std::string_view(to_string(kind)) != "unknown";
}

/// [A-Za-z0-9_]+, optionally followed by "@k" (a ranking metric's cut-off parameter).
bool valid_name(const char* name) {
  if (name == nullptr || *name == '\0') return false;
  std::string_view word(name);
  if (word.size() > 2 && word.substr(word.size() - 2) == "@k") word.remove_suffix(2);
  for (char c : word) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

std::string describe(const PluginBuildInfo& b) {
  return std::string(b.compiler ? b.compiler : "?") + " " + std::to_string(b.compiler_major) + ", C++11 ABI " +
         std::to_string(b.cxx11_abi) + ", libtorch " + std::to_string(b.torch_major) + "." +
         std::to_string(b.torch_minor);
}

/// "" when `plugin` can share objects with this host, else a message naming both sides.
std::string build_mismatch(const PluginBuildInfo& plugin) {
  const PluginBuildInfo host = RECSYS_BUILD_INFO;
  const bool same = plugin.compiler != nullptr && std::string_view(plugin.compiler) == host.compiler &&
                    plugin.compiler_major == host.compiler_major && plugin.cxx11_abi == host.cxx11_abi &&
                    plugin.torch_major == host.torch_major && plugin.torch_minor == host.torch_minor;
  return same ? "" : "built with " + describe(plugin) + ", but this host was built with " + describe(host);
}

/// The dynamic loader's own words ("undefined symbol: ..."), not Boost's wrapping.
std::string loader_message(const std::string& boost_message) {
  const std::string marker = "dlerror system message: ";
  const auto at = boost_message.find(marker);
  if (at == std::string::npos) return boost_message;
  const std::string reason = boost_message.substr(at + marker.size());
  return reason.substr(0, reason.rfind(')'));
}

}  // namespace

PluginBuildInfo host_build_info() {
  return RECSYS_BUILD_INFO;
}

PluginLibrary PluginLibrary::open(const std::string& file) {
  // Before dlopen runs any of its code (ELF constructors): a trusted regular file, an ELF
  // shared object with the recsys manifest section (plugin_trust.hpp).
  const std::string path = check_plugin_file(file).string();
  boost::dll::shared_library library;
  try {
    // rtld_now: unresolved symbols are reported now, with the loader's message, rather
    // than as a crash in the middle of a run.
    library.load(boost::dll::fs::path(path), boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginLoadError(path, "cannot be loaded: " + loader_message(e.what()));
  }
  kept_libraries().push_back(library);  // its initialisers have run: never unload it
  if (!library.has("recsys_plugin_manifest")) {
    throw NotAPluginError(path, "not a recsys plugin (no 'recsys_plugin_manifest' entry point)");
  }
  const PluginManifest* manifest = library.get_alias<const PluginManifest*()>("recsys_plugin_manifest")();
  if (manifest == nullptr) throw InvalidManifestError(path, "the manifest entry point returned null");
  return PluginLibrary(path, manifest);
}

namespace {

/// What the host's API changed since a plugin's major version, for the refusal message.
std::string api_changes_since(std::uint32_t major) {
  std::string changes;
  if (major <= 1) {
    changes =
        "API 2.0 changed the interfaces: original ids are strings, InteractionData has label and "
        "context_features, SideFeatures and Batch have multi-valued fields and context, Examples has row, "
        "Dataset has fit_on_training_split; ";
  }
  if (major <= 2) {
    changes +=
        "API 3.0 changed the interfaces: Loss::forward takes the Batch (group_size, log_q) and Loss has "
        "grouped(), Examples and Batch have group_size and log_q, Examples has hard_negatives, Sampler has "
        "fit_on_training_split, Model has fit_on_training_split, regularization, factorized, user_vectors "
        "and item_vectors; ";
  }
  if (major <= 3) {
    changes +=
        "API 4.0 changed the interfaces: Loss has scores() (in-batch and full-catalogue softmax), Batch has "
        "accidental_hits";
  }
  if (major < 5) {
    if (!changes.empty()) changes += "; ";
    changes += "API 5.0 changed InteractionData: it has context_transforms (numeric recommend --context values)";
  }
  return changes.empty() ? "the interfaces changed" : changes;
}

}  // namespace

void PluginLibrary::validate() const {
  if (manifest_->api_major != RECSYS_PLUGIN_API_MAJOR || manifest_->api_minor > RECSYS_PLUGIN_API_MINOR) {
    std::ostringstream message;
    message << "built against plugin API " << manifest_->api_major << "." << manifest_->api_minor
            << ", but this host provides " << RECSYS_PLUGIN_API_MAJOR << "." << RECSYS_PLUGIN_API_MINOR
            << " (needs the same major and a minor <= " << RECSYS_PLUGIN_API_MINOR
            << "); rebuild the plugin against this SDK";
    if (manifest_->api_major < RECSYS_PLUGIN_API_MAJOR)
      message << " (" << api_changes_since(manifest_->api_major) << ")";
    throw PluginApiVersionError(path_, message.str());
  }
  if (std::string mismatch = build_mismatch(manifest_->build); !mismatch.empty()) {
    throw PluginAbiError(path_, mismatch + "; rebuild the plugin with the host's toolchain and libtorch");
  }
  if (manifest_->entry_count > 0 && manifest_->entries == nullptr) {
    throw InvalidManifestError(path_, "the manifest lists entries but points to none");
  }
  for (std::uint32_t i = 0; i < manifest_->entry_count; ++i) {
    const PluginEntry& entry = manifest_->entries[i];
    if (!valid_kind(entry.kind) || !valid_name(entry.name) || entry.factory == nullptr) {
      throw InvalidManifestError(path_, "manifest entry " + std::to_string(i) +
                                            " has an unknown kind, a name that is empty or not "
                                            "[A-Za-z0-9_] (optionally ending in @k), or no factory");
    }
  }
}

std::vector<PluginRecord> PluginLibrary::plugins() const {
  std::vector<PluginRecord> records;
  for (std::uint32_t i = 0; i < manifest_->entry_count; ++i) {
    const PluginEntry& entry = manifest_->entries[i];
    records.push_back({entry.kind, entry.name, entry.version ? entry.version : "",
                       entry.description ? entry.description : "", split_aliases(entry.aliases), path_, entry.factory});
  }
  return records;
}

}  // namespace recsys::core
