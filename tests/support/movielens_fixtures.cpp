#include "movielens_fixtures.hpp"

#include <fstream>
#include <stdexcept>

namespace recsys::test {

namespace {

void write(const std::filesystem::path& file, const std::string& content) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << content;
}

std::string genres(int set_flag) {
  std::string out;
  for (int g = 0; g < 19; ++g) out += (g == set_flag ? "|1" : "|0");
  return out;
}

}  // namespace

void write_movielens_fixture(const std::string& variant, const std::filesystem::path& d) {
  if (variant == "100k") {
    // Positives (rating >= 4): (1,10), (2,20), (74,267); 3 users, 3 items. The last line ends
    // with CRLF. Item 10's title is Latin-1; item 267 has no date; user 74's zip is T8H1N.
    write(d / "u.data", "1\t10\t5\t100\n1\t20\t3\t101\n2\t20\t4\t102\n2\t10\t2\t104\n74\t267\t4\t103\r\n");
    write(d / "u.user", "1|24|M|technician|85711\n2|53|F|other|94043\n74|39|M|scientist|T8H1N\n4|30|F|artist|00000\n");
    write(d / "u.item", "10|Caf\xe9 Test (1995)|01-Jan-1995||http://x" + genres(0) + "\n" +
                            "20|Toy (1993)|01-Jan-1993||http://x" + genres(18) + "\n" + "267|unknown|||" + genres(0) +
                            "\n" + "40|Other (1995)|01-Jan-1995||http://x" + genres(-1) + "\n");
  } else if (variant == "1m") {
    // Positives: (1,1), (2,1), (2,3), (3,4): 3 users, 3 items. Titles hold the year in the last
    // "(dddd)" group, one a literal '"'; movie 4 has no year. One line ends with CRLF.
    write(d / "users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n3::M::25::15::T8H1N\n");
    write(d / "movies.dat",
          "1::Toy Story (1995)::Animation|Children's|Comedy\n"
          "2::Some Film (Un film quelconque) (1995)::Drama\n"
          "3::The \"Quoted\" Film (1994)::Comedy|Drama\n"
          "4::No Year Film::Drama\n");
    write(d / "ratings.dat",
          "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n2::3::5::978300275\r\n"
          "3::4::4::978824291\n3::2::2::978300000\n");
  } else if (variant == "latest-small") {
    // Positives (rating >= 4): (1,1), (2,2), (2,3): 2 users (user 3 has none), 3 items.
    // A header, CRLF line ends, a quoted comma, doubled quotes, half stars.
    write(d / "movies.csv",
          "movieId,title,genres\r\n1,Toy Story (1995),Adventure|Animation\r\n2,\"Bride, The (2005)\",Drama|Romance\r\n"
          "3,\"Quote \"\"Inside\"\" (1999)\",(no genres listed)\r\n");
    write(d / "ratings.csv",
          "userId,movieId,rating,timestamp\r\n1,1,4.0,964982703\r\n1,2,3.5,964981247\r\n2,2,4.5,964982224\r\n"
          "2,3,5.0,964983815\r\n3,1,1.0,964982931\r\n");
  } else {
    throw std::invalid_argument("no fixture for MovieLens " + variant);
  }
}

}  // namespace recsys::test
