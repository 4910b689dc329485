#include "recsys/core/digest.hpp"

#include <charconv>

#include <openssl/evp.h>

#include <sstream>

#include <torch/torch.h>

#include "recsys/errors.hpp"

namespace recsys::core {

struct Sha256::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  if (!context_->md || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
    throw Error("SHA-256: OpenSSL could not start a digest");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  EVP_DigestUpdate(context_->md, bytes.data(), bytes.size());
}

void Sha256::update(const torch::Tensor& tensor) {
  const torch::Tensor bytes = tensor.detach().to(torch::kCPU).contiguous();
  std::ostringstream header;
  header << bytes.dtype() << '\0' << bytes.sizes() << '\0';
  update(header.str());
  update(std::string_view(static_cast<const char*>(bytes.data_ptr()), bytes.numel() * bytes.element_size()));
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, digest, &length);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += {digits[digest[i] >> 4], digits[digest[i] & 15]};
  return out;
}

namespace {

/// Integer ids as the int64 array that runs recorded before plugin API 2.0 hashed (so their
/// fingerprints still match); other ids each with its length first ("ab", "c" != "a", "bc").
void update_ids(Sha256& sha, const std::vector<std::string>& ids) {
  std::vector<std::int64_t> numbers(ids.size());
  bool integers = true;
  for (std::size_t i = 0; i < ids.size() && integers; ++i) {
    const auto [end, error] = std::from_chars(ids[i].data(), ids[i].data() + ids[i].size(), numbers[i]);
    integers = error == std::errc() && end == ids[i].data() + ids[i].size() && std::to_string(numbers[i]) == ids[i];
  }
  if (integers) {
    sha.update(std::string_view(reinterpret_cast<const char*>(numbers.data()), numbers.size() * sizeof(std::int64_t)));
    return;
  }
  for (const std::string& id : ids) {
    const std::uint64_t size = id.size();
    sha.update(std::string_view(reinterpret_cast<const char*>(&size), sizeof size));
    sha.update(id);
  }
}

void update_features(Sha256& sha, const SideFeatures& features) {
  for (const torch::Tensor& t : {features.continuous, features.categorical}) {
    if (t.defined()) sha.update(t);
  }
  for (const JaggedCodes& field : features.multi_categorical) {
    sha.update(field.values);
    sha.update(field.offsets);
  }
}

}  // namespace

std::string data_fingerprint(const InteractionData& data) {
  Sha256 sha;
  for (const torch::Tensor& t : {data.user_id, data.item_id, data.rating, data.timestamp, data.label, data.split}) {
    if (t.defined()) sha.update(t);
  }
  update_features(sha, data.user_features);
  update_features(sha, data.item_features);
  // Context tables without a column (every dataset before API 2.0) leave the digest as it was.
  const SideFeatures& context = data.context_features;
  if ((context.continuous.defined() && context.continuous.size(1) > 0) ||
      (context.categorical.defined() && context.categorical.size(1) > 0)) {
    update_features(sha, context);
  }
  update_ids(sha, data.user_original_id);
  update_ids(sha, data.item_original_id);
  return sha.hex();
}

}  // namespace recsys::core
