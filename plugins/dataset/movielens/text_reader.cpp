#include "text_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <stdexcept>

#include "recsys/errors.hpp"

namespace recsys::movielens {

namespace {

/// Splits one CSV record (RFC 4180, within one line). Unquoted fields point into `line`;
/// quoted ones are unescaped into `storage` (one string per field, reused).
void split_csv(std::string_view line, std::vector<std::string_view>& fields, std::vector<std::string>& storage) {
  std::size_t used = 0;
  std::size_t i = 0;
  for (;;) {
    if (i < line.size() && line[i] == '"') {
      if (storage.size() <= used) storage.emplace_back();
      std::string& text = storage[used++];
      text.clear();
      ++i;
      for (;;) {
        if (i >= line.size()) throw std::invalid_argument("unterminated quoted field");
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            text += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        text += line[i++];
      }
      if (i < line.size() && line[i] != ',') throw std::invalid_argument("text after a closing quote");
      fields.push_back(text);
    } else {
      const std::size_t end = std::min(line.find(',', i), line.size());
      fields.push_back(line.substr(i, end - i));
      i = end;
    }
    if (i >= line.size()) return;
    ++i;  // the comma
  }
}

}  // namespace

std::int64_t for_each_record(const std::filesystem::path& file, std::string_view delimiter, bool skip_header,
                             BadLinePolicy policy,
                             const std::function<void(const std::vector<std::string_view>&)>& on_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(file.string(), 0, "cannot open the file");
  std::string line;
  std::vector<std::string_view> fields;
  std::vector<std::string> storage;
  std::size_t number = 0;
  std::int64_t skipped = 0;
  const bool csv = delimiter == ",";
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number == 1 && skip_header) continue;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    fields.clear();
    try {
      if (csv) {
        split_csv(line, fields, storage);
      } else {
        std::string_view rest(line);
        for (std::size_t at; (at = rest.find(delimiter)) != std::string_view::npos;) {
          fields.push_back(rest.substr(0, at));
          rest.remove_prefix(at + delimiter.size());
        }
        fields.push_back(rest);
      }
      on_line(fields);
    } catch (const std::invalid_argument& error) {
      if (policy == BadLinePolicy::error) throw DataError(file.string(), number, error.what());
      ++skipped;
    }
  }
  if (in.bad()) throw DataError(file.string(), number, "read error");
  return skipped;
}

namespace {
std::string_view trimmed(std::string_view field) {
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  return field;
}
}  // namespace

std::int64_t parse_int(std::string_view field, const char* what) {
  field = trimmed(field);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size() || field.empty()) {
    throw std::invalid_argument(std::string(what) + ": expected an integer, found '" + std::string(field) + "'");
  }
  return value;
}

double parse_double(std::string_view field, const char* what) {
  field = trimmed(field);
  double value = 0.0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size() || field.empty()) {
    throw std::invalid_argument(std::string(what) + ": expected a number, found '" + std::string(field) + "'");
  }
  return value;
}

std::string latin1_to_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::int64_t year_from_title(std::string_view title) {
  for (std::size_t close = title.rfind(')'); close != std::string_view::npos && close >= 5;
       close = title.rfind(')', close - 1)) {
    if (title[close - 5] != '(') continue;
    const std::string_view digits = title.substr(close - 4, 4);
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return (digits[0] - '0') * 1000 + (digits[1] - '0') * 100 + (digits[2] - '0') * 10 + (digits[3] - '0');
    }
    if (close == 0) break;
  }
  return -1;
}

}  // namespace recsys::movielens
