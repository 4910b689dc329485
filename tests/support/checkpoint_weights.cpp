#include "checkpoint_weights.hpp"

#include <sstream>
#include <stdexcept>
#include <vector>

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

std::shared_ptr<torch::nn::Module> module_of(const std::map<std::string, torch::Tensor>& weights) {
  auto root = std::make_shared<torch::nn::Module>();
  for (const auto& [name, tensor] : weights) {
    torch::nn::Module* at = root.get();
    std::istringstream parts(name);
    std::vector<std::string> path;
    for (std::string part; std::getline(parts, part, '.');) path.push_back(part);
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
      auto children = at->named_children();
      at = children.contains(path[i]) ? children[path[i]].get()
                                      : at->register_module(path[i], std::make_shared<torch::nn::Module>()).get();
    }
    at->register_parameter(path.back(), tensor.clone(), /*requires_grad=*/false);
  }
  return root;
}

}  // namespace recsys::test
