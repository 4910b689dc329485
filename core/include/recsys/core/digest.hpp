#pragma once
/// @file
/// SHA-256 (FIPS 180-4, through OpenSSL's libcrypto) of bytes and tensors, for the integrity
/// checks of checkpoints and the fingerprint that ties a run to the data it was trained on.

#include <memory>
#include <string>
#include <string_view>

#include <torch/types.h>

#include "recsys/dataset.hpp"

namespace recsys::core {

/// An incremental SHA-256. Not thread-safe; one object per digest.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view bytes);
  /// The tensor's dtype, shape and bytes (read contiguous, on the CPU): tensors that differ
  /// in any of them digest differently.
  void update(const torch::Tensor& tensor);
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

/// The fingerprint of what a dataset loaded: SHA-256 over the interactions (user, item,
/// rating, timestamp), the side features and the original ids. Equal data, equal fingerprint,
/// on any machine of the same byte order.
std::string data_fingerprint(const InteractionData& data);

}  // namespace recsys::core
