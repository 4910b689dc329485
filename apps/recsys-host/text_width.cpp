#include "text_width.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace recsys::host {

namespace {

struct Range {
  char32_t first, last;
};

// Markus Kuhn's wcwidth ranges (combining marks from Unicode's Mn, Me and Cf categories, the
// common blocks only), plus the emoji blocks terminals draw two columns wide. A table of our
// own rather than wcwidth(3): the result must not depend on the locale the user runs under.
constexpr Range kZeroWidth[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F}, {0x0E31, 0x0E31},
    {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E},
    {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}};

constexpr Range kWide[] = {{0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF},  {0x3400, 0x4DBF},
                           {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3},  {0xF900, 0xFAFF},
                           {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},  {0x1F300, 0x1F64F},
                           {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD}};

template <std::size_t N>
bool in(const Range (&ranges)[N], char32_t c) {
  return std::any_of(std::begin(ranges), std::end(ranges), [c](const Range& r) { return c >= r.first && c <= r.last; });
}

/// The code point at `text[at]` and its length in bytes; an invalid or truncated sequence is
/// one byte, returned as U+FFFD.
std::pair<char32_t, std::size_t> decode(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return {lead, 1};
  std::size_t length = 0;  // 0x80-0xC1 and 0xF5-0xFF never lead a sequence
  if (lead >= 0xC2 && lead < 0xE0) length = 2;
  if (lead >= 0xE0 && lead < 0xF0) length = 3;
  if (lead >= 0xF0 && lead < 0xF5) length = 4;
  if (length == 0 || at + length > text.size()) return {U'\uFFFD', 1};
  char32_t c = lead & (0x7F >> length);
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[at + i]);
    if ((next & 0xC0) != 0x80) return {U'\uFFFD', 1};
    c = (c << 6) | (next & 0x3F);
  }
  // Overlong forms and surrogates are invalid UTF-8 too.
  const bool overlong = (length == 3 && c < 0x800) || (length == 4 && c < 0x10000);
  if (overlong || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) return {U'\uFFFD', 1};
  return {c, length};
}

}  // namespace

int code_point_width(char32_t code_point) {
  if (in(kZeroWidth, code_point)) return 0;
  return in(kWide, code_point) ? 2 : 1;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto [c, length] = decode(text, at);
    width += static_cast<std::size_t>(code_point_width(c));
    at += length;
  }
  return width;
}

std::string fit_to_width(std::string_view text, std::size_t width) {
  const std::size_t text_width = display_width(text);
  if (text_width <= width) return std::string(text) + std::string(width - text_width, ' ');
  if (width == 0) return "";
  const std::size_t room = width - 1;  // the last column holds "…"
  std::string out;
  std::size_t used = 0;
  for (std::size_t at = 0; at < text.size();) {
    const auto [c, length] = decode(text, at);
    const auto w = static_cast<std::size_t>(code_point_width(c));
    if (used + w > room) break;  // a wide character that does not fit leaves a column of padding
    out.append(text.substr(at, length));
    used += w;
    at += length;
  }
  return out + "…" + std::string(room - used, ' ');
}

}  // namespace recsys::host
