#include "table_reader.hpp"

#include <zlib.h>

#include <stdexcept>

#include "recsys/errors.hpp"

namespace recsys::files {

namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr int kMaxRecordLines = 100;

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

/// Whether `record` ends inside a quoted field (a '"' opens one only at a field's start).
bool quote_open(std::string_view record, std::string_view separator) {
  bool inside = false, field_start = true;
  for (std::size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (inside) {
      if (c != '"') continue;
      if (i + 1 < record.size() && record[i + 1] == '"') {
        ++i;
        continue;
      }
      inside = false;
      field_start = false;
      continue;
    }
    if (c == '"' && field_start) {
      inside = true;
      continue;
    }
    field_start = record.compare(i, separator.size(), separator) == 0;
    if (field_start) i += separator.size() - 1;
  }
  return inside;
}

/// One quoted field from `at` (on its opening quote) into `text`; returns the index after it.
std::size_t read_quoted(std::string_view record, std::size_t at, std::string& text) {
  text.clear();
  for (std::size_t i = at + 1;; ++i) {
    if (i >= record.size()) throw std::invalid_argument("unterminated quoted field");
    if (record[i] != '"') {
      text += record[i];
      continue;
    }
    if (i + 1 < record.size() && record[i + 1] == '"') {
      text += '"';
      ++i;
      continue;
    }
    return i + 1;
  }
}

}  // namespace

void split_fields(std::string_view record, const TableFormat& format, std::vector<std::string_view>& fields,
                  std::vector<std::string>& storage) {
  fields.clear();
  const std::string_view sep = format.separator;
  std::size_t used = 0, i = 0;
  // Quoted fields are unescaped into `storage`; its strings are sized first so that none moves.
  if (format.quoted) storage.resize(std::max<std::size_t>(storage.size(), record.size() / 2 + 1));
  for (;;) {
    if (format.quoted && i < record.size() && record[i] == '"') {
      std::string& text = storage[used++];
      i = read_quoted(record, i, text);
      if (i < record.size() && record.compare(i, sep.size(), sep) != 0) {
        throw std::invalid_argument("text after a closing quote");
      }
      fields.push_back(text);
    } else {
      const std::size_t end = std::min(record.find(sep, i), record.size());
      fields.push_back(record.substr(i, end - i));
      i = end;
    }
    if (i >= record.size()) return;
    i += sep.size();
    if (i == record.size()) {  // a separator at the very end: one more, empty, field
      fields.push_back(std::string_view());
      return;
    }
  }
}

TableReader::TableReader(std::filesystem::path file, TableFormat format, std::uint64_t offset)
    : file_(std::move(file)), format_(std::move(format)), offset_(offset) {
  gz_ = gzopen(file_.c_str(), "rb");
  if (!gz_) throw DataError(file_.string(), 0, "cannot open the file");
  gzbuffer(static_cast<gzFile>(gz_), 1 << 17);
  if (offset == 0) return;
  // gzdirect() first: it settles that the file is plain, so that gzseek() is a real seek and
  // not an emulation that reads every byte before the offset.
  if (!plain() || gzseek(static_cast<gzFile>(gz_), static_cast<z_off_t>(offset), SEEK_SET) < 0) {
    throw DataError(file_.string(), 0, "cannot seek to byte " + std::to_string(offset));
  }
}

bool TableReader::plain() const {
  return gzdirect(static_cast<gzFile>(gz_)) == 1;
}

TableReader::~TableReader() {
  if (gz_) gzclose(static_cast<gzFile>(gz_));
}

bool TableReader::fill() {
  if (eof_) return false;
  buffer_.erase(0, begin_);
  consumed_ += begin_;
  begin_ = 0;
  const std::size_t old = buffer_.size();
  buffer_.resize(old + kChunk);
  const int got = gzread(static_cast<gzFile>(gz_), buffer_.data() + old, static_cast<unsigned>(kChunk));
  if (got < 0) {
    int code = 0;
    const char* message = gzerror(static_cast<gzFile>(gz_), &code);
    throw DataError(file_.string(), number_ + 1, std::string("read error: ") + (message ? message : "unknown"));
  }
  buffer_.resize(old + static_cast<std::size_t>(got));
  if (got == 0) eof_ = true;
  return got > 0;
}

bool TableReader::read_line(std::string_view& line) {
  std::size_t end;
  while ((end = buffer_.find('\n', begin_)) == std::string::npos) {
    if (!fill()) {
      if (begin_ >= buffer_.size()) return false;
      end = buffer_.size();  // the last line has no line break
      break;
    }
  }
  line = std::string_view(buffer_).substr(begin_, end - begin_);
  begin_ = std::min(end + 1, buffer_.size());
  ++number_;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (number_ == 1 && offset_ == 0 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.remove_prefix(3);
  return true;
}

bool TableReader::next(std::vector<std::string_view>& fields) {
  std::string_view line;
  do {
    if (!read_line(line)) return false;
    first_line_ = number_;
  } while (blank(line));
  if (format_.quoted && quote_open(line, format_.separator)) {
    // A record over several lines is copied: the next read may move the buffer.
    record_.assign(line);
    for (int extra = 1; quote_open(record_, format_.separator); ++extra) {
      if (extra == kMaxRecordLines || !read_line(line)) throw std::invalid_argument("unterminated quoted field");
      record_ += '\n';
      record_.append(line);
    }
    line = record_;
  }
  split_fields(line, format_, fields, unquoted_);
  return true;
}

}  // namespace recsys::files
