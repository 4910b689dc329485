#include "recsys/core/plugin_trust.hpp"

#include <elf.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include <boost/dll/library_info.hpp>

namespace recsys::core {

namespace fs = std::filesystem;

UntrustedPluginError::~UntrustedPluginError() = default;

namespace {

/// What the refusals of ownership and mode end with: the rule, in one sentence.
constexpr const char* kRule = "; plugins load only from files and directories that only you or root can write";

/// Calls `lookup` (getpwuid_r or getgrgid_r) with a buffer grown until it fits; false when
/// there is no such entry.
template <class Entry, class Lookup>
bool lookup_entry(Lookup lookup, Entry& entry, std::vector<char>& buffer) {
  buffer.resize(1024);
  Entry* result = nullptr;
  int error;
  while ((error = lookup(&entry, buffer.data(), buffer.size(), &result)) == ERANGE) buffer.resize(buffer.size() * 2);
  return error == 0 && result != nullptr;
}

/// "alice (uid 1000)", or "uid 1000" for a uid without a passwd entry.
std::string describe_user(uid_t uid) {
  passwd entry{};
  std::vector<char> buffer;
  const bool found = lookup_entry<passwd>(
      [uid](passwd* e, char* b, std::size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); }, entry, buffer);
  return found ? std::string(entry.pw_name) + " (uid " + std::to_string(uid) + ")" : "uid " + std::to_string(uid);
}

std::string group_name(gid_t gid) {
  group entry{};
  std::vector<char> buffer;
  const bool found = lookup_entry<group>(
      [gid](group* e, char* b, std::size_t n, group** r) { return getgrgid_r(gid, e, b, n, r); }, entry, buffer);
  return found ? entry.gr_name : "gid " + std::to_string(gid);
}

/// Whether `gid` is the private group of user `uid`: the user's primary group, named like the
/// user, listing no member but the user (useradd's USERGROUPS_ENAB scheme). Members whose
/// primary group it is are not enumerated (getpwent), as the scheme gives each user their own.
bool is_private_group(uid_t uid, gid_t gid) {
  passwd user{};
  group grp{};
  std::vector<char> user_buffer, group_buffer;
  if (!lookup_entry<passwd>(
          [uid](passwd* e, char* b, std::size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); }, user,
          user_buffer) ||
      !lookup_entry<group>([gid](group* e, char* b, std::size_t n, group** r) { return getgrgid_r(gid, e, b, n, r); },
                           grp, group_buffer)) {
    return false;
  }
  if (user.pw_gid != gid || std::strcmp(user.pw_name, grp.gr_name) != 0) return false;
  for (char** member = grp.gr_mem; member && *member; ++member) {
    if (std::strcmp(*member, user.pw_name) != 0) return false;
  }
  return true;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

/// Why `path` (a file or directory, lstat'ed as `st`) could be changed by someone other than
/// root or the effective user, with the fix; "" when it cannot.
std::string untrusted_reason(const fs::path& path, const struct stat& st) {
  const char* what = S_ISDIR(st.st_mode) ? "directory " : "file ";
  const uid_t me = geteuid();
  if (st.st_uid != 0 && st.st_uid != me) {
    return what + path.string() + " is owned by " + describe_user(st.st_uid) + ", neither by you (" +
           describe_user(me) + ") nor by root" + kRule;
  }
  if (S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) && st.st_uid == 0) return "";  // like /tmp (1777 root)
  const bool by_group = (st.st_mode & S_IWGRP) && !is_private_group(st.st_uid, st.st_gid);
  const bool by_others = (st.st_mode & S_IWOTH) != 0;
  if (!by_group && !by_others) return "";
  const std::string group = "its group " + group_name(st.st_gid);
  const std::string writers = by_group && by_others ? group + " and others" : by_group ? group : "others";
  return what + path.string() + " is writable by " + writers + " (mode " + octal_mode(st.st_mode) + ")" + kRule +
         " (chmod go-w " + path.string() + ")";
}

std::string system_error(const std::string& action, const fs::path& path) {
  return "cannot be loaded: cannot " + action + " " + path.string() + ": " + std::strerror(errno);
}

/// The first reason (untrusted_reason) found on `directory` or one of its ancestors, "" when
/// none. `directory` is canonical: no component is a symlink.
std::string untrusted_chain(const fs::path& directory, const fs::path& shown) {
  for (fs::path dir = directory;; dir = dir.parent_path()) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) throw PluginLoadError(shown.string(), system_error("examine", dir));
    if (std::string why = untrusted_reason(dir, st); !why.empty()) return why;
    if (!dir.has_relative_path()) return "";  // reached "/"
  }
}

/// Resolves `path` (error: PluginLoadError naming it) and says, for the messages, how it was
/// reached when through symlinks ("" when not).
fs::path resolve(const fs::path& path, std::string& reached) {
  std::error_code ec;
  const fs::path real = fs::canonical(path, ec);
  if (ec) throw PluginLoadError(path.string(), "cannot be loaded: " + ec.message());
  fs::path given = fs::absolute(path, ec).lexically_normal();
  if (!given.has_filename() && given.has_relative_path()) given = given.parent_path();  // "dir/"
  if (real != given) reached = "reached through symlinks as " + path.string() + "; ";
  return real;
}

std::string file_type(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a plain file";
}

/// Refuses what is not an ELF shared object holding the recsys manifest, reading its headers
/// only (Boost.DLL's library_info): nothing of it runs.
void check_plugin_contents(const fs::path& real) {
  std::ifstream in(real, std::ios::binary);
  if (!in) throw PluginLoadError(real.string(), system_error("read", real));
  unsigned char header[EI_NIDENT + 2] = {};
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (in.gcount() != sizeof header || std::memcmp(header, ELFMAG, SELFMAG) != 0) {
    throw NotAPluginError(real.string(), "not a recsys plugin: not an ELF shared library (checked before loading)");
  }
  std::uint16_t type = 0;
  std::memcpy(&type, header + EI_NIDENT, sizeof type);
  if (type != ET_DYN) throw NotAPluginError(real.string(), "not a recsys plugin: an ELF file but not a shared object");
  std::vector<std::string> sections, in_section, all_symbols;
  try {
    boost::dll::library_info info(boost::dll::fs::path(real.string()));
    sections = info.sections();
    in_section = info.symbols("recsys");
    all_symbols = info.symbols();
  } catch (const std::exception& e) {
    throw NotAPluginError(real.string(),
                          std::string("not a recsys plugin: its ELF headers cannot be read (") + e.what() + ")");
  }
  const auto has = [](const std::vector<std::string>& names, const char* name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (!has(sections, "recsys")) {
    throw NotAPluginError(real.string(),
                          "not a recsys plugin: no 'recsys' ELF section, so no 'recsys_plugin_manifest' entry point "
                          "(checked before loading: none of its code ran)");
  }
  // A stripped library has no symbol table to look in; the loader's lookup decides then.
  if (!all_symbols.empty() && !has(in_section, "recsys_plugin_manifest")) {
    throw NotAPluginError(
        real.string(), "not a recsys plugin: its 'recsys' ELF section holds no 'recsys_plugin_manifest' entry point");
  }
}

}  // namespace

fs::path check_plugin_file(const fs::path& file) {
  std::string reached;
  const fs::path real = resolve(file, reached);
  struct stat st {};
  if (::lstat(real.c_str(), &st) != 0) throw PluginLoadError(real.string(), system_error("examine", real));
  if (!S_ISREG(st.st_mode)) {
    throw UntrustedPluginError(real.string(), "refused before loading: " + reached + "not a regular file (" +
                                                  file_type(st.st_mode) + "); a plugin is a regular .so file");
  }
  std::string why = untrusted_reason(real, st);
  if (why.empty()) why = untrusted_chain(real.parent_path(), real);
  if (!why.empty()) throw UntrustedPluginError(real.string(), "refused before loading: " + reached + why);
  check_plugin_contents(real);
  return real;
}

void check_plugin_directory(const fs::path& directory) {
  std::string reached;
  const fs::path real = resolve(directory, reached);
  if (std::string why = untrusted_chain(real, real); !why.empty()) {
    throw UntrustedPluginError(real.string(), "refused before loading any plugin in it: " + reached + why);
  }
}

}  // namespace recsys::core
