#include "text_reader.hpp"

#include <charconv>
#include <fstream>
#include <stdexcept>

#include "recsys/errors.hpp"

namespace recsys::movielens {

void for_each_record(const std::filesystem::path& file, std::string_view delimiter,
                     const std::function<void(const std::vector<std::string_view>&)>& on_line) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw DataError(file.string(), 0, "cannot open the file");
  std::string line;
  std::vector<std::string_view> fields;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    fields.clear();
    std::string_view rest(line);
    for (std::size_t at; (at = rest.find(delimiter)) != std::string_view::npos;) {
      fields.push_back(rest.substr(0, at));
      rest.remove_prefix(at + delimiter.size());
    }
    fields.push_back(rest);
    try {
      on_line(fields);
    } catch (const std::invalid_argument& error) {
      throw DataError(file.string(), number, error.what());
    }
  }
  if (in.bad()) throw DataError(file.string(), number, "read error");
}

std::int64_t parse_int(std::string_view field, const char* what) {
  while (!field.empty() && field.front() == ' ') field.remove_prefix(1);
  while (!field.empty() && field.back() == ' ') field.remove_suffix(1);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (error != std::errc() || end != field.data() + field.size()) {
    throw std::invalid_argument(std::string(what) + ": expected an integer, found '" +
                                std::string(field) + "'");
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

}  // namespace recsys::movielens
