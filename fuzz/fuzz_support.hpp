#pragma once
/// @file
/// Helpers shared by the fuzz targets: a scratch folder for readers that take a path, the
/// split of one fuzz input into several files, and a check that fails the run like a crash.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace recsys::fuzz {

/// A folder of this process's own, removed at exit: in /dev/shm when there is one (the readers
/// under test take paths, and a RAM disk keeps a file per run cheap), else the temp folder.
inline const std::filesystem::path& scratch_dir() {
  struct Dir {
    std::filesystem::path path;
    Dir() {
      std::error_code ec;
      const std::filesystem::path shm = "/dev/shm";
      const auto base = std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
      path = base / ("recsys-fuzz-" + std::to_string(getpid()));
      std::filesystem::create_directories(path);
    }
    ~Dir() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

inline void write_file(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", file.c_str());
    std::abort();
  }
}

/// The byte that separates the files of a multi-file input (form feed: no reader treats it
/// specially, and the mutator inserts and removes one byte easily).
constexpr char kFileSeparator = '\f';

/// `count` parts of the input, split at kFileSeparator; missing parts are empty, and the last
/// part takes the rest (separators included).
inline std::vector<std::string_view> split_input(const std::uint8_t* data, std::size_t size, std::size_t count) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    const std::size_t at = rest.find(kFileSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + 1);
  }
  parts.push_back(rest);
  parts.resize(count);
  return parts;
}

/// Whether `text` is well-formed UTF-8.
inline bool valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

/// Whether RECSYS_FUZZ_VERBOSE is set: the targets then say what each input led to (to check
/// that a seed reaches deep, e.g. `RECSYS_FUZZ_VERBOSE=1 fuzz_checkpoint SEED`).
inline bool verbose() {
  static const bool on = std::getenv("RECSYS_FUZZ_VERBOSE") != nullptr;
  return on;
}

/// A property every accepted input must have; its failure is a finding, reported as a crash.
inline void check(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "fuzz: property violated: %s\n", what);
  std::abort();
}

}  // namespace recsys::fuzz
