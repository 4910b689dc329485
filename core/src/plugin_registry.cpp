#include "recsys/core/plugin_registry.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

/// Every library ever loaded, kept for the life of the process and intentionally never
/// destroyed: plugin objects must not outlive their code, and unloading torch-using
/// libraries at exit has crashed processes.
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

}  // namespace

PluginBuildInfo host_build_info() { return RECSYS_BUILD_INFO; }

void PluginRegistry::scan_directory(const fs::path& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) return;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".so" && entry.is_regular_file(ec)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    try {
      load_library(file);
    } catch (const PluginError&) {
      // recorded in libraries_; the pipeline fails later only if it needs this plugin
    }
  }
}

void PluginRegistry::load_library(const fs::path& file) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(fs::absolute(file), ec);
  const std::string path = (ec ? file : canonical).string();
  for (const auto& record : libraries_) {
    if (record.path == path) {
      if (record.ok) return;  // the same file reached through another search path
      std::rethrow_exception(refusals_.at(path));
    }
  }
  LibraryRecord record;
  record.path = path;
  auto refuse = [&](auto error) {
    record.error = std::string(error.what()).substr(path.size() + 2);
    libraries_.push_back(record);
    refusals_[path] = std::make_exception_ptr(error);
    throw error;
  };

  boost::dll::shared_library library;
  try {
    // rtld_now: unresolved symbols are reported now, with the loader's message, rather
    // than as a crash in the middle of a run.
    library.load(boost::dll::fs::path(path),
                 boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    // Keep the dynamic loader's own words ("undefined symbol: ..."), not Boost's wrapping.
    std::string reason = e.what();
    const std::string marker = "dlerror system message: ";
    if (const auto at = reason.find(marker); at != std::string::npos) {
      reason = reason.substr(at + marker.size());
      reason = reason.substr(0, reason.rfind(')'));
    }
    refuse(PluginLoadError(path, "cannot be loaded: " + reason));
  }
  kept_libraries().push_back(library);  // even a foreign library: its initialisers have run
  if (!library.has("recsys_plugin_manifest")) {
    refuse(NotAPluginError(path, "not a recsys plugin (no 'recsys_plugin_manifest' entry point)"));
  }
  const PluginManifest* manifest =
      library.get_alias<const PluginManifest*()>("recsys_plugin_manifest")();
  if (manifest == nullptr) refuse(InvalidManifestError(path, "the manifest entry point returned null"));
  record.api_major = manifest->api_major;
  record.api_minor = manifest->api_minor;
  if (manifest->api_major != RECSYS_PLUGIN_API_MAJOR ||
      manifest->api_minor > RECSYS_PLUGIN_API_MINOR) {
    std::ostringstream message;
    message << "built against plugin API " << manifest->api_major << "." << manifest->api_minor
            << ", but this host provides " << RECSYS_PLUGIN_API_MAJOR << "."
            << RECSYS_PLUGIN_API_MINOR << " (needs the same major and a minor <= "
            << RECSYS_PLUGIN_API_MINOR << "); rebuild the plugin against this SDK";
    refuse(PluginApiVersionError(path, message.str()));
  }

  if (std::string mismatch = build_mismatch(manifest->build); !mismatch.empty()) {
    refuse(PluginAbiError(path, mismatch + "; rebuild the plugin with the host's toolchain and libtorch"));
  }
  if (manifest->entry_count > 0 && manifest->entries == nullptr) {
    refuse(InvalidManifestError(path, "the manifest lists entries but points to none"));
  }
  // Validate every entry before registering any, so a bad library registers nothing.
  std::vector<PluginRecord> records;
  for (std::uint32_t i = 0; i < manifest->entry_count; ++i) {
    const PluginEntry& entry = manifest->entries[i];
    if (!valid_kind(entry.kind) || !valid_name(entry.name) || entry.factory == nullptr) {
      refuse(InvalidManifestError(path, "manifest entry " + std::to_string(i) +
                                            " has an unknown kind, a name that is empty or not "
                                            "[A-Za-z0-9_] (optionally ending in @k), or no factory"));
    }
    PluginRecord plugin{entry.kind,
                        entry.name,
                        entry.version ? entry.version : "",
                        entry.description ? entry.description : "",
                        split_aliases(entry.aliases),
                        path,
                        entry.factory};
    records.push_back(std::move(plugin));
  }
  std::string clashes;  // names another file registers already
  std::string clash_file;
  for (const auto& plugin : records) {
    std::vector<std::string> names = plugin.aliases;
    names.insert(names.begin(), plugin.name);
    for (const auto& name : names) {
      Key key{plugin.kind, name};
      auto existing = by_name_.find(key);
      if (existing != by_name_.end() && existing->second.path != path) {
        auto& files = clashes_[key];
        if (files.empty()) files.push_back(existing->second.path);
        files.push_back(path);
        clashes += (clashes.empty() ? "" : ", ") + std::string(to_string(plugin.kind)) + " '" + name + "'";
        clash_file = existing->second.path;
        continue;
      }
      by_name_.emplace(key, plugin);
    }
  }
  if (!clashes.empty()) {
    // The library's other plugins stay usable; the clashing names are refused on use.
    record.error = "registers " + clashes + ", which " + clash_file + " registers too";
  }
  record.ok = true;
  libraries_.push_back(record);
}

std::vector<PluginRecord> PluginRegistry::plugins() const {
  std::vector<PluginRecord> out;
  for (const auto& [key, record] : by_name_) {
    if (key.second == record.name) out.push_back(record);
  }
  return out;  // std::map order: kind, then name
}

const PluginRecord& PluginRegistry::find(PluginKind kind, std::string_view name) const {
  Key key{kind, std::string(name)};
  if (auto clash = clashes_.find(key); clash != clashes_.end()) {
    std::string files;
    for (const auto& file : clash->second) files += "\n  " + file;
    throw DuplicatePluginError(clash->second.back(),
                               std::string("two different files register ") + to_string(kind) +
                                   " '" + key.second + "'; remove one of:" + files);
  }
  if (auto it = by_name_.find(key); it != by_name_.end()) return it->second;

  std::vector<std::string> names;
  for (const auto& [k, record] : by_name_) {
    if (k.first == kind) names.push_back(k.second);
  }
  std::string message = std::string("no ") + to_string(kind) + " plugin named '" + key.second + "'";
  if (auto suggestion = closest_match(key.second, names)) {
    message += "; did you mean '" + *suggestion + "'?";
  }
  std::string available;
  for (const auto& n : names) available += (available.empty() ? "" : ", ") + n;
  message += " (available: " + (available.empty() ? std::string("none") : available) + ")";
  std::size_t refused = std::count_if(libraries_.begin(), libraries_.end(),
                                      [](const LibraryRecord& r) { return !r.ok; });
  if (refused > 0) {
    message += "; " + std::to_string(refused) +
               " plugin libraries were refused, see `recsys-host plugins`";
  }
  throw PluginNotFoundError(message);
}

std::vector<fs::path> default_plugin_directories() {
  std::vector<fs::path> directories;
  boost::system::error_code ec;
  const auto exe = boost::dll::program_location(ec);
  if (!ec) {
    directories.push_back(fs::path(exe.parent_path().string()) / ".." / "lib" / "recsys" / "plugins");
  }
  if (const char* env = std::getenv("RECSYS_PLUGIN_PATH")) {
    std::stringstream paths(env);
    std::string entry;
    while (std::getline(paths, entry, ':')) {
      if (!entry.empty()) directories.emplace_back(entry);
    }
  }
  return directories;
}

PluginKind parse_plugin_kind(std::string_view word) {
  for (PluginKind kind : {PluginKind::dataset, PluginKind::sampler, PluginKind::model,
                          PluginKind::loss, PluginKind::metric}) {
    if (word == to_string(kind)) return kind;
  }
  throw ConfigError("unknown plugin kind '" + std::string(word) +
                    "' (expected dataset, sampler, model, loss or metric)");
}

}  // namespace recsys::core
