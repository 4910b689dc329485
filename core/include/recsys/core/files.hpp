#pragma once
/// @file
/// File utilities that several parts of the host share (run directory, checkpoints, MLflow
/// store): atomic writes and whole-file reads with errors that name the path.

#include <filesystem>
#include <string>
#include <string_view>

namespace recsys::core {

/// Writes `content` to `path` atomically: a unique temporary file in the same directory,
/// fsync, rename over `path`, fsync of the directory. A process killed at any moment leaves
/// either the old file or the new one, never a truncated file.
/// Throws Error naming the path when a step fails (the temporary file is removed).
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

/// Removes what a killed write_file_atomically left in `directory` (regular files named
/// `<name>.tmp.XXXXXX`, the six characters of mkstemp), not recursing; returns how many. Call
/// it only where no other process writes (a run being resumed).
std::size_t remove_stale_temporaries(const std::filesystem::path& directory);

/// The whole content of `path`. Throws Error naming the path when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace recsys::core
