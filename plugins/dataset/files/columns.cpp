#include "columns.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace recsys::files {

const char* to_string(Role role) {
  switch (role) {
    case Role::user_id:
      return "user_id";
    case Role::item_id:
      return "item_id";
    case Role::label:
      return "label";
    case Role::rating:
      return "rating";
    case Role::timestamp:
      return "timestamp";
    case Role::context:
      return "context";
    case Role::feature:
      return "feature";
    case Role::ignore:
      return "ignore";
  }
  return "unknown";
}

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::categorical:
      return "categorical";
    case Kind::multi_categorical:
      return "multi_categorical";
    case Kind::numeric:
      return "numeric";
    case Kind::vector:
      return "vector";
  }
  return "unknown";
}

Kind kind_of_atomic_type(std::string_view type) {
  if (type == "token") return Kind::categorical;
  if (type == "token_seq") return Kind::multi_categorical;
  if (type == "float") return Kind::numeric;
  if (type == "float_seq") return Kind::vector;
  throw std::invalid_argument("unknown atomic-file type '" + std::string(type) +
                              "' (expected token, token_seq, float or float_seq)");
}

double parse_number(std::string_view field, const std::string& what) {
  double value = 0.0;
  // from_chars takes no leading '+' (strtod does): drop one.
  const std::string_view digits = !field.empty() && field[0] == '+' ? field.substr(1) : field;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (field.empty() || error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value)) {
    throw std::invalid_argument(what + ": expected a number, found '" + std::string(field.substr(0, 40)) + "'");
  }
  return value;
}

std::int32_t RawColumn::intern(std::string_view value) {
  auto found = index_.find(value);
  if (found != index_.end()) return found->second;
  if (dictionary_.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument("column '" + spec_.name + "': more than 2^31 distinct values");
  }
  const auto code = static_cast<std::int32_t>(dictionary_.size());
  dictionary_.emplace_back(value);
  keys_.emplace_back(value);
  index_.emplace(keys_.back(), code);
  return code;
}

void RawColumn::append_numbers(std::string_view field) {
  const std::string& what = what_;
  if (spec_.role == Role::timestamp) {
    seconds_.push_back(std::llround(parse_number(field, what)));
    return;
  }
  if (spec_.kind == Kind::numeric) {
    numbers_.push_back(field.empty() ? std::nanf("") : static_cast<float>(parse_number(field, what)));
    return;
  }
  std::vector<float> values;
  for (std::size_t at = 0; !field.empty() && at <= field.size();) {
    const std::size_t end = std::min(field.find(spec_.separator, at), field.size());
    values.push_back(static_cast<float>(parse_number(field.substr(at, end - at), what)));
    at = end + spec_.separator.size();
  }
  if (width_ == 0 && !values.empty()) width_ = spec_.width > 0 ? spec_.width : static_cast<std::int64_t>(values.size());
  if (width_ == 0) width_ = spec_.width;
  if (!values.empty() && static_cast<std::int64_t>(values.size()) != width_) {
    throw std::invalid_argument(what + ": expected a vector of " + std::to_string(width_) + " values, found " +
                                std::to_string(values.size()));
  }
  if (values.empty()) values.assign(static_cast<std::size_t>(width_), std::nanf(""));
  // Rows before the width was known (all missing) are filled in now.
  numbers_.resize(static_cast<std::size_t>(rows_ * width_), std::nanf(""));
  numbers_.insert(numbers_.end(), values.begin(), values.end());
}

void RawColumn::truncate(std::int64_t rows) {
  if (rows >= rows_) return;
  rows_ = rows;
  switch (spec_.kind) {
    case Kind::categorical:
      codes_.resize(static_cast<std::size_t>(rows));
      break;
    case Kind::multi_categorical:
      offsets_.resize(static_cast<std::size_t>(rows) + 1);
      codes_.resize(static_cast<std::size_t>(offsets_.back()));
      break;
    case Kind::numeric:
    case Kind::vector:
      numbers_.resize(static_cast<std::size_t>(rows * width()));
      seconds_.resize(std::min(seconds_.size(), static_cast<std::size_t>(rows)));
      break;
  }
}

std::int32_t RawColumn::find(std::string_view value) const {
  const auto found = index_.find(value);
  return found == index_.end() ? -1 : found->second;
}

void RawColumn::append(std::string_view field) {
  switch (spec_.kind) {
    case Kind::categorical:
      codes_.push_back(field.empty() ? -1 : intern(field));
      break;
    case Kind::multi_categorical:
      for (std::size_t at = 0; at < field.size();) {
        const std::size_t end = std::min(field.find(spec_.separator, at), field.size());
        if (end > at) codes_.push_back(intern(field.substr(at, end - at)));
        at = end + spec_.separator.size();
      }
      offsets_.push_back(static_cast<std::int64_t>(codes_.size()));
      break;
    case Kind::numeric:
    case Kind::vector:
      append_numbers(field);
      break;
  }
  ++rows_;
}

}  // namespace recsys::files
