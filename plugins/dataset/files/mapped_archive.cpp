#include "mapped_archive.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <torch/torch.h>

namespace recsys::files {

namespace fs = std::filesystem;

namespace {

constexpr char kMagic[16] = "recsys-mapped";
constexpr std::uint64_t kFormat = 1;
constexpr std::int64_t kAlignment = 64;
constexpr std::int64_t kHeaderSize = 16 + 3 * 8;

std::int64_t aligned(std::int64_t offset) {
  return (offset + kAlignment - 1) / kAlignment * kAlignment;
}

/// Dtype codes of the descriptors; -1 for a dtype stored in the archive instead.
std::int64_t dtype_code(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kInt64:
      return 0;
    case torch::kFloat32:
      return 1;
    case torch::kUInt8:
      return 2;
    default:
      return -1;
  }
}

void put_zeros(std::ofstream& out, std::int64_t count) {
  static const std::array<char, 4096> zeros{};
  for (; count > 0; count -= static_cast<std::int64_t>(zeros.size())) {
    out.write(zeros.data(), std::min<std::int64_t>(count, static_cast<std::int64_t>(zeros.size())));
  }
}

void check_written(const std::ofstream& out, const fs::path& file) {
  if (!out) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

/// Writes the header, `raw_parts` (offset, bytes, size; ascending from kMappedDataStart) and the
/// archive into `file`.
void write_parts(const fs::path& file,
                 const std::vector<std::tuple<std::int64_t, const char*, std::int64_t>>& raw_parts,
                 std::int64_t raw_end, torch::serialize::OutputArchive& archive) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  check_written(out, file);
  put_zeros(out, kMappedDataStart);
  std::int64_t at = kMappedDataStart;
  for (const auto& [offset, bytes, size] : raw_parts) {
    put_zeros(out, offset - at);
    out.write(bytes, size);
    at = offset + size;
  }
  const std::int64_t archive_offset = aligned(raw_end);
  put_zeros(out, archive_offset - at);
  std::uint64_t archive_size = 0;
  archive.save_to([&](const void* data, std::size_t size) {
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    archive_size += size;
    return out ? size : 0;
  });
  const std::uint64_t header[3] = {kFormat, static_cast<std::uint64_t>(archive_offset), archive_size};
  out.seekp(0);
  out.write(kMagic, sizeof kMagic);
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  out.close();
  check_written(out, file);
}

/// Writes via a temporary file renamed over `file`.
template <typename Write>
void write_atomically(const fs::path& file, Write&& write) {
  const fs::path temp = file.string() + ".tmp." + std::to_string(getpid());
  try {
    write(temp);
    fs::rename(temp, file);
  } catch (...) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw;
  }
}

}  // namespace

void MappedArchiveWriter::write(const std::string& name, const torch::Tensor& tensor) {
  const std::int64_t code = dtype_code(tensor.scalar_type());
  if (code < 0 || tensor.numel() < min_raw_elements_ || tensor.dim() < 1 || tensor.dim() > 2) {
    archive_.write(name, tensor);
    return;
  }
  const torch::Tensor t = tensor.contiguous();
  const std::int64_t offset = aligned(end_);
  end_ = offset + static_cast<std::int64_t>(t.nbytes());
  raw_.emplace_back(offset, t);
  archive_.write(name + ".raw", torch::tensor({offset, code, t.dim(), t.size(0), t.dim() == 2 ? t.size(1) : 1}));
}

void MappedArchiveWriter::save(const fs::path& file) {
  std::vector<std::tuple<std::int64_t, const char*, std::int64_t>> parts;
  for (const auto& [offset, t] : raw_) {
    parts.emplace_back(offset, static_cast<const char*>(t.data_ptr()), static_cast<std::int64_t>(t.nbytes()));
  }
  write_atomically(file, [&](const fs::path& temp) { write_parts(temp, parts, end_, archive_); });
}

void write_mapped_file(const fs::path& file, const std::string& raw, torch::serialize::OutputArchive& archive) {
  const std::int64_t size = static_cast<std::int64_t>(raw.size());
  write_parts(file, {{kMappedDataStart, raw.data(), size}}, kMappedDataStart + size, archive);
}

/// A private, writable (copy-on-write) mapping of a whole file.
struct Mapping {
  char* data = nullptr;
  std::int64_t size = 0;
  std::int64_t archive_offset = 0;
  ~Mapping() {
    if (data) munmap(data, static_cast<std::size_t>(size));
  }
};

namespace {

std::shared_ptr<Mapping> map_file(const fs::path& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  struct stat st {};
  auto mapping = std::make_shared<Mapping>();
  if (fstat(fd, &st) == 0 && st.st_size >= kMappedDataStart) {
    void* data = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (data != MAP_FAILED) {
      mapping->data = static_cast<char*>(data);
      mapping->size = st.st_size;
    }
  }
  close(fd);
  if (!mapping->data) throw std::runtime_error(file.string() + " is too short or cannot be mapped");
  return mapping;
}

}  // namespace

MappedArchiveReader::MappedArchiveReader(const fs::path& file) : mapping_(map_file(file)) {
  std::uint64_t header[3];
  std::memcpy(header, mapping_->data + sizeof kMagic, sizeof header);
  if (std::memcmp(mapping_->data, kMagic, sizeof kMagic) != 0 || header[0] != kFormat) {
    throw std::runtime_error(file.string() + " is not a mapped archive of format " + std::to_string(kFormat));
  }
  const std::uint64_t size = static_cast<std::uint64_t>(mapping_->size);
  if (header[1] < kMappedDataStart || header[1] > size || header[2] > size - header[1]) {
    throw std::runtime_error(file.string() + ": the archive lies outside the file");
  }
  mapping_->archive_offset = static_cast<std::int64_t>(header[1]);
  archive_.load_from(mapping_->data + header[1], static_cast<std::size_t>(header[2]));
  static_assert(kHeaderSize <= kMappedDataStart);
}

void MappedArchiveReader::read(const std::string& name, torch::Tensor& tensor) {
  torch::Tensor descriptor;
  if (!archive_.try_read(name + ".raw", descriptor)) {
    torch::Tensor stored;  // InputArchive::read would write into a defined `tensor`, not replace it
    archive_.read(name, stored);
    tensor = stored;
    return;
  }
  if (descriptor.scalar_type() != torch::kInt64 || descriptor.dim() != 1 || descriptor.numel() != 5) {
    throw std::runtime_error(name + ": a malformed raw descriptor");
  }
  const auto d = descriptor.accessor<std::int64_t, 1>();
  static const torch::Dtype dtypes[] = {torch::kInt64, torch::kFloat32, torch::kUInt8};
  const std::int64_t offset = d[0], code = d[1], rank = d[2], rows = d[3], columns = d[4];
  const std::int64_t element = code == 0 ? 8 : code == 1 ? 4 : 1;
  const std::int64_t limit = mapping_->archive_offset;
  // Each bound is checked before it is multiplied, so no product overflows.
  const bool valid = code >= 0 && code <= 2 && (rank == 1 || rank == 2) && rows >= 0 && columns >= 0 &&
                     (rank == 2 || columns == 1) && offset >= kMappedDataStart && offset % kAlignment == 0 &&
                     offset <= limit && (columns == 0 || rows <= (limit - offset) / element / columns);
  if (!valid) throw std::runtime_error(name + ": a raw tensor outside the file or of an unknown type");
  std::vector<std::int64_t> sizes{rows};
  if (rank == 2) sizes.push_back(columns);
  std::shared_ptr<Mapping> keep = mapping_;
  tensor = torch::from_blob(
      mapping_->data + offset, sizes, [keep](void*) mutable { keep.reset(); },
      torch::TensorOptions().dtype(dtypes[code]));
}

std::string MappedArchiveReader::raw_bytes() const {
  return {mapping_->data + kMappedDataStart, static_cast<std::size_t>(mapping_->archive_offset - kMappedDataStart)};
}

}  // namespace recsys::files
