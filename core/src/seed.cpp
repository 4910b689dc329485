#include "recsys/core/seed.hpp"

#include <ATen/CPUGeneratorImpl.h>

namespace recsys::core {

std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

at::Generator make_generator(std::uint64_t seed, SeedStream stream, std::uint64_t offset) {
  return at::make_generator<at::CPUGeneratorImpl>(derive_seed(seed, static_cast<std::uint64_t>(stream) + offset));
}

}  // namespace recsys::core
