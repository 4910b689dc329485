#include "checkpoint_weights.hpp"

#include <sstream>
#include <stdexcept>

namespace recsys::test {

std::map<std::string, torch::Tensor> read_checkpoint_weights(const std::filesystem::path& file) {
  torch::serialize::InputArchive archive;
  archive.load_from(file.string());
  c10::IValue names;
  torch::serialize::InputArchive weights;
  if (!archive.try_read("model_names", names) || !names.isString() || !archive.try_read("model", weights)) {
    throw std::runtime_error(file.string() + ": no model weights");
  }
  std::map<std::string, torch::Tensor> stored;
  std::istringstream listed(names.toStringRef());
  for (std::string name; std::getline(listed, name);) {
    std::string key = name;
    for (auto& c : key) c = c == '.' ? '/' : c;
    if (!weights.try_read(key, stored[name])) throw std::runtime_error(file.string() + ": no weights of " + name);
  }
  return stored;
}

}  // namespace recsys::test
