#include "text_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <fstream>
#include <stdexcept>

#include "recsys/errors.hpp"

namespace recsys::movielens {

namespace {

/// The most physical lines one CSV record may span. A quote left open (a damaged file) would
/// otherwise swallow the rest of the file; past this the record is its first line alone (a
/// bad line: an unterminated quoted field) and reading resumes on the next one.
constexpr int kMaxRecordLines = 100;

/// Splits one CSV record (RFC 4180; line breaks inside quotes are part of the field). Unquoted
/// fields point into `line`; quoted ones are unescaped into `storage` (one string per field,
/// reused).
void split_csv(std::string_view line, std::vector<std::string_view>& fields, std::deque<std::string>& storage) {
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

void split_delimited(std::string_view line, std::string_view delimiter, std::vector<std::string_view>& fields) {
  for (std::size_t at; (at = line.find(delimiter)) != std::string_view::npos;) {
    fields.push_back(line.substr(0, at));
    line.remove_prefix(at + delimiter.size());
  }
  fields.push_back(line);
}

/// Whether a CSV record read so far ends inside a quoted field (fed piece by piece: the scan
/// of a record spanning several lines stays linear). A '"' opens a quoted field only at the
/// start of a field, as split_csv reads it; elsewhere it is a literal character.
class QuoteScan {
 public:
  void feed(std::string_view text) {
    for (const char c : text) {
      if (inside_) {
        if (!closing_) {
          closing_ = c == '"';
          continue;
        }
        closing_ = false;
        if (c == '"') continue;  // a doubled quote
        inside_ = false;         // the quote closed the field; `c` follows it
      }
      if (c == '"' && field_start_) inside_ = true;
      field_start_ = c == ',';
    }
  }
  bool open() const { return inside_ && !closing_; }

 private:
  bool inside_ = false, closing_ = false, field_start_ = true;
};

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

/// Reads a file record by record: one physical line each, or for CSV as many lines as a quoted
/// field holding line breaks spans. Line numbers are 1-based.
class RecordReader {
 public:
  RecordReader(const std::filesystem::path& file, bool csv) : in_(file, std::ios::binary), csv_(csv) {
    if (!in_) throw DataError(file.string(), 0, "cannot open the file");
  }

  /// Drops the first physical line.
  void skip_line() { read_line(line_); }

  /// The next non-blank record into `record`; false at the end of the file.
  bool next(std::string& record) {
    do {
      if (!read_line(record)) return false;
      first_ = number_;
    } while (blank(record));
    if (!csv_) return true;
    QuoteScan scan;
    scan.feed(record);
    if (!scan.open()) return true;
    const std::size_t first_length = record.size();
    const auto resume = in_.tellg();
    for (int extra = 1; scan.open(); ++extra) {
      if (extra == kMaxRecordLines || !read_line(line_)) {  // never closed: the first line alone
        in_.clear();
        in_.seekg(resume);
        number_ = first_;
        record.resize(first_length);
        return true;
      }
      record += '\n';
      scan.feed("\n");
      record += line_;
      scan.feed(line_);
    }
    return true;
  }

  std::size_t first_line() const { return first_; }
  std::size_t last_line() const { return number_; }
  bool failed() const { return in_.bad(); }

 private:
  /// The next physical line without its '\r' (and, first in a CSV file, without a UTF-8 BOM).
  bool read_line(std::string& line) {
    if (!std::getline(in_, line)) return false;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (number_ == 1 && csv_ && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
    return true;
  }

  std::ifstream in_;
  bool csv_;
  std::string line_;
  std::size_t number_ = 0, first_ = 0;
};

void split_record(std::string_view record, std::string_view delimiter, std::vector<std::string_view>& fields,
                  std::deque<std::string>& storage) {
  fields.clear();
  if (delimiter == ",") {
    split_csv(record, fields, storage);
  } else {
    split_delimited(record, delimiter, fields);
  }
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
  return out;
}

/// A header's field count, and the index of the field of each of RecordOptions::columns.
struct Header {
  std::size_t size = 0;
  std::vector<std::size_t> index;
};

/// Reads the header (the first record). Throws DataError when a column is missing or named
/// twice, or the line is no CSV record.
Header read_header(RecordReader& reader, const std::filesystem::path& file, const RecordOptions& options) {
  std::string record;
  std::vector<std::string_view> fields;
  std::deque<std::string> storage;  // a deque: growing it never moves the strings the fields view
  const std::string expected = "expected the header " + joined(options.columns) + " (columns in any order)";
  if (!reader.next(record)) throw DataError(file.string(), 1, expected + ", found an empty file");
  std::string problem;
  try {
    split_record(record, options.delimiter, fields, storage);
  } catch (const std::invalid_argument& error) {
    problem = error.what();
  }
  Header header{fields.size(), {}};
  for (const auto& column : options.columns) {
    const auto at = std::find(fields.begin(), fields.end(), column);
    if (problem.empty() && at == fields.end()) problem = "no column '" + column + "'";
    if (problem.empty() && std::find(at + 1, fields.end(), column) != fields.end()) {
      problem = "column '" + column + "' twice";
    }
    header.index.push_back(static_cast<std::size_t>(at - fields.begin()));
  }
  if (!problem.empty()) {
    const std::string found = sanitize_text(std::string_view(record).substr(0, 200));
    throw DataError(file.string(), reader.first_line(), expected + ", found '" + found + "' (" + problem + ")");
  }
  return header;
}

/// The fields of `record` in the order of the header's columns.
void reorder(const std::vector<std::string_view>& fields, const Header& header,
             std::vector<std::string_view>& ordered) {
  if (fields.size() != header.size) {
    throw std::invalid_argument("expected " + std::to_string(header.size) + " fields (as the header), found " +
                                std::to_string(fields.size()));
  }
  ordered.clear();
  for (const std::size_t i : header.index) ordered.push_back(fields[i]);
}

}  // namespace

std::int64_t for_each_record(
    const std::filesystem::path& file, const RecordOptions& options,
    const std::function<void(const std::vector<std::string_view>&, std::size_t line)>& on_record) {
  RecordReader reader(file, options.delimiter == ",");
  const bool by_name = !options.columns.empty();
  Header header;
  if (by_name) {
    header = read_header(reader, file, options);
  } else if (options.skip_header) {
    reader.skip_line();
  }
  std::string record;
  std::vector<std::string_view> fields, ordered;
  std::deque<std::string> storage;  // a deque: growing it never moves the strings the fields view
  std::int64_t skipped = 0;
  while (reader.next(record)) {
    try {
      split_record(record, options.delimiter, fields, storage);
      if (by_name) reorder(fields, header, ordered);
      on_record(by_name ? ordered : fields, reader.first_line());
    } catch (const std::invalid_argument& error) {
      if (options.policy == BadLinePolicy::error) throw DataError(file.string(), reader.first_line(), error.what());
      ++skipped;
    }
  }
  if (reader.failed()) throw DataError(file.string(), reader.last_line(), "read error");
  return skipped;
}

std::int64_t for_each_record(const std::filesystem::path& file, std::string_view delimiter, bool skip_header,
                             BadLinePolicy policy,
                             const std::function<void(const std::vector<std::string_view>&)>& on_line) {
  RecordOptions options;
  options.delimiter = delimiter;
  options.skip_header = skip_header;
  options.policy = policy;
  return for_each_record(file, options,
                         [&](const std::vector<std::string_view>& fields, std::size_t) { on_line(fields); });
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

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

/// The length of the well-formed UTF-8 sequence that starts `text` (not empty), or 0 with
/// `*ill_formed` set to the length of its maximal ill-formed subpart (Unicode, table 3-7).
std::size_t utf8_length(std::string_view text, std::size_t* ill_formed) {
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return 1;
  std::size_t trail = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    trail = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trail = 2;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trail = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    *ill_formed = 1;
    return 0;
  }
  for (std::size_t k = 1; k <= trail; ++k) {
    const auto byte = k < text.size() ? static_cast<unsigned char>(text[k]) : 0;
    if (byte < low || byte > high) {
      *ill_formed = k;
      return 0;
    }
    low = 0x80;
    high = 0xBF;
  }
  return trail + 1;
}

/// What replaces the well-formed UTF-8 character `c`, or nullptr to keep it.
const char* replacement_of(std::string_view c) {
  const auto first = static_cast<unsigned char>(c[0]);
  if (c.size() == 1) {
    if (first == '\t' || first == '\n' || first == '\v' || first == '\f' || first == '\r') return " ";
    return first < 0x20 || first == 0x7F ? kReplacement.data() : nullptr;
  }
  const auto second = static_cast<unsigned char>(c[1]);
  if (c.size() == 2 && first == 0xC2 && second <= 0x9F) return second == 0x85 ? " " : kReplacement.data();  // C1
  return nullptr;
}

}  // namespace

std::string sanitize_text(std::string_view text, bool* changed) {
  if (changed) *changed = false;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t ill_formed = 0;
    const std::size_t length = utf8_length(text.substr(i), &ill_formed);
    const char* replacement = length == 0 ? kReplacement.data() : replacement_of(text.substr(i, length));
    if (replacement) {
      out += replacement;
      if (changed) *changed = true;
    } else {
      out.append(text, i, length);
    }
    i += length == 0 ? ill_formed : length;
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
