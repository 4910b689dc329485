#include "recbole_atomic.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace recsys::test {

namespace {

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, separator);) fields.push_back(field);
  if (!line.empty() && line.back() == separator) fields.emplace_back();
  return fields;
}

std::string latin1_to_utf8(const std::string& text) {
  std::string out;
  for (const unsigned char c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

/// "Toy Story (1995)" -> "Toy Story".
std::string without_year(const std::string& title) {
  const auto open = title.rfind(" (");
  const bool year = open != std::string::npos && title.size() == open + 7 && title.back() == ')';
  return year ? title.substr(0, open) : title;
}

std::ifstream open(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  return in;
}

void write_items(const std::filesystem::path& ml100k, std::ofstream& out) {
  std::vector<std::string> genres;
  auto genre_file = open(ml100k / "u.genre");
  for (std::string line; std::getline(genre_file, line);) {
    if (!line.empty()) genres.push_back(split(line, '|').at(0));
  }
  out << "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n";
  auto items = open(ml100k / "u.item");
  for (std::string line; std::getline(items, line);) {
    const auto f = split(latin1_to_utf8(line), '|');
    if (f.size() < 5 + genres.size()) continue;
    const std::string& date = f[2];
    std::string classes;
    for (std::size_t g = 0; g < genres.size(); ++g) {
      if (f[5 + g] == "1") classes += (classes.empty() ? "" : " ") + genres[g];
    }
    out << f[0] << '\t' << without_year(f[1]) << '\t' << (date.size() >= 4 ? date.substr(date.size() - 4) : "") << '\t'
        << classes << '\n';
  }
}

}  // namespace

void write_recbole_ml100k(const std::filesystem::path& ml100k, const std::filesystem::path& out) {
  std::filesystem::create_directories(out);
  std::ofstream inter(out / "ml-100k.inter", std::ios::binary);
  inter << "user_id:token\titem_id:token\trating:float\ttimestamp:float\n";
  auto data = open(ml100k / "u.data");
  for (std::string line; std::getline(data, line);) {
    const auto f = split(line, '\t');
    if (f.size() == 4) inter << f[0] << '\t' << f[1] << '\t' << f[2] << '\t' << f[3] << '\n';
  }
  std::ofstream users(out / "ml-100k.user", std::ios::binary);
  users << "user_id:token\tage:token\tgender:token\toccupation:token\tzip_code:token\n";
  auto user_file = open(ml100k / "u.user");
  for (std::string line; std::getline(user_file, line);) {
    const auto f = split(line, '|');
    if (f.size() == 5) users << f[0] << '\t' << f[1] << '\t' << f[2] << '\t' << f[3] << '\t' << f[4] << '\n';
  }
  std::ofstream items(out / "ml-100k.item", std::ios::binary);
  write_items(ml100k, items);
}

}  // namespace recsys::test
