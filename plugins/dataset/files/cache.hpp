#pragma once
/// @file
/// The files plugin's parsed-data cache: what load() produced before the fit on the training
/// split (the interactions, each side's feature tables with their missing numbers), stored with
/// a mapped archive (mapped_archive.hpp: the large tensors raw, mapped when read, so that a load
/// from the cache copies almost nothing) under ${XDG_CACHE_HOME:-~/.cache}/recsys/parsed, keyed
/// by everything the parse depends on (the plugin's version, the options, each file's path, size
/// and time).

#include <filesystem>
#include <future>
#include <optional>
#include <string>

#include "features.hpp"
#include "files_options.hpp"
#include "recsys/dataset.hpp"

namespace recsys::files {

/// load()'s result: the interactions (features and schema filled from `users`, `items`,
/// `context` by the caller) and the tables the fit starts from.
struct Parsed {
  InteractionData data;
  SideTables users, items, context;
};

/// The cache key of `options`.
std::string cache_key(const FilesOptions& options);
/// The cached parse of `key`, or nothing (absent, written for another key, unreadable: logged).
/// Waits for this process's write of `key` when one is in flight.
std::optional<Parsed> read_cache(const std::string& key);
/// Stores `parsed` under `key` on a background thread (a temporary file, then renamed; a
/// failure is only logged). The tensors are written as they are, not copied (at 25M rows a copy
/// would be 1.1 GB more at the load's peak): the caller must not change them in place until the
/// returned future is ready, and must wait for it before the plugin's library is unloaded.
std::shared_future<void> write_cache_in_background(const std::string& key, const Parsed& parsed);

/// The same two at an explicit path (the fuzz target's): nothing for a file that is not a
/// cache written for `key`, never an exception. Tensors of at least `min_raw_elements` elements
/// are stored raw (the fuzz seeds store every one so).
std::optional<Parsed> read_cache_file(const std::filesystem::path& file, const std::string& key);
void write_cache_file(const std::filesystem::path& file, const std::string& key, const Parsed& parsed,
                      std::int64_t min_raw_elements);

}  // namespace recsys::files
