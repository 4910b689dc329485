#pragma once
/// @file
/// What each column of a user's file is (its role and kind), and the parsed values of one
/// column, dictionary-encoded so that a value repeated on many rows is stored once.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "recsys/schema.hpp"

namespace recsys::files {

/// What a column is for.
enum class Role { user_id, item_id, label, rating, timestamp, context, feature, ignore };
/// How its values are read.
enum class Kind { categorical, multi_categorical, numeric, vector };

const char* to_string(Role role);
const char* to_string(Kind kind);

/// One declared column.
struct ColumnSpec {
  std::string name;
  Role role = Role::feature;
  Kind kind = Kind::categorical;
  std::string separator = " ";      ///< multi_categorical and vector: between values
  std::int64_t width = 0;           ///< vector: values per row (0: from the first row)
  Pooling pooling = Pooling::mean;  ///< multi_categorical
  bool kind_declared = false;       ///< `kind` was given (else an atomic header's type wins)
};

/// RecBole's atomic-file column type (`name:token`, `token_seq`, `float`, `float_seq`) as a
/// kind; throws std::invalid_argument for another type.
Kind kind_of_atomic_type(std::string_view type);

/// Distinct strings numbered in order of first appearance: an open-addressing table of 16-byte
/// slots holding the code, 28 bits of the hash, the key's length (up to 15) and a key of up to 8
/// bytes itself, so that finding a short id costs one cache miss and the table of 162k ids
/// (8 MB) stays in the last-level cache (the reader's largest cost at 25M rows).
class Dictionary {
 public:
  /// The code of `value`, added when new. Throws std::invalid_argument past 2^31 values.
  std::int32_t intern(std::string_view value);
  /// The code of `value`, -1 when absent.
  std::int32_t find(std::string_view value) const;
  /// Starts loading the slot where `value` would be, so that the lookups of a row's fields wait
  /// for memory together rather than one after another.
  void prefetch(std::string_view value) const;
  const std::vector<std::string>& values() const { return values_; }

 private:
  struct Slot {
    std::uint32_t tag = 0;     // high hash bits, and the length (15: 15 or more) in the low 4
    std::int32_t code = -1;    // -1: empty
    std::uint64_t prefix = 0;  // a key of up to 8 bytes, zero-padded
  };
  std::size_t locate(std::string_view value, std::uint64_t hash) const;
  void grow();

  std::vector<Slot> slots_ = std::vector<Slot>(1024);
  std::vector<std::string> values_;
};

/// The parsed values of one column over n rows.
class RawColumn {
 public:
  explicit RawColumn(ColumnSpec spec) : spec_(std::move(spec)), what_("column '" + spec_.name + "'") {}

  /// Appends one row's field. Throws std::invalid_argument saying what was expected (a number
  /// that does not parse, a vector of the wrong width). An empty field is a missing value.
  void append(std::string_view field);
  /// Dictionary::prefetch for a categorical column's `field`; nothing for other kinds.
  void prefetch(std::string_view field) const {
    if (spec_.kind == Kind::categorical) dictionary_.prefetch(field);
  }
  /// Drops the rows from `rows` on (a bad line's partial append).
  void truncate(std::int64_t rows);
  /// Room for `rows` rows without reallocating (a guess from the file's size: each doubling of a
  /// 25M-row column would copy it and touch fresh memory).
  void reserve(std::int64_t rows);
  /// Appends the rows of `next`, a column of the same spec read from the following byte range of
  /// the file on another thread: its values are re-interned, so the dictionary keeps the order of
  /// first appearance of a read on one thread. Not for vector columns (std::invalid_argument).
  void append_rows(RawColumn&& next);
  /// Moves the parsed values out (no copy), leaving them empty; rows() and the dictionary stay.
  std::vector<std::int32_t> take_codes() { return std::move(codes_); }
  std::vector<float> take_numbers() { return std::move(numbers_); }
  std::vector<std::int64_t> take_seconds() { return std::move(seconds_); }
  /// The dictionary index of `value`, -1 when the column never had it.
  std::int32_t find(std::string_view value) const;

  const ColumnSpec& spec() const { return spec_; }
  std::int64_t rows() const { return rows_; }
  /// categorical: the dictionary index of each row's value, -1 when missing.
  const std::vector<std::int32_t>& codes() const { return codes_; }
  /// multi_categorical: row r's dictionary indices are codes()[offsets()[r] .. offsets()[r+1]).
  const std::vector<std::int64_t>& offsets() const { return offsets_; }
  /// numeric: one value per row; vector: width() per row; NaN when missing.
  const std::vector<float>& numbers() const { return numbers_; }
  /// role timestamp: whole seconds per row (a float timestamp rounded), exact past 2^24.
  const std::vector<std::int64_t>& seconds() const { return seconds_; }
  std::int64_t width() const { return spec_.kind == Kind::vector ? width_ : 1; }
  /// The distinct values, in order of first appearance.
  const std::vector<std::string>& dictionary() const { return dictionary_.values(); }

 private:
  std::int32_t intern(std::string_view value);
  void append_numbers(std::string_view field);

  ColumnSpec spec_;
  std::string what_;  // "column '<name>'", for messages
  std::int64_t rows_ = 0, width_ = 0;
  std::vector<std::int32_t> codes_;
  std::vector<std::int64_t> offsets_{0};
  std::vector<float> numbers_;
  std::vector<std::int64_t> seconds_;
  Dictionary dictionary_;
};

/// A number as written in a file ("4", "3.5", "1e9"); throws std::invalid_argument naming
/// `what` when it does not parse or is not finite.
double parse_number(std::string_view field, const std::string& what);

}  // namespace recsys::files
