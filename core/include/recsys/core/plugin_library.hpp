#pragma once
/// @file
/// Opening and validating one plugin library, apart from registering its plugins (as LLVM
/// separates PassPlugin::Load from the caller's registration). Each way a load fails is its
/// own error type (cf. Falco's plugin loader), carrying the path and the reason.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/dll/shared_library.hpp>

#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace recsys::core {

/// One plugin a library provides.
struct PluginRecord {
  PluginKind kind;
  std::string name;
  std::string version;
  std::string description;
  std::vector<std::string> aliases;
  std::string path;  ///< the library file
  PluginFactory factory = nullptr;
};

/// An opened plugin library. The library stays mapped for the life of the process, even
/// after this object is gone: plugin objects must not outlive their code, and unloading
/// torch-using libraries at exit has crashed processes.
class PluginLibrary {
 public:
  /// Checks `file` before any of its code can run (check_plugin_file, plugin_trust.hpp: a
  /// trusted regular file, an ELF shared object with the `recsys` manifest section), then
  /// opens its canonical path with the dynamic loader (symbols resolved now) and finds its
  /// manifest; path() is that canonical path. Throws UntrustedPluginError (refused before
  /// loading), NotAPluginError (not an ELF shared object, or no manifest entry point),
  /// PluginLoadError (missing file, or the loader's own message) or InvalidManifestError (the
  /// entry point returned null).
  static PluginLibrary open(const std::string& file);

  /// Checks the manifest: the plugin API version (same major, minor <= the host's), the
  /// build (compiler, C++11 ABI, libtorch) and every entry (kind, name, factory). Throws
  /// PluginApiVersionError, PluginAbiError or InvalidManifestError.
  void validate() const;

  const std::string& path() const { return path_; }
  std::uint32_t api_major() const { return manifest_->api_major; }
  std::uint32_t api_minor() const { return manifest_->api_minor; }
  /// The manifest's plugins, in its order (after validate()).
  std::vector<PluginRecord> plugins() const;

 private:
  PluginLibrary(std::string path, const PluginManifest* manifest) : path_(std::move(path)), manifest_(manifest) {}
  std::string path_;
  const PluginManifest* manifest_;
};

/// This host's build (compiler, C++11 ABI, libtorch), compared with each plugin's.
PluginBuildInfo host_build_info();

}  // namespace recsys::core
