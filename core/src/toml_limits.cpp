#include "recsys/core/toml_limits.hpp"

#include <vector>

#include "recsys/errors.hpp"

namespace recsys::core {

namespace {

/// A linear scan of TOML text that tracks where keys and values are, to measure nesting
/// without recursion: `[`/`{` in a value open a level, `.` in a key adds one.
class NestingScanner {
 public:
  NestingScanner(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  void run() {
    while (pos_ < text_.size()) step();
  }

 private:
  enum class Open { array, inline_table, header };

  void step() {
    const char c = text_[pos_];
    if (c == '"' || c == '\'') return skip_string(c);
    if (c == '#') return skip_comment();
    if (c == '\n') {
      if (open_.empty()) {  // a new line starts a key, unless an array spans it
        in_key_ = true;
        key_parts_ = 0;
      }
      advance();
      return;
    }
    if (c == '[' && (!in_key_ || open_.empty())) return push(in_key_ ? Open::header : Open::array);
    if (c == '{' && !in_key_) {
      push(Open::inline_table);
      in_key_ = true;
      return;
    }
    if ((c == ']' || c == '}') && !open_.empty()) return pop();
    if (c == '.' && in_key_) ++key_parts_;
    if (c == '=' && in_key_) end_key();
    if (c == ',' && !open_.empty() && open_.back() == Open::inline_table) in_key_ = true;
    check();
    advance();
  }

  // A level weighs 1 plus the parts of the dotted key whose value it opens: `a.b = [` nests 3.
  void push(Open kind) {
    open_.push_back(kind);
    weights_.push_back(1 + last_key_parts_);
    depth_ += weights_.back();
    last_key_parts_ = 0;
    check();
    advance();
  }
  void pop() {
    const bool header = open_.back() == Open::header;
    depth_ -= weights_.back();
    open_.pop_back();
    weights_.pop_back();
    if (header) end_key();
    advance();
  }
  void end_key() {
    in_key_ = false;
    last_key_parts_ = key_parts_;
    key_parts_ = 0;
  }
  void check() const {
    if (depth_ + key_parts_ <= kMaxTomlNesting) return;
    throw ConfigError(source_ + ":" + std::to_string(line_) + ":" + std::to_string(column_) + ": nested deeper than " +
                      std::to_string(kMaxTomlNesting) +
                      " levels (dotted key parts, arrays and inline tables): not a pipeline config");
  }

  // Skips a string from its opening quote: """/''' multi-line, "..." with escapes, '...'.
  void skip_string(char quote) {
    const std::string triple(3, quote);
    const bool multi = text_.compare(pos_, 3, triple) == 0;
    advance(multi ? 3 : 1);
    while (pos_ < text_.size()) {
      if (multi && text_.compare(pos_, 3, triple) == 0) return advance(3);
      const char c = text_[pos_];
      if (!multi && (c == quote || c == '\n')) return advance(c == quote ? 1 : 0);
      advance(quote == '"' && c == '\\' && pos_ + 1 < text_.size() ? 2 : 1);
    }
  }
  void skip_comment() {
    while (pos_ < text_.size() && text_[pos_] != '\n') advance();
  }
  void advance(std::size_t n = 1) {
    for (; n > 0 && pos_ < text_.size(); --n, ++pos_) {
      column_ = text_[pos_] == '\n' ? 1 : column_ + 1;
      line_ += text_[pos_] == '\n' ? 1 : 0;
    }
  }

  std::string_view text_;
  const std::string& source_;
  std::size_t pos_ = 0, line_ = 1, column_ = 1;
  std::size_t key_parts_ = 0, last_key_parts_ = 0, depth_ = 0;
  bool in_key_ = true;
  std::vector<Open> open_;
  std::vector<std::size_t> weights_;  // of each open level
};

}  // namespace

void check_toml_limits(std::string_view text, const std::string& source) {
  if (text.size() > kMaxPipelineFileBytes) {
    throw ConfigError(source + ": " + std::to_string(text.size()) + " bytes, larger than the " +
                      std::to_string(kMaxPipelineFileBytes) + " a pipeline file may hold");
  }
  NestingScanner(text, source).run();
}

}  // namespace recsys::core
