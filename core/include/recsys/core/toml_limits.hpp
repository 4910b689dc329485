#pragma once
/// @file
/// Bounds on what reaches the TOML parser. toml++ parses nested tables, arrays and dotted
/// keys recursively, so a header `[x.x.x...]` of 50,000 parts overflows the stack (SIGSEGV)
/// before any error can be reported. These checks run first and turn such input into a
/// ConfigError naming the file, line and column.

#include <cstddef>
#include <string>
#include <string_view>

namespace recsys::core {

/// The largest pipeline file read (bytes). Shipped configs are under 4 KiB.
inline constexpr std::size_t kMaxPipelineFileBytes = std::size_t{1} << 20;  // 1 MiB
/// The deepest nesting accepted: the parts of one dotted key plus the arrays and inline
/// tables around it. Shipped configs nest 2 levels deep.
inline constexpr std::size_t kMaxTomlNesting = 64;

/// Throws ConfigError "`source`:LINE:COL: ..." when `text` is larger than
/// kMaxPipelineFileBytes or nests deeper than kMaxTomlNesting. Strings (basic, literal and
/// multi-line) and comments are skipped, so a dot or bracket inside them never counts. The
/// scan is linear and not recursive; it does not validate TOML (the parser does that after).
void check_toml_limits(std::string_view text, const std::string& source);

}  // namespace recsys::core
