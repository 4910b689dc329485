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

/// Distinct strings numbered in order of first appearance: an open-addressing table whose slots
/// hold the hash, the code and keys of up to 16 bytes themselves, so that finding an id costs
/// one cache miss, not the three of a node-based map (the reader's largest cost at 25M rows).
class Dictionary {
 public:
  /// The code of `value`, added when new. Throws std::invalid_argument past 2^31 values.
  std::int32_t intern(std::string_view value);
  /// The code of `value`, -1 when absent.
  std::int32_t find(std::string_view value) const;
  const std::vector<std::string>& values() const { return values_; }

 private:
  struct Slot {
    std::uint64_t hash = 0;
    std::int32_t code = -1;  // -1: empty
    std::uint32_t size = 0;
    char inline_key[16] = {};
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
  /// Drops the rows from `rows` on (a bad line's partial append).
  void truncate(std::int64_t rows);
  /// Frees the parsed values (their tensors exist elsewhere), keeping the dictionary; rows()
  /// stays, codes(), offsets(), numbers() and seconds() become empty.
  void release_values();
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
