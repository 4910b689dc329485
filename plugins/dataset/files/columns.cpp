#include "columns.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <functional>
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

namespace {

std::uint32_t tag_of(std::uint64_t hash, std::size_t size) {
  return (static_cast<std::uint32_t>(hash >> 32) & ~0xFu) | static_cast<std::uint32_t>(std::min<std::size_t>(size, 15));
}

std::uint64_t prefix_of(std::string_view value) {
  std::uint64_t prefix = 0;
  std::memcpy(&prefix, value.data(), std::min<std::size_t>(value.size(), sizeof prefix));
  return prefix;
}

}  // namespace

std::size_t Dictionary::locate(std::string_view value, std::uint64_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  const std::uint32_t tag = tag_of(hash, value.size());
  const std::uint64_t prefix = prefix_of(value);
  for (std::size_t at = hash & mask;; at = (at + 1) & mask) {
    const Slot& slot = slots_[at];
    if (slot.code < 0) return at;
    if (slot.tag != tag || slot.prefix != prefix) continue;
    // Equal tags mean equal lengths up to 15: keys of up to 8 bytes are equal by their prefix.
    if (value.size() <= sizeof prefix || values_[static_cast<std::size_t>(slot.code)] == value) return at;
  }
}

void Dictionary::grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const std::size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.code < 0) continue;
    std::size_t at = std::hash<std::string_view>{}(values_[static_cast<std::size_t>(slot.code)]) & mask;
    while (slots_[at].code >= 0) at = (at + 1) & mask;
    slots_[at] = slot;
  }
}

void Dictionary::prefetch(std::string_view value) const {
  __builtin_prefetch(&slots_[std::hash<std::string_view>{}(value) & (slots_.size() - 1)]);
}

std::int32_t Dictionary::find(std::string_view value) const {
  return slots_[locate(value, std::hash<std::string_view>{}(value))].code;
}

std::int32_t Dictionary::intern(std::string_view value) {
  const std::uint64_t hash = std::hash<std::string_view>{}(value);
  std::size_t at = locate(value, hash);
  if (slots_[at].code >= 0) return slots_[at].code;
  if (values_.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw std::invalid_argument("more than 2^31 distinct values");
  }
  if (2 * (values_.size() + 1) > slots_.size()) {  // at most half full: short probes
    grow();
    at = locate(value, hash);
  }
  Slot& slot = slots_[at];
  slot.tag = tag_of(hash, value.size());
  slot.code = static_cast<std::int32_t>(values_.size());
  slot.prefix = prefix_of(value);
  values_.emplace_back(value);
  return slot.code;
}

std::int32_t RawColumn::intern(std::string_view value) {
  try {
    return dictionary_.intern(value);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(what_ + ": " + e.what());
  }
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

void RawColumn::reserve(std::int64_t rows) {
  const auto n = static_cast<std::size_t>(rows);
  if (spec_.kind == Kind::categorical) codes_.reserve(n);
  if (spec_.kind == Kind::numeric && spec_.role == Role::timestamp) seconds_.reserve(n);
  if (spec_.kind == Kind::numeric && spec_.role != Role::timestamp) numbers_.reserve(n);
  if (spec_.kind == Kind::multi_categorical) offsets_.reserve(n + 1);
}

void RawColumn::append_rows(RawColumn&& next) {
  if (spec_.kind == Kind::vector) throw std::invalid_argument(what_ + ": vector columns are read on one thread");
  std::vector<std::int32_t> recode(next.dictionary().size());
  for (std::size_t v = 0; v < recode.size(); ++v) recode[v] = intern(next.dictionary()[v]);
  codes_.reserve(codes_.size() + next.codes_.size());
  for (const std::int32_t code : next.codes_)
    codes_.push_back(code < 0 ? code : recode[static_cast<std::size_t>(code)]);
  if (spec_.kind == Kind::multi_categorical) {
    const std::int64_t base = offsets_.back();
    offsets_.reserve(offsets_.size() + next.offsets_.size() - 1);
    for (std::size_t r = 1; r < next.offsets_.size(); ++r) offsets_.push_back(base + next.offsets_[r]);
  }
  numbers_.insert(numbers_.end(), next.numbers_.begin(), next.numbers_.end());
  seconds_.insert(seconds_.end(), next.seconds_.begin(), next.seconds_.end());
  rows_ += next.rows_;
  next = RawColumn(next.spec_);  // its memory back now, not when the caller drops it
}

std::int32_t RawColumn::find(std::string_view value) const {
  return dictionary_.find(value);
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
