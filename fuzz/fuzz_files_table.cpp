// Fuzzes the files plugin's table reader (plugins/dataset/files/: table_reader.cpp, RFC 4180
// quoting with any separator, read_table.cpp's header typing and row checks, columns.cpp's
// parsing of numbers, vectors and multi-valued fields).
// Input: one byte choosing the format (csv, tsv, atomic; bit 2: skip bad lines; bits 3-5: the
// threads of a second read in byte ranges, which must give the same table or the same error
// as the read on one thread), then the file.
#include <cstring>
#include <stdexcept>
#include <string>

#include "fuzz_support.hpp"
#include "read_table.hpp"
#include "recsys/errors.hpp"

namespace {

using namespace recsys::files;

FilesOptions options_for(std::uint8_t choice) {
  FilesOptions o;
  const int format = choice % 3;
  o.atomic = format == 2;
  o.table = format == 0 ? TableFormat{",", true} : TableFormat{"\t", false};
  o.on_bad_line = (choice & 4) ? BadLines::skip : BadLines::error;
  if (!o.atomic) {
    // The declarations the seeds' CSV and TSV headers use.
    ColumnSpec tags{"tags", Role::context, Kind::categorical, "|", 0, recsys::Pooling::mean, true};
    ColumnSpec vec{"vec", Role::context, Kind::vector, " ", 0, recsys::Pooling::mean, true};
    ColumnSpec hour{"hour", Role::context, Kind::numeric, " ", 0, recsys::Pooling::mean, true};
    o.columns = {{"tags", tags}, {"vec", vec}, {"hour", hour}};
  }
  return o;
}

/// Every column holds one entry per row, its codes within its dictionary.
void check_table(const ParsedTable& t) {
  using recsys::fuzz::check;
  for (const RawColumn& c : t.columns) {
    check(c.rows() == t.rows, "a column has one entry per row");
    const auto dictionary = static_cast<std::int32_t>(c.dictionary().size());
    for (const std::int32_t code : c.codes()) check(code >= -1 && code < dictionary, "codes within the dictionary");
    if (c.spec().kind == Kind::multi_categorical) {
      check(c.offsets().size() == static_cast<std::size_t>(t.rows) + 1, "offsets: rows + 1");
      check(c.offsets().back() == static_cast<std::int64_t>(c.codes().size()), "offsets end at the values");
    }
    if (c.spec().kind == Kind::numeric || c.spec().kind == Kind::vector) {
      const bool sized = c.spec().role == Role::timestamp
                             ? c.seconds().size() == static_cast<std::size_t>(t.rows)
                             : c.numbers().size() == static_cast<std::size_t>(t.rows * c.width());
      check(sized, "numbers: rows x width");
    }
  }
}

/// The same columns, values and dictionaries (numbers compared by their bytes: NaN is missing).
void check_same(const ParsedTable& a, const ParsedTable& b) {
  using recsys::fuzz::check;
  check(a.rows == b.rows && a.skipped == b.skipped && a.columns.size() == b.columns.size(), "rows in byte ranges");
  for (std::size_t k = 0; k < a.columns.size(); ++k) {
    const RawColumn &x = a.columns[k], &y = b.columns[k];
    check(x.codes() == y.codes() && x.offsets() == y.offsets() && x.seconds() == y.seconds() &&
              x.dictionary() == y.dictionary(),
          "codes in byte ranges");
    check(x.numbers().size() == y.numbers().size() &&
              (x.numbers().empty() ||
               std::memcmp(x.numbers().data(), y.numbers().data(), x.numbers().size() * sizeof(float)) == 0),
          "numbers in byte ranges");
  }
}

/// The table, or the message of the error reading it.
std::string read_or_error(const std::filesystem::path& file, const FilesOptions& o, ParsedTable& table) {
  try {
    table = read_table(file, o, TableKind::interactions);
    return "";
  } catch (const recsys::Error& e) {
    return e.what();  // a DataError naming the file and line: the expected answer to a bad file
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const FilesOptions o = options_for(data[0]);
  const auto file = recsys::fuzz::scratch_dir() / (o.atomic ? "t.inter" : "t.csv");
  recsys::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  FilesOptions one = o, ranges = o;
  one.read_threads = 1;
  ranges.read_threads = 2 + (data[0] >> 3) % 6;
  ParsedTable a, b;
  const std::string error = read_or_error(file, one, a);
  recsys::fuzz::check(read_or_error(file, ranges, b) == error, "the same error in byte ranges");
  if (!error.empty()) return 0;
  check_table(a);
  check_same(a, b);
  return 0;
}
