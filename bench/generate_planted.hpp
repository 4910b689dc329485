#pragma once
// `recsys-bench-generate planted` (generate_planted.cpp), parsed by generate_own_data.cpp.
#include <string>
#include <vector>

namespace recsys_bench {

struct PlantedOptions {
  std::string dir, layout = "movielens";  ///< movielens: DIR/ml-25m/{ratings,movies}.csv; tsv: DIR/interactions.tsv
  long long rows = 25'000'000, users = 162'541, items = 59'047;
  int rank = 8;
  unsigned long long seed = 1;
};

/// Writes the planted interactions and prints the Bayes-optimal test ROC-AUC.
void planted(const PlantedOptions& options);

/// ROC-AUC of `scores` against `labels`, ties counted 1/2 (the rank-sum formula).
double roc_auc(const std::vector<double>& scores, const std::vector<char>& labels);

}  // namespace recsys_bench
