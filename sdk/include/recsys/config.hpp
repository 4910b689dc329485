#pragma once
/// @file
/// Typed, checked access to one table of the pipeline TOML (for example `[model]`).
///
/// Every getter either returns a value of the requested type or throws ConfigError naming
/// the file, line, full key path, the expected and the found type. There is no silent
/// fallback: a present key of the wrong type is an error even when a default exists.
/// An integer is accepted where a float is wanted; a float is never accepted where an
/// integer is wanted. A float must be finite: TOML's `nan` and `inf` are refused for every
/// key, since NaN passes every range check written with `<` or `>=`.
///
/// Each key read is remembered, so that after a plugin has built itself from its table the
/// host can reject keys that nobody read (`check_unknown_keys`), suggesting the closest one.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "recsys/export.hpp"

namespace recsys {

class RECSYS_API Config {
 public:
  struct Impl;  // wraps a toml++ table; defined in recsys/config_toml.hpp

  /// An empty table named `path` (used for sections absent from the file).
  static Config empty(std::string path, std::string source = "");
  explicit Config(std::shared_ptr<Impl> impl);

  /// Full key path of this table (`model`), or of a key inside it (`model.embedding_dim`).
  const std::string& path() const;
  std::string key_path(std::string_view key) const;
  /// The file the table came from.
  const std::string& source() const;
  /// `file:line:col: key.path` for messages; the file alone when the position is unknown.
  std::string where(std::string_view key) const;

  bool contains(std::string_view key) const;
  /// Keys present in the table, in file order.
  std::vector<std::string> keys() const;

  // Required values: a missing key is a ConfigError.
  std::int64_t get_int(std::string_view key) const;
  double get_double(std::string_view key) const;
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  std::vector<std::int64_t> get_int_list(std::string_view key) const;
  std::vector<std::string> get_string_list(std::string_view key) const;

  // Optional values: `fallback` when the key is absent, ConfigError when of the wrong type.
  std::int64_t get_int(std::string_view key, std::int64_t fallback) const;
  double get_double(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::string get_string(std::string_view key, const std::string& fallback) const;
  std::vector<std::int64_t> get_int_list(std::string_view key, const std::vector<std::int64_t>& fallback) const;
  std::vector<std::string> get_string_list(std::string_view key, const std::vector<std::string>& fallback) const;

  // Optional values with a range check (since plugin API 1.2): `fallback` when the key is
  // absent; ConfigError when of the wrong type, as above, or when the value (the fallback
  // included) is out of range, "`where(key)`: must ...". One call states a key once.

  /// An integer of at least `minimum`. Out of range: "must be at least <minimum>", or
  /// "must not be negative" when `minimum` is 0.
  std::int64_t get_int_at_least(std::string_view key, std::int64_t fallback, std::int64_t minimum) const;
  /// An integer in the closed range [low, high] (since plugin API 1.3): an upper bound keeps
  /// a size such as `num_negatives = 4294967296` from allocating until the allocator fails.
  /// Out of range: "must be in [<low>, <high>]".
  std::int64_t get_int_in(std::string_view key, std::int64_t fallback, std::int64_t low, std::int64_t high) const;
  /// A list of integers, each in [low, high] (since plugin API 1.3). Out of range: "every
  /// entry must be in [<low>, <high>]".
  std::vector<std::int64_t> get_int_list_in(std::string_view key, const std::vector<std::int64_t>& fallback,
                                            std::int64_t low, std::int64_t high) const;
  /// A number greater than 0. Out of range (NaN included): "must be positive".
  double get_positive_double(std::string_view key, double fallback) const;
  /// A number in the half-open range [low, high), e.g. a dropout probability in [0, 1).
  /// Out of range (NaN included): "must be in [<low>, <high>)", e.g. "must be in [0, 1)".
  double get_double_in(std::string_view key, double fallback, double low, double high) const;
  /// A list of integers, each at least `minimum` (an empty list passes). Out of range, at the
  /// key: "every entry must be at least <minimum>" ("every entry must not be negative" for 0).
  std::vector<std::int64_t> get_int_list_at_least(std::string_view key, const std::vector<std::int64_t>& fallback,
                                                  std::int64_t minimum) const;

  /// The sub-table `key` (e.g. `[dataset.columns.hour]`) as a Config of its own (since plugin
  /// API 2.0): its getters, checks and messages work as this table's, at key paths
  /// `<path>.<key>.<name>`, and what it reads is part of this table's resolved config. An
  /// absent key gives an empty table; another type is a ConfigError ("expected a table").
  Config get_table(std::string_view key) const;

  /// Marks `key` as known without reading it (keys consumed by the host, e.g. `plugin`).
  void mark_known(std::string_view key) const;

  /// Throws ConfigError for the first key present but never read nor marked known,
  /// suggesting the closest key that was read (Levenshtein distance).
  void check_unknown_keys() const;

  /// Weaker than check_unknown_keys, for a table whose reader stopped early: throws only for
  /// a key never read whose closest read key is absent from the table (a likely typo that
  /// left the intended key at its default).
  void check_misspelled_keys() const;

  /// Throws ConfigError "`where(key)`: `message`" (for range checks done by plugins).
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

  const Impl& impl() const { return *impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

/// Levenshtein edit distance (used for "did you mean" suggestions).
RECSYS_API std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, or nothing when none is within a third of its length
/// (at least 2 edits).
RECSYS_API std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace recsys
