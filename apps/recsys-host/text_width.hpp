#pragma once
/// @file
/// Terminal column widths of UTF-8 text, for tables that hold titles in any script: a byte
/// count misaligns "Amélie" (7 bytes, 6 columns) and "七人の侍" (12 bytes, 8 columns).

#include <cstddef>
#include <string>
#include <string_view>

namespace recsys::host {

/// The columns one code point takes: 0 for combining marks and zero-width characters, 2 for
/// East Asian wide and fullwidth characters (and emoji), 1 otherwise (control characters
/// included, as the table never holds them).
int code_point_width(char32_t code_point);

/// The columns `text` takes. Bytes that are not valid UTF-8 count one column each (a terminal
/// shows each as a replacement character).
std::size_t display_width(std::string_view text);

/// `text` in exactly `width` columns, left-aligned: padded with spaces, or cut at a character
/// boundary and ended with "…" when wider.
std::string fit_to_width(std::string_view text, std::size_t width);

}  // namespace recsys::host
