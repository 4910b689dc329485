#include "recsys/core/plugin_registry.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include <boost/dll/runtime_symbol_info.hpp>

#include "recsys/core/plugin_trust.hpp"
#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

void PluginRegistry::scan_directory(const fs::path& directory) {
  scanned_.push_back(directory);
  std::error_code ec;
  if (!fs::is_directory(directory, ec) || !trusted_directory(directory)) return;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    // Not only regular files: a FIFO or device named *.so is listed as refused, unopened.
    if (entry.path().extension() == ".so" && !entry.is_directory(ec)) files.push_back(entry.path());
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

bool PluginRegistry::trusted_directory(const fs::path& directory) {
  try {
    check_plugin_directory(directory);
    return true;
  } catch (const PluginError& error) {
    const bool known = std::any_of(libraries_.begin(), libraries_.end(),
                                   [&](const LibraryRecord& r) { return r.directory && r.path == error.path(); });
    if (!known) {  // recorded once, however many search paths lead to it
      LibraryRecord record;
      record.path = error.path();
      record.directory = true;
      record.error = error.reason();
      libraries_.push_back(record);
    }
    return false;
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
  try {
    // The path as given, so that a refusal can say through which symlink it was reached.
    const PluginLibrary library = PluginLibrary::open(file.string());
    record.api_major = library.api_major();
    record.api_minor = library.api_minor();
    library.validate();  // every entry before registering any, so a bad library registers nothing
    record.error = register_plugins(library.plugins(), path);
  } catch (const PluginError& error) {
    record.error = error.reason();
    libraries_.push_back(record);
    refusals_[path] = std::current_exception();
    throw;
  }
  record.ok = true;
  libraries_.push_back(record);
}

std::string PluginRegistry::register_plugins(const std::vector<PluginRecord>& plugins, const std::string& path) {
  std::string clashes, clash_file;  // names another file registers already
  for (const auto& plugin : plugins) {
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
  // The library's other plugins stay usable; the clashing names are refused on use.
  return clashes.empty() ? "" : "registers " + clashes + ", which " + clash_file + " registers too";
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
    throw DuplicatePluginError(clash->second.back(), std::string("two different files register ") + to_string(kind) +
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
  std::size_t refused =
      std::count_if(libraries_.begin(), libraries_.end(), [](const LibraryRecord& r) { return !r.ok && !r.directory; });
  if (refused > 0) {
    message += "; " + std::to_string(refused) + " plugin libraries were refused, see `recsys-host plugins`";
  }
  throw PluginNotFoundError(message + search_note());
}

std::string PluginRegistry::search_note() const {
  std::string searched;
  for (const auto& directory : scanned_) {
    std::error_code ec;
    searched += (searched.empty() ? "" : ", ") + directory.string();
    if (!fs::is_directory(directory, ec)) {
      searched += " (no such directory)";
      continue;
    }
    const fs::path canonical = fs::weakly_canonical(directory, ec);
    for (const auto& record : libraries_) {
      if (record.directory && record.path == canonical.string()) searched += " (refused: " + record.error + ")";
    }
  }
  return "; searched: " + (searched.empty() ? std::string("no directory") : searched) +
         ". To add a plugin, put its .so in one of these, or name its folder in RECSYS_PLUGIN_PATH "
         "(colon-separated) or in the pipeline's [plugins] paths";
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

}  // namespace recsys::core
