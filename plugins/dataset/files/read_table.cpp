#include "read_table.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "recsys/errors.hpp"

namespace recsys::files {

namespace {

const char* table_name(TableKind kind) {
  return kind == TableKind::interactions ? "interactions" : kind == TableKind::users ? "users" : "items";
}

/// The role a column has by its name alone (RecBole's and most files' standard names).
bool standard_role(const std::string& name, Role* role) {
  static const std::pair<const char*, Role> names[] = {{"user_id", Role::user_id},
                                                       {"item_id", Role::item_id},
                                                       {"rating", Role::rating},
                                                       {"timestamp", Role::timestamp},
                                                       {"label", Role::label}};
  for (const auto& [n, r] : names) {
    if (name == n) {
      *role = r;
      return true;
    }
  }
  return false;
}

/// Whether `role` may appear in a table of `kind`.
bool allowed(Role role, TableKind kind) {
  switch (kind) {
    case TableKind::interactions:
      return role != Role::feature;
    case TableKind::users:
      return role == Role::user_id || role == Role::feature || role == Role::ignore;
    case TableKind::items:
      return role == Role::item_id || role == Role::feature || role == Role::ignore;
  }
  return false;
}

/// The spec of header field `field` (`name` or atomic `name:type`).
ColumnSpec spec_of(std::string_view field, const FilesOptions& o, TableKind kind, const std::string& file) {
  std::string name(field);
  ColumnSpec spec;
  bool typed = false;
  if (o.atomic) {
    const auto colon = field.rfind(':');
    if (colon == std::string_view::npos) {
      throw DataError(file, 1, "header field '" + name + "' is not name:type (RecBole atomic files type every column)");
    }
    name = std::string(field.substr(0, colon));
    try {
      spec.kind = kind_of_atomic_type(field.substr(colon + 1));
    } catch (const std::invalid_argument& e) {
      throw DataError(file, 1, "column '" + name + "': " + e.what());
    }
    typed = true;
  }
  spec.name = name;
  const auto declared = o.columns.find(name);
  if (declared != o.columns.end()) {
    const Kind atomic_kind = spec.kind;
    spec = declared->second;
    if (typed && !spec.kind_declared) spec.kind = atomic_kind;  // the header's type unless the config says otherwise
  } else if (!standard_role(name, &spec.role)) {
    spec.role = !typed ? Role::ignore : kind == TableKind::interactions ? Role::context : Role::feature;
  } else if (!typed) {
    spec.kind = spec.role == Role::user_id || spec.role == Role::item_id ? Kind::categorical : Kind::numeric;
  }
  if (spec.role == Role::user_id || spec.role == Role::item_id) spec.kind = Kind::categorical;
  if (spec.role == Role::rating || spec.role == Role::timestamp || spec.role == Role::label) spec.kind = Kind::numeric;
  if (!allowed(spec.role, kind)) {
    throw DataError(file, 1,
                    std::string("column '") + name + "' has role " + to_string(spec.role) + ", which the " +
                        table_name(kind) + " file cannot have");
  }
  return spec;
}

/// A likely separator mistake: a one-column header that holds another separator.
std::string separator_hint(const std::vector<std::string_view>& header, const FilesOptions& o) {
  if (header.size() != 1) return "";
  for (const std::string sep : {"\t", ",", ";", "|"}) {
    if (sep != o.table.separator && header[0].find(sep) != std::string_view::npos) {
      return " (the header is one column holding '" + std::string(sep == "\t" ? "\\t" : sep) +
             "': is the separator right? set dataset.separator)";
    }
  }
  return "";
}

struct Header {
  std::vector<ColumnSpec> specs;  // per header field
  std::size_t size = 0;
};

Header read_header(TableReader& reader, const FilesOptions& o, TableKind kind) {
  const std::string file = reader.file().string();
  std::vector<std::string_view> fields;
  bool any = false;
  try {
    any = reader.next(fields);
  } catch (const std::invalid_argument& e) {
    throw DataError(file, reader.line(), std::string("the header: ") + e.what());
  }
  if (!any) throw DataError(file, 1, "the file is empty (expected a header line naming the columns)");
  Header header;
  header.size = fields.size();
  for (const auto field : fields) header.specs.push_back(spec_of(field, o, kind, file));
  for (std::size_t i = 0; i < header.specs.size(); ++i) {
    for (std::size_t j = i + 1; j < header.specs.size(); ++j) {
      if (header.specs[i].name == header.specs[j].name) {
        throw DataError(file, 1, "the header names column '" + header.specs[i].name + "' twice");
      }
    }
  }
  const Role required = kind == TableKind::users ? Role::user_id : Role::item_id;
  const auto with_role = [&](Role role) {
    return std::any_of(header.specs.begin(), header.specs.end(), [&](const ColumnSpec& s) { return s.role == role; });
  };
  std::string names;
  for (const auto field : fields) names += (names.empty() ? "" : ", ") + std::string(field);
  if ((kind == TableKind::interactions && !with_role(Role::user_id)) || !with_role(required)) {
    const char* missing =
        kind == TableKind::interactions && !with_role(Role::user_id) ? "user_id" : to_string(required);
    throw DataError(file, 1,
                    std::string("no ") + missing + " column (the header has: " + names + ")" +
                        separator_hint(fields, o) + "; name it " + missing +
                        " or declare [dataset.columns.<name>] role = \"" + missing + "\"");
  }
  return header;
}

/// One field of a row into its column, with the checks its role adds.
void append_field(RawColumn& column, std::string_view field) {
  const ColumnSpec& spec = column.spec();
  if ((spec.role == Role::user_id || spec.role == Role::item_id) && field.empty()) {
    throw std::invalid_argument(std::string("column '") + spec.name + "': empty " + to_string(spec.role));
  }
  if (spec.role == Role::label && field != "0" && field != "1") {
    throw std::invalid_argument("column '" + spec.name + "': a label must be 0 or 1, found '" +
                                std::string(field.substr(0, 40)) + "'");
  }
  if ((spec.role == Role::rating || spec.role == Role::timestamp) && field.empty()) {
    throw std::invalid_argument("column '" + spec.name + "': empty " + to_string(spec.role));
  }
  column.append(field);
}

}  // namespace

const RawColumn* ParsedTable::find(Role role) const {
  for (const auto& c : columns) {
    if (c.spec().role == role) return &c;
  }
  return nullptr;
}

RawColumn* ParsedTable::find(Role role) {
  return const_cast<RawColumn*>(static_cast<const ParsedTable&>(*this).find(role));
}

namespace {

/// The interactions file must hold every declared column of an interaction role (a declared
/// feature may be in either side file: load() checks that it is in one).
void check_declared(const Header& header, const FilesOptions& o, TableKind kind, const std::string& file) {
  if (kind != TableKind::interactions) return;
  for (const auto& column : o.columns) {
    const std::string& name = column.first;
    const ColumnSpec& spec = column.second;
    const bool here = spec.role != Role::feature && spec.role != Role::ignore;
    const bool found =
        std::any_of(header.specs.begin(), header.specs.end(), [&](const ColumnSpec& s) { return s.name == name; });
    if (here && !found) {
      throw DataError(file, 1,
                      "no column '" + name + "' (declared in [dataset.columns." + name + "] with role " +
                          to_string(spec.role) + ")");
    }
  }
}

}  // namespace

namespace {

/// The header's column names, for comparing the headers of pre-split files.
std::vector<std::string> names_of(const Header& header) {
  std::vector<std::string> names;
  for (const auto& spec : header.specs) names.push_back(spec.name);
  return names;
}

/// A bad line met by a reader that may not know the number of its first line yet.
struct BadLine {
  std::size_t line = 0;  ///< the reader's line()
  std::string message;
};

/// Appends the rows of `reader` (past its header, or from its offset) to `table`'s columns until
/// the reader reaches byte `stop`. Returns the first bad line when on_bad_line is error (the rows
/// before it stay); skipped lines are counted.
std::optional<BadLine> read_rows(TableReader& reader, const Header& header, const std::vector<std::size_t>& used,
                                 ParsedTable& table, const FilesOptions& o, TableKind kind,
                                 std::uint64_t stop = std::numeric_limits<std::uint64_t>::max()) {
  std::vector<std::string_view> fields;
  while (reader.position() < stop) {
    std::size_t c = 0;
    try {
      if (!reader.next(fields)) break;
      if (fields.size() != header.size) {
        throw std::invalid_argument("expected " + std::to_string(header.size) + " fields (as the header), found " +
                                    std::to_string(fields.size()) + "; is the separator right?");
      }
      for (std::size_t k = 0; k < used.size(); ++k) table.columns[k].prefetch(fields[used[k]]);
      for (; c < used.size(); ++c) append_field(table.columns[c], fields[used[c]]);
      ++table.rows;
      if (kind != TableKind::interactions) table.lines.push_back(reader.line());
    } catch (const std::invalid_argument& e) {
      if (o.on_bad_line == BadLines::error) return BadLine{reader.line(), e.what()};
      for (std::size_t k = 0; k < c; ++k) table.columns[k].truncate(table.rows);
      ++table.skipped;
    }
  }
  return std::nullopt;
}

void throw_if_bad(const std::optional<BadLine>& bad, const std::filesystem::path& file, std::size_t first_line) {
  if (bad) throw DataError(file.string(), first_line + bad->line, bad->message);
}

}  // namespace

namespace {

/// One byte range of a file read on its own thread.
struct Range {
  std::uint64_t begin = 0, end = 0;  ///< end: where its reader stopped
  ParsedTable part;
  std::optional<BadLine> bad;
  std::size_t lines = 0;
  std::exception_ptr failure;  // an error that is not a bad line (an unreadable file)
};

/// The start of the first line at or after byte `at`, or `size` when there is none.
std::uint64_t next_line_start(std::ifstream& in, std::uint64_t at, std::uint64_t size) {
  std::string block(1 << 16, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(at - 1));
  for (std::uint64_t base = at - 1; base < size; base += block.size()) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    const std::size_t newline = std::string_view(block.data(), got).find('\n');
    if (newline != std::string_view::npos) return base + newline + 1;
    if (got == 0) break;
  }
  return size;
}

/// Rows per byte, from the line breaks of the first 64 KB after `begin` (for reserving columns).
double rows_per_byte(std::ifstream& in, std::uint64_t begin) {
  std::string block(1 << 16, '\0');
  in.clear();
  in.seekg(static_cast<std::streamoff>(begin));
  in.read(block.data(), static_cast<std::streamsize>(block.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  return got == 0 ? 0.0 : static_cast<double>(std::count(block.begin(), block.begin() + got, '\n') + 1) / got;
}

void read_range(const std::filesystem::path& file, const Header& header, const std::vector<std::size_t>& used,
                const std::vector<ColumnSpec>& specs, const FilesOptions& o, std::uint64_t stop, double density,
                Range& range) {
  try {
    TableReader reader(file, o.table, range.begin);
    for (const ColumnSpec& spec : specs) {
      range.part.columns.emplace_back(spec);
      range.part.columns.back().reserve(static_cast<std::int64_t>(density * (stop - range.begin) * 1.02) + 16);
    }
    range.bad = read_rows(reader, header, used, range.part, o, TableKind::interactions, stop);
    range.end = reader.position();
    range.lines = reader.lines();
  } catch (...) {
    range.failure = std::current_exception();
  }
}

/// The threads to read `reader`'s file with: `read_threads`, or (0) one per core for a plain
/// interactions file of 64 MB or more; 1 when its rows cannot be read in byte ranges.
unsigned reading_threads(const TableReader& reader, const ParsedTable& table, const FilesOptions& o, TableKind kind,
                         std::uint64_t size) {
  const bool vectors = std::any_of(table.columns.begin(), table.columns.end(),
                                   [](const RawColumn& c) { return c.spec().kind == Kind::vector; });
  if (kind != TableKind::interactions || vectors || !reader.plain()) return 1;
  if (o.read_threads > 0) return static_cast<unsigned>(o.read_threads);
  return size < (std::uint64_t{64} << 20) ? 1 : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
}

/// Reads the rows of a large plain file in byte ranges, one thread each (the first on this thread
/// with `reader`, past the header), then appends the ranges in order: the same columns as one
/// reader gives. A range whose start is not where the one before stopped (a quoted field holding
/// a line break crossed its start, or blank lines) is dropped with those after it, and read on
/// from where the last good range stopped. Errors are thrown in file order, at their line.
void read_rows_in_ranges(TableReader& reader, const Header& header, const std::vector<std::size_t>& used,
                         ParsedTable& table, const FilesOptions& o, unsigned threads, std::uint64_t size) {
  const std::filesystem::path& file = reader.file();
  std::ifstream in(file, std::ios::binary);
  const std::uint64_t begin = reader.position();
  const double density = rows_per_byte(in, begin);
  for (RawColumn& c : table.columns) c.reserve(static_cast<std::int64_t>(density * (size - begin) * 1.02) + 16);
  std::vector<Range> ranges;
  for (unsigned k = 1; k < threads; ++k) {
    const std::uint64_t at = next_line_start(in, begin + (size - begin) * k / threads, size);
    if (at >= size || (!ranges.empty() && at <= ranges.back().begin)) continue;
    ranges.emplace_back();
    ranges.back().begin = at;
  }
  std::vector<ColumnSpec> specs;
  for (const RawColumn& c : table.columns) specs.push_back(c.spec());
  std::vector<std::thread> pool;
  for (std::size_t k = 0; k < ranges.size(); ++k) {
    const std::uint64_t stop = k + 1 < ranges.size() ? ranges[k + 1].begin : size;
    pool.emplace_back(read_range, std::cref(file), std::cref(header), std::cref(used), std::cref(specs), std::cref(o),
                      stop, density, std::ref(ranges[k]));
  }
  const auto first =
      read_rows(reader, header, used, table, o, TableKind::interactions, ranges.empty() ? size : ranges.front().begin);
  for (auto& thread : pool) thread.join();
  throw_if_bad(first, file, 0);
  std::uint64_t end = reader.position();
  std::size_t lines = reader.lines();
  for (Range& range : ranges) {
    if (range.begin != end) break;  // not a record's start: read on from `end` below
    if (range.failure) std::rethrow_exception(range.failure);
    throw_if_bad(range.bad, file, lines);
    for (std::size_t c = 0; c < table.columns.size(); ++c)
      table.columns[c].append_rows(std::move(range.part.columns[c]));
    table.rows += range.part.rows;
    table.skipped += range.part.skipped;
    end = range.end;
    lines += range.lines;
  }
  if (end >= size) return;
  TableReader rest(file, o.table, end);
  throw_if_bad(read_rows(rest, header, used, table, o, TableKind::interactions), file, lines);
}

/// The rows of `reader`'s file (past its header) into `table`, on one thread or several.
void read_body(TableReader& reader, const Header& header, const std::vector<std::size_t>& used, ParsedTable& table,
               const FilesOptions& o, TableKind kind) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(reader.file(), ec);
  const unsigned threads = ec ? 1 : reading_threads(reader, table, o, kind, size);
  if (threads > 1) return read_rows_in_ranges(reader, header, used, table, o, threads, size);
  throw_if_bad(read_rows(reader, header, used, table, o, kind), reader.file(), 0);
}

}  // namespace

ParsedTable read_table(const std::vector<std::filesystem::path>& files, const FilesOptions& o, TableKind kind,
                       std::vector<std::int64_t>* rows_per_file) {
  ParsedTable table;
  table.file = files.front();
  std::vector<std::size_t> used;  // header index of each column read
  std::vector<std::string> first_names;
  for (const auto& file : files) {
    TableReader reader(file, o.table);
    const Header header = read_header(reader, o, kind);
    if (first_names.empty()) {
      check_declared(header, o, kind, file.string());
      first_names = names_of(header);
      for (std::size_t i = 0; i < header.specs.size(); ++i) {
        if (header.specs[i].role == Role::ignore) continue;
        table.columns.emplace_back(header.specs[i]);
        used.push_back(i);
      }
    } else if (names_of(header) != first_names) {
      throw DataError(file.string(), 1,
                      "the header differs from " + files.front().string() +
                          "'s (pre-split files must have the same columns in the same order)");
    }
    const std::int64_t before = table.rows, skipped = table.skipped;
    read_body(reader, header, used, table, o, kind);
    if (table.skipped > skipped) {
      spdlog::warn("files: {}: {} bad lines skipped", file.string(), table.skipped - skipped);
    }
    if (rows_per_file) rows_per_file->push_back(table.rows - before);
  }
  return table;
}

ParsedTable read_table(const std::filesystem::path& file, const FilesOptions& o, TableKind kind) {
  return read_table(std::vector<std::filesystem::path>{file}, o, kind, nullptr);
}

}  // namespace recsys::files
