#pragma once
/// @file
/// Reads tests/oracle/ranking_oracle.csv (written by make_ranking_oracle.py with scikit-learn).

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace recsys::test {

struct RankingOracle {
  std::vector<std::int64_t> group;
  std::vector<float> score, label;
  std::map<std::string, double> expected;
};

inline RankingOracle load_ranking_oracle() {
  RankingOracle oracle;
  std::ifstream in(std::string(RECSYS_TEST_SOURCE_DIR) + "/tests/oracle/ranking_oracle.csv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream fields(line);
    std::string kind, a, b, c;
    std::getline(fields, kind, ',');
    std::getline(fields, a, ',');
    std::getline(fields, b, ',');
    if (kind == "expected") {
      oracle.expected[a] = std::stod(b);
    } else {
      std::getline(fields, c, ',');
      oracle.group.push_back(std::stoll(a));
      oracle.score.push_back(std::stof(b));
      oracle.label.push_back(std::stof(c));
    }
  }
  return oracle;
}

}  // namespace recsys::test
