// Fuzzes the MovieLens CSV reader of latest-small, 25m and 32m (plugins/dataset/movielens/
// formats.cpp, text_reader.cpp: RFC 4180 quoting, headers, half-star ratings).
// Input: movies.csv and ratings.csv, separated by a form feed ('\f').
#include "movielens_fuzz.hpp"

namespace {
const recsys::fuzz::MovieLensTarget target{"latest-small", {"movies.csv", "ratings.csv"}, false};
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  recsys::fuzz::write_seeds_if_asked(target);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return recsys::fuzz::fuzz_movielens(target, data, size);
}
