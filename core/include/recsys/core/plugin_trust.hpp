#pragma once
/// @file
/// Which plugin files may be opened at all, decided before `dlopen` runs any of their code
/// (ELF constructors run inside `dlopen`, before any manifest could be checked). Issue 18.
///
/// The rule, as sudo (sudoers, plugins), OpenSSH (StrictModes) and the dynamic loader (setuid
/// programs: only trusted directories) decide whom a file belongs to:
/// - the plugin is judged at its canonical path (symlinks resolved; messages say so), and must
///   be a regular file (a FIFO or device is refused without being opened, so it cannot hang);
/// - the file, the directory holding it and every ancestor up to `/` must be owned by root or
///   by the effective user, and must not be writable by others, nor by its group unless that
///   group is its owner's private group (the owner's primary group, named like the owner, with
///   no other listed member: the "user private group" scheme that makes umask 002 common, as
///   Debian's OpenSSH accepts it); a directory owned by root with the sticky bit (`/tmp`,
///   mode 1777) is accepted although others can write it, since they cannot replace its
///   entries;
/// - then, still without running code, the file must be an ELF shared object with the `recsys`
///   section holding the `recsys_plugin_manifest` symbol (what RECSYS_PLUGIN_LIBRARY exports;
///   a stripped library, without a symbol table, is judged by the section alone).

#include <filesystem>
#include <string>

#include "recsys/errors.hpp"

namespace recsys::core {

/// A plugin file or directory refused before loading: not a regular file, owned by a user
/// other than root and you, or writable by others (see the rule above). The reason names the
/// offending file or directory, its owner or mode, and the fix (e.g. `chmod go-w DIR`).
class UntrustedPluginError : public PluginError {
 public:
  using PluginError::PluginError;
  ~UntrustedPluginError() override;
};

/// Decides whether `file` may be opened as a plugin, without opening it with the loader.
/// Returns its canonical path, the one to `dlopen` (a trusted chain cannot be changed between
/// this check and the load by anyone but root or you). Throws UntrustedPluginError (not a
/// regular file, wrong owner, writable by others), NotAPluginError (not an ELF shared object,
/// no `recsys` section or manifest symbol) or PluginLoadError (missing or unreadable). The
/// error's path is the canonical path when there is one, else `file`.
std::filesystem::path check_plugin_file(const std::filesystem::path& file);

/// Checks that `directory` (judged at its canonical path) and its ancestors pass the ownership
/// and mode rule above, so a scan can refuse an untrusted directory as a whole, once. Throws
/// UntrustedPluginError (its path: the canonical path), or PluginLoadError when the directory
/// cannot be examined.
void check_plugin_directory(const std::filesystem::path& directory);

}  // namespace recsys::core
