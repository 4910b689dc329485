#pragma once
/// @file
/// The toml++ side of recsys::Config, for the host and tests (plugins only see config.hpp).

#include <memory>
#include <set>
#include <string>

#include <toml++/toml.h>

#include "recsys/config.hpp"

namespace recsys {

struct Config::Impl {
  std::shared_ptr<toml::table> document;             ///< keeps the parsed document alive
  const toml::table* table = nullptr;                ///< this table inside `document`; null when absent
  std::string path;                                  ///< key path of the table, "" for the root
  std::string source;                                ///< file name for messages
  mutable std::set<std::string, std::less<>> known;  ///< keys read or marked known
  mutable toml::table resolved;                      ///< every value read, defaults included (the resolved config)
  std::shared_ptr<Impl> parent;  ///< the table holding this one (Config::get_table); null for a section
  std::string name_in_parent;    ///< this table's key in `parent`
};

/// The source path of values set with `--set` (Config::where reports them as such).
inline constexpr const char* kOverrideSource = "--set";

/// A view of `table` (inside `document`) at key path `path`, read from `source`.
RECSYS_API Config make_config(std::shared_ptr<toml::table> document, const toml::table* table, std::string path,
                              std::string source);

/// Human name of a TOML node type ("integer", "float", "string", ...).
RECSYS_API const char* toml_type_name(toml::node_type type);

}  // namespace recsys
