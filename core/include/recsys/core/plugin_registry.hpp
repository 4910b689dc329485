#pragma once
/// @file
/// Discovers plugin libraries, registers the plugins of those that open and validate
/// (PluginLibrary, plugin_library.hpp) and creates plugins by kind and name.
///
/// Loading policy (see docs/architecture.md):
/// - nothing is opened that an untrusted user could have written, or that is not a regular
///   ELF shared object with the recsys manifest section (plugin_trust.hpp, checked before
///   dlopen runs any code); a scanned directory that fails the rule is refused as a whole;
/// - files are deduplicated by canonical path before dlopen, so a library reached through
///   two search paths is loaded once;
/// - the manifest's API version is checked before any factory is called;
/// - loaded libraries are never unloaded (objects created by a plugin must not outlive its
///   code, and unloading torch-using libraries has crashed processes at exit);
/// - a library that fails to load is recorded with its error and skipped, so a broken
///   plugin that the pipeline does not use does not stop the run.

#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "recsys/core/plugin_library.hpp"
#include "recsys/errors.hpp"
#include "recsys/plugin.hpp"

namespace recsys::core {

/// The first line of `text` (c10::Error messages carry a backtrace after it).
inline std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

/// One library file the registry looked at.
struct LibraryRecord {
  std::string path;        ///< canonical path
  bool ok = false;         ///< loaded and accepted
  bool directory = false;  ///< a scanned directory refused as a whole (plugin_trust.hpp), not a file
  std::string error;       ///< why it was refused (empty when ok)
  std::uint32_t api_major = 0;
  std::uint32_t api_minor = 0;
};

class PluginRegistry {
 public:
  /// Loads every `*.so` file directly inside `directory` (sorted by name). Missing
  /// directories are ignored; failures are recorded in libraries(), not thrown. A directory
  /// that fails check_plugin_directory (plugin_trust.hpp) is recorded once as refused
  /// (LibraryRecord::directory) and none of its files is opened.
  void scan_directory(const std::filesystem::path& directory);

  /// Opens and validates one library (PluginLibrary), then registers its plugins. Throws
  /// what PluginLibrary::open (UntrustedPluginError first of all) or validate throws (also
  /// recorded in libraries(), with the error's reason). A file already loaded (same canonical
  /// path) is a no-op; one refused before is refused again, alike. A name that another file
  /// registers already is recorded in the library's note and refused when used (find throws
  /// DuplicatePluginError).
  void load_library(const std::filesystem::path& file);

  const std::vector<LibraryRecord>& libraries() const { return libraries_; }
  /// Every directory scan_directory() was given, in order, whether or not it exists: a
  /// missing plugin's error lists them.
  const std::vector<std::filesystem::path>& scanned_directories() const { return scanned_; }
  /// Every accepted plugin, sorted by kind then name.
  std::vector<PluginRecord> plugins() const;

  /// The plugin registered as `name` (or with `name` as an alias) for `kind`.
  /// Throws PluginNotFoundError (suggesting the closest name) or DuplicatePluginError.
  const PluginRecord& find(PluginKind kind, std::string_view name) const;

  /// Creates the plugin; the returned object is typed by its kind's interface.
  template <PluginKind K>
  std::shared_ptr<typename PluginInterface<K>::type> create(std::string_view name, const Config& config,
                                                            const FeatureSchema* schema = nullptr) const {
    const PluginRecord& record = find(K, name);
    const std::string requested(name);
    PluginArgs args{config, schema, requested.c_str()};
    try {
      return std::static_pointer_cast<typename PluginInterface<K>::type>(record.factory(args));
    } catch (const Error&) {
      throw;  // ConfigError (the user's table) or another recsys error, already clear
    } catch (const std::exception& e) {
      throw PluginFactoryError(record.path, std::string(to_string(K)) + " plugin '" + record.name +
                                                "' failed to construct: " + first_line(e.what()));
    }
  }

 private:
  using Key = std::pair<PluginKind, std::string>;
  /// Whether `directory` passes check_plugin_directory; if not, records it (once) as refused.
  bool trusted_directory(const std::filesystem::path& directory);
  /// Registers each plugin's name and aliases; returns a note naming those that another
  /// file registers already ("" when none).
  std::string register_plugins(const std::vector<PluginRecord>& plugins, const std::string& path);
  /// "searched: A, B (no such directory); ..." and how to add a plugin, for find()'s error.
  std::string search_note() const;
  std::vector<LibraryRecord> libraries_;
  std::vector<std::filesystem::path> scanned_;
  std::map<std::string, std::exception_ptr> refusals_;  // by path: the error, to throw it again
  std::map<Key, PluginRecord> by_name_;                 // names and aliases
  std::map<Key, std::vector<std::string>> clashes_;     // name -> every file that registers it
};

/// The directories searched by default, in order: `lib/recsys/plugins` relative to the
/// running executable (`<exe dir>/../lib/recsys/plugins`), then each entry of the
/// colon-separated RECSYS_PLUGIN_PATH.
std::vector<std::filesystem::path> default_plugin_directories();

}  // namespace recsys::core
