#pragma once
/// @file
/// Error types shared by the host and plugins. Their key functions live in the SDK
/// support library, so an exception thrown in a plugin is caught by type in the host.
///
/// The host maps them to exit statuses: ConfigError (and its subclasses) -> 2,
/// every other Error -> 1.

#include <cstddef>
#include <stdexcept>
#include <string>

#include "recsys/export.hpp"

namespace recsys {

/// Base of every recsys error.
class RECSYS_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

/// Bad configuration or usage: a wrong key, value, type, plugin name or missing path.
/// The message names the file, the key path and what was expected.
class RECSYS_API ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message);
  ~ConfigError() override;
};

/// A data file that cannot be read or parsed. The message names the file and the
/// 1-based line when there is one (line 0: the whole file).
class RECSYS_API DataError : public Error {
 public:
  DataError(const std::string& file, std::size_t line, const std::string& message);
  ~DataError() override;
  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }

 private:
  std::string file_;
  std::size_t line_;
};

/// Base of the plugin loading errors; the message always names the library file:
/// what() is "<path>: <reason>".
class RECSYS_API PluginError : public Error {
 public:
  PluginError(const std::string& path, const std::string& reason);
  ~PluginError() override;
  const std::string& path() const noexcept { return path_; }
  /// Why the library was refused, without the path (e.g. "not a recsys plugin (...)").
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string path_;
  std::string reason_;
};

/// The dynamic loader refused the file (not an ELF shared object, unresolved symbol, ...);
/// the message carries the dlerror text.
class RECSYS_API PluginLoadError : public PluginError {
 public:
  using PluginError::PluginError;
  ~PluginLoadError() override;
};

/// The file loads but exports no `recsys_plugin_manifest` entry point.
class RECSYS_API NotAPluginError : public PluginError {
 public:
  using PluginError::PluginError;
  ~NotAPluginError() override;
};

/// The plugin was built against an incompatible SDK plugin API version.
class RECSYS_API PluginApiVersionError : public PluginError {
 public:
  using PluginError::PluginError;
  ~PluginApiVersionError() override;
};

/// The plugin was built with another compiler family or major version, C++11 ABI setting or
/// libtorch major.minor than the host; the message names both sides.
class RECSYS_API PluginAbiError : public PluginError {
 public:
  using PluginError::PluginError;
  ~PluginAbiError() override;
};

/// A plugin's factory threw something other than a ConfigError (a bug or a failed resource
/// in the plugin); the message names the plugin, its file and the original error.
class RECSYS_API PluginFactoryError : public PluginError {
 public:
  using PluginError::PluginError;
  ~PluginFactoryError() override;
};

/// The manifest is malformed (null or empty name, unknown kind, missing factory).
class RECSYS_API InvalidManifestError : public PluginError {
 public:
  using PluginError::PluginError;
  ~InvalidManifestError() override;
};

/// Two different files register the same kind and name; the message names both.
class RECSYS_API DuplicatePluginError : public PluginError {
 public:
  using PluginError::PluginError;
  ~DuplicatePluginError() override;
};

/// The config asks for a plugin that no loaded library provides. A config error (exit 2):
/// the message suggests the closest registered name.
class RECSYS_API PluginNotFoundError : public ConfigError {
 public:
  using ConfigError::ConfigError;
  ~PluginNotFoundError() override;
};

}  // namespace recsys
