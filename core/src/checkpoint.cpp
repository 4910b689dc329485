#include "recsys/core/checkpoint.hpp"

#include <map>
#include <mutex>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "recsys/core/digest.hpp"

namespace recsys::core {

namespace {

// 2: the weights carry their SHA-256 ("model_sha256"). Format 1 files (no digest) still load.
constexpr std::int64_t kFormat = 2;

/// Parameters and buffers by dotted name. Names keep "/" in the archive: torch's archive keys
/// may not contain dots.
std::map<std::string, torch::Tensor> state_of(const torch::nn::Module& model) {
  std::map<std::string, torch::Tensor> state;
  for (const auto& p : model.named_parameters()) state[p.key()] = p.value();
  for (const auto& b : model.named_buffers()) state[b.key()] = b.value();
  return state;
}

std::string archive_key(std::string name) {
  for (auto& c : name) c = c == '.' ? '/' : c;
  return name;
}

std::string shape(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

/// SHA-256 over every weight in name order: its name, dtype, shape and bytes. Any edit of a
/// weight after saving changes it.
std::string weights_sha256(const std::map<std::string, torch::Tensor>& weights) {
  Sha256 sha;
  for (const auto& [name, tensor] : weights) {
    sha.update(name + '\0');
    sha.update(tensor);
  }
  return sha.hex();
}

}  // namespace

std::string serialize_checkpoint(const torch::nn::Module& model, const torch::optim::Optimizer* optimizer,
                                 const TrainingProgress& progress, const std::string& resolved_config,
                                 const SparseOptimizer* sparse) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(kFormat));
  archive.write("config", c10::IValue(resolved_config));
  archive.write("epoch", c10::IValue(progress.epoch));
  archive.write("best_epoch", c10::IValue(progress.best_epoch));
  archive.write("best_value", c10::IValue(progress.best_value));
  archive.write("without_improvement", c10::IValue(progress.without_improvement));
  archive.write("next_batch", c10::IValue(progress.next_batch));
  archive.write("epoch_loss_sum", c10::IValue(progress.epoch_loss_sum));
  archive.write("epoch_samples", c10::IValue(progress.epoch_samples));
  archive.write("rng_cpu", at::detail::getDefaultCPUGenerator().get_state());
  torch::serialize::OutputArchive weights;
  std::string names;
  for (const auto& [name, tensor] : state_of(model)) {
    weights.write(archive_key(name), tensor.detach());
    names += (names.empty() ? "" : "\n") + name;
  }
  archive.write("model", weights);
  archive.write("model_names", c10::IValue(names));
  archive.write("model_sha256", c10::IValue(weights_sha256(state_of(model))));
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive state;
    optimizer->save(state);
    archive.write("optimizer", state);
  }
  if (sparse != nullptr) {
    torch::serialize::OutputArchive state;
    sparse->save(state);
    archive.write("sparse_optimizer", state);
  }
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

namespace {

torch::serialize::InputArchive open_checkpoint(const std::filesystem::path& file) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(file.string());
  } catch (const std::exception& e) {
    throw CheckpointError(file.string() +
                          ": not a readable recsys checkpoint: " + std::string(e.what()).substr(0, 200));
  }
  return archive;
}

/// The model weights of a checkpoint archive by parameter/buffer name.
std::map<std::string, torch::Tensor> stored_weights(torch::serialize::InputArchive& archive, const std::string& where) {
  c10::IValue names;
  if (!archive.try_read("model_names", names) || !names.isString()) {
    throw CheckpointError(where + ": no 'model_names' entry");
  }
  torch::serialize::InputArchive weights;
  if (!archive.try_read("model", weights)) throw CheckpointError(where + ": no model weights");
  std::istringstream listed(names.toStringRef());
  std::map<std::string, torch::Tensor> stored;
  for (std::string name; std::getline(listed, name);) {
    torch::Tensor tensor;
    if (!weights.try_read(archive_key(name), tensor))
      throw CheckpointError(where + ": weights of '" + name + "' missing");
    stored[name] = tensor;
  }
  return stored;
}

}  // namespace

namespace {

c10::IValue read_entry(torch::serialize::InputArchive& archive, const std::string& where, const char* key,
                       bool (c10::IValue::*is_type)() const) {
  c10::IValue value;
  if (!archive.try_read(key, value) || !(value.*is_type)()) throw CheckpointError(where + ": no '" + key + "' entry");
  return value;
}

TrainingProgress read_progress(torch::serialize::InputArchive& archive, const std::string& where) {
  const auto read_int = [&](const char* key) { return read_entry(archive, where, key, &c10::IValue::isInt).toInt(); };
  const std::int64_t format = read_int("format");
  if (format < 1 || format > kFormat) {
    throw CheckpointError(where + ": checkpoint format " + std::to_string(format) + ", this recsys reads 1 to " +
                          std::to_string(kFormat));
  }
  TrainingProgress progress;
  progress.epoch = read_int("epoch");
  progress.best_epoch = read_int("best_epoch");
  progress.without_improvement = read_int("without_improvement");
  c10::IValue best;
  if (!archive.try_read("best_value", best) || !best.isDouble()) throw CheckpointError(where + ": no 'best_value'");
  progress.best_value = best.toDouble();
  // The mid-epoch state: absent from checkpoints written at an epoch's end before it existed.
  c10::IValue value;
  if (archive.try_read("next_batch", value) && value.isInt()) progress.next_batch = value.toInt();
  if (archive.try_read("epoch_loss_sum", value) && value.isDouble()) progress.epoch_loss_sum = value.toDouble();
  if (archive.try_read("epoch_samples", value) && value.isInt()) progress.epoch_samples = value.toInt();
  if (progress.next_batch < 0 || progress.epoch_samples < 0)
    throw CheckpointError(where + ": negative mid-epoch state");
  return progress;
}

/// Throws CheckpointError listing every parameter that is missing, unexpected or of another
/// shape, so a checkpoint of another architecture is a clear error, never a half-loaded model.
void check_fits(const std::map<std::string, torch::Tensor>& expected,
                const std::map<std::string, torch::Tensor>& stored, const std::string& where) {
  std::string problems;
  for (const auto& [name, tensor] : expected) {
    auto it = stored.find(name);
    if (it == stored.end()) {
      problems += "\n  missing in the checkpoint: " + name + " " + shape(tensor);
    } else if (it->second.sizes() != tensor.sizes()) {
      problems += "\n  shape differs: " + name + " is " + shape(tensor) + " in the model, " + shape(it->second) +
                  " in the checkpoint";
    }
  }
  for (const auto& [name, tensor] : stored) {
    if (!expected.count(name)) problems += "\n  not in the model: " + name + " " + shape(tensor);
  }
  if (!problems.empty()) {
    throw CheckpointError(where +
                          ": the checkpoint does not fit this model (another architecture or shape?):" + problems);
  }
}

/// Refuses weights that differ from the SHA-256 saved with them (format 2), and warns about
/// NaN or infinite weights, which make every score they touch undefined.
void check_integrity(torch::serialize::InputArchive& archive, const std::map<std::string, torch::Tensor>& stored,
                     const std::string& where) {
  c10::IValue format, digest;
  archive.try_read("format", format);
  if (format.isInt() && format.toInt() >= 2) {
    if (!archive.try_read("model_sha256", digest) || !digest.isString()) {
      throw CheckpointError(where + ": no 'model_sha256' entry (a format 2 checkpoint has one)");
    }
    if (digest.toStringRef() != weights_sha256(stored)) {
      throw CheckpointError(where +
                            ": the weights do not match the SHA-256 saved with them: the file was changed "
                            "or damaged after it was written");
    }
  }
  for (const auto& [name, tensor] : stored) {
    const std::int64_t bad =
        tensor.is_floating_point() ? tensor.isfinite().logical_not().sum().item<std::int64_t>() : 0;
    if (bad > 0) spdlog::warn("{}: {} of the {} weights of '{}' are NaN or infinite", where, bad, tensor.numel(), name);
  }
}

void restore_generator(torch::serialize::InputArchive& archive, const std::string& where) {
  torch::Tensor rng;
  if (!archive.try_read("rng_cpu", rng)) throw CheckpointError(where + ": no generator state");
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle to the default
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(rng);
}

}  // namespace

TrainingProgress load_checkpoint(const std::filesystem::path& file, torch::nn::Module& model,
                                 torch::optim::Optimizer* optimizer, bool restore_rng, std::string* resolved_config,
                                 SparseOptimizer* sparse) {
  const std::string where = file.string();
  torch::serialize::InputArchive archive = open_checkpoint(file);
  const TrainingProgress progress = read_progress(archive, where);
  if (resolved_config) *resolved_config = read_entry(archive, where, "config", &c10::IValue::isString).toStringRef();
  const std::map<std::string, torch::Tensor> stored = stored_weights(archive, where);
  check_integrity(archive, stored, where);
  auto expected = state_of(model);
  check_fits(expected, stored, where);
  {
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : expected) tensor.copy_(stored.at(name));
  }
  try {
    if (optimizer != nullptr) {
      torch::serialize::InputArchive state;
      if (!archive.try_read("optimizer", state)) throw CheckpointError(where + ": no optimizer state");
      optimizer->load(state);
    }
    if (sparse != nullptr) {
      torch::serialize::InputArchive state;
      if (!archive.try_read("sparse_optimizer", state)) {
        throw CheckpointError(where + ": no sparse optimizer state (saved without [training] sparse_optimizer)");
      }
      sparse->load(state);
    }
    if (restore_rng) restore_generator(archive, where);
  } catch (const CheckpointError&) {
    throw;
  } catch (const std::exception& e) {  // torch's own errors on a damaged optimizer or generator state
    throw CheckpointError(where + ": unreadable optimizer or generator state: " + std::string(e.what()).substr(0, 200));
  }
  return progress;
}

}  // namespace recsys::core
