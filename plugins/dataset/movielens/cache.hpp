#pragma once
/// @file
/// A binary cache of parsed MovieLens data, so a second run starts in milliseconds. Kept in
/// the user's cache folder (the data folder may be read-only), keyed by the source files'
/// paths, sizes and modification times and by the options that shape the result.

#include <filesystem>
#include <optional>
#include <string>

#include "recsys/dataset.hpp"

namespace recsys::movielens {

/// The cache file for `key` (a description of the sources and options).
std::filesystem::path cache_path(const std::string& key);

/// "<path>:<size>:<mtime ns>" of each file: any change to a source changes the key.
std::string source_signature(const std::filesystem::path& directory, const std::vector<std::string>& files);

/// The cached data, or nothing when the file is absent, unreadable, written for another key
/// (another dataset, version or options: the file name is only a hash of the key), or
/// inconsistent (ids out of range, lengths that differ); each case but the first is logged.
std::optional<InteractionData> read_cache(const std::filesystem::path& file, const std::string& key);

/// Writes the cache with its key, atomically; a failure (read-only cache, full disk) is only
/// logged.
void write_cache(const std::filesystem::path& file, const std::string& key, const InteractionData& data);

}  // namespace recsys::movielens
