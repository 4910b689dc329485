// Fuzzes the MovieLens 100k reader (plugins/dataset/movielens/formats.cpp, text_reader.cpp).
// Input: u.user, u.item and u.data, separated by form feeds ('\f').
#include "movielens_fuzz.hpp"

namespace {
const recsys::fuzz::MovieLensTarget target{"100k", {"u.user", "u.item", "u.data"}, true};
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  recsys::fuzz::write_seeds_if_asked(target);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return recsys::fuzz::fuzz_movielens(target, data, size);
}
