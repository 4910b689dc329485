#pragma once
/// @file
/// A torch archive whose large tensors are stored raw beside it and mapped into memory, not
/// read, when the file is opened. At 25M interactions a cache load through torch's archive alone
/// spent half its time zeroing fresh pages for 1.1 GB of copies (perf: clear_page); a mapped
/// tensor costs page-table entries over the page cache instead, and its pages are private
/// (copy-on-write), so a tensor read this way may be changed in place like any other.
///
/// File layout (little-endian, this machine's byte order):
///   [0, 64)            header: magic "recsys-mapped\0\0\0", format (u64), archive offset and
///                      size (u64 each)
///   [4096, archive)    the raw tensors' bytes, each at a 64-byte aligned offset
///   [archive, end)     a torch archive (OutputArchive::save_to) holding every other entry and,
///                      for each raw tensor `name`, under "name.raw" an int64 [5] descriptor
///                      {offset, dtype code (0 int64, 1 float32, 2 uint8), rank (1 or 2), size0,
///                      size1}
/// Readers validate every offset and size against the file, so a damaged or foreign file is an
/// exception, never a read outside the mapping.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>
#include <torch/types.h>

namespace recsys::files {

/// Raw tensors start here: the header's page, so that the first tensor is page-aligned.
constexpr std::int64_t kMappedDataStart = 4096;

/// Collects entries, then writes the file. Tensors are kept by reference, not copied: the
/// caller must not change them in place before save() returns.
class MappedArchiveWriter {
 public:
  /// Tensors of int64, float32 or uint8 with at least `min_raw_elements` elements and rank 1 or
  /// 2 are stored raw; others go into the archive.
  explicit MappedArchiveWriter(std::int64_t min_raw_elements) : min_raw_elements_(min_raw_elements) {}
  void write(const std::string& name, const torch::Tensor& tensor);
  void write(const std::string& name, const c10::IValue& value) { archive_.write(name, value); }
  /// Writes the file at `file`'s name plus `.tmp.<pid>`, then renames it over `file`: a reader
  /// sees the old file or the new one. Throws std::runtime_error (or filesystem_error) on an
  /// I/O failure; the temporary file is removed.
  void save(const std::filesystem::path& file);

 private:
  std::int64_t min_raw_elements_;
  torch::serialize::OutputArchive archive_;
  std::vector<std::pair<std::int64_t, torch::Tensor>> raw_;  // offset, contiguous tensor
  std::int64_t end_ = kMappedDataStart;
};

/// Writes a file of this layout from its parts: `raw` placed at kMappedDataStart, then
/// `archive`. MappedArchiveWriter::save's last step; the fuzz target builds files with it.
void write_mapped_file(const std::filesystem::path& file, const std::string& raw,
                       torch::serialize::OutputArchive& archive);

struct Mapping;

/// Opens a file of this layout. Throws std::runtime_error for a file that is not one (too
/// short, another magic or format, an archive outside the file, torch's own errors).
class MappedArchiveReader {
 public:
  explicit MappedArchiveReader(const std::filesystem::path& file);
  /// Reads tensor `name`: mapped for a raw one (int64, float32 or uint8 as written), else from the
  /// archive. Throws std::runtime_error when it is absent or its descriptor is out of bounds.
  void read(const std::string& name, torch::Tensor& tensor);
  void read(const std::string& name, c10::IValue& value) { archive_.read(name, value); }
  torch::serialize::InputArchive& archive() { return archive_; }
  /// The bytes between kMappedDataStart and the archive (the fuzz target's seeds).
  std::string raw_bytes() const;

 private:
  std::shared_ptr<Mapping> mapping_;
  torch::serialize::InputArchive archive_;
};

}  // namespace recsys::files
