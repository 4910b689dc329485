#include "recsys/core/model_summary.hpp"

#include <fmt/format.h>

namespace recsys::core {

namespace {

/// "torch::nn::EmbeddingImpl" -> "Embedding", "recsys::nn::FieldEmbeddingImpl" -> "FieldEmbedding".
std::string short_type(const std::string& type) {
  std::string name = type.substr(type.rfind(':') == std::string::npos ? 0 : type.rfind(':') + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.resize(name.size() - 4);
  return name;
}

std::string grouped(std::int64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

ParameterCount count_parameters(const torch::nn::Module& model) {
  ParameterCount count;
  double bytes = 0.0;
  for (const auto& p : model.parameters()) {
    count.total += p.numel();
    if (p.requires_grad()) count.trainable += p.numel();
    bytes += static_cast<double>(p.numel() * static_cast<std::int64_t>(p.element_size()));
  }
  for (const auto& b : model.buffers())
    bytes += static_cast<double>(b.numel() * static_cast<std::int64_t>(b.element_size()));
  count.megabytes = bytes / (1024.0 * 1024.0);
  return count;
}

std::string model_summary(const torch::nn::Module& model, const std::string& name) {
  std::string out = fmt::format("{:<40} {:<22} {:>12}\n", "module (" + name + ")", "type", "parameters");
  out += std::string(76, '-') + "\n";
  auto line = [&](const std::string& name, const torch::nn::Module& module) {
    std::int64_t n = 0;
    for (const auto& p : module.named_parameters(/*recurse=*/false)) n += p.value().numel();
    if (n > 0) out += fmt::format("{:<40} {:<22} {:>12}\n", name, short_type(module.name()), grouped(n));
  };
  line("(root)", model);  // include_self would need the model held by a shared_ptr
  for (const auto& item : model.named_modules("", /*include_self=*/false)) line(item.key(), *item.value());
  const ParameterCount count = count_parameters(model);
  out += std::string(76, '-') + "\n";
  out += fmt::format("total parameters: {}  trainable: {}  size: {:.2f} MB", grouped(count.total),
                     grouped(count.trainable), count.megabytes);
  return out;
}

}  // namespace recsys::core
