// The files plugin's mapped archive (plugins/dataset/files/mapped_archive.hpp): large tensors
// stored raw and mapped back, small ones and values in the torch archive beside them, and every
// way a file can be wrong refused with an exception rather than read out of bounds.
#include "mapped_archive.hpp"

#include <gtest/gtest.h>

#include <torch/torch.h>

#include "test_support.hpp"

namespace recsys::files {
namespace {

namespace fs = std::filesystem;

class MappedArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(7); }
  fs::path file() const { return dir.path() / "data.mapped"; }
  test::TempDir dir;
};

TEST_F(MappedArchiveTest, LargeTensorsComeBackMappedAndSmallOnesFromTheArchive) {
  const torch::Tensor ids = torch::randint(1000, {5000}, torch::kInt64);
  const torch::Tensor block = torch::randn({300, 3});
  const torch::Tensor mask = torch::randint(2, {4097}, torch::kUInt8);
  const torch::Tensor small = torch::arange(5, torch::kInt64);
  const torch::Tensor doubles = torch::randn({5000}, torch::kFloat64);  // not a raw dtype
  MappedArchiveWriter writer(/*min_raw_elements=*/900);
  writer.write("ids", ids);
  writer.write("block", block);
  writer.write("mask", mask);
  writer.write("small", small);
  writer.write("doubles", doubles);
  writer.write("format", c10::IValue(std::int64_t{4}));
  writer.save(file());
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);  // no temp file left

  MappedArchiveReader reader(file());
  torch::Tensor t;
  for (const auto& [name, expected] : std::vector<std::pair<std::string, torch::Tensor>>{
           {"ids", ids}, {"block", block}, {"mask", mask}, {"small", small}, {"doubles", doubles}}) {
    reader.read(name, t);
    EXPECT_EQ(t.scalar_type(), expected.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(t, expected)) << name;
  }
  // ids (40,000 bytes) at 4096, block (3,600) at 44096, mask (4,097) at 47744, the archive at
  // 51904: each at the next multiple of 64.
  EXPECT_EQ(reader.raw_bytes().size(), 51904u - 4096u);
  c10::IValue v;
  reader.read("format", v);
  EXPECT_EQ(v.toInt(), 4);
  EXPECT_THROW(reader.read("absent", t), std::exception);
}

TEST_F(MappedArchiveTest, AMappedTensorChangedInPlaceLeavesTheFileAsItWas) {
  const torch::Tensor ids = torch::arange(10000, torch::kInt64);
  MappedArchiveWriter writer(1);
  writer.write("ids", ids);
  writer.save(file());
  torch::Tensor mapped;
  {
    MappedArchiveReader reader(file());
    reader.read("ids", mapped);
  }  // the tensor keeps the mapping alive after its reader is gone
  mapped.mul_(2);
  EXPECT_EQ(mapped[9999].item<std::int64_t>(), 19998);
  MappedArchiveReader again(file());
  torch::Tensor fresh;
  again.read("ids", fresh);
  EXPECT_TRUE(torch::equal(fresh, ids));
}

/// A file of the layout with `raw` bytes and one descriptor "x.raw".
void write_with_descriptor(const fs::path& file, std::size_t raw, std::vector<std::int64_t> descriptor) {
  torch::serialize::OutputArchive archive;
  archive.write("x.raw", torch::tensor(descriptor, torch::kInt64));
  write_mapped_file(file, std::string(raw, '\1'), archive);
}

TEST_F(MappedArchiveTest, DescriptorsOutsideTheRawRegionOrOfUnknownTypesAreRefused) {
  torch::Tensor t;
  const auto read = [&](std::vector<std::int64_t> descriptor) {
    write_with_descriptor(file(), 832, std::move(descriptor));  // a multiple of 64: the archive follows at once
    MappedArchiveReader reader(file());
    reader.read("x", t);
  };
  read({4096, 0, 1, 104, 1});  // 832 bytes exactly
  EXPECT_EQ(t.numel(), 104);
  EXPECT_EQ(t[0].item<std::int64_t>(), 0x0101010101010101);
  read({4096, 1, 2, 40, 5});  // float32 [40, 5]: 800 bytes
  EXPECT_EQ(t.sizes(), (std::vector<std::int64_t>{40, 5}));
  EXPECT_THROW(read({4096, 0, 1, 105, 1}), std::runtime_error);                    // one element past the end
  EXPECT_THROW(read({4096 + 64, 0, 1, 97, 1}), std::runtime_error);                // shifted past the end
  EXPECT_THROW(read({4100, 2, 1, 10, 1}), std::runtime_error);                     // unaligned
  EXPECT_THROW(read({0, 2, 1, 10, 1}), std::runtime_error);                        // over the header
  EXPECT_THROW(read({4096, 3, 1, 10, 1}), std::runtime_error);                     // unknown dtype
  EXPECT_THROW(read({4096, 0, 3, 10, 1}), std::runtime_error);                     // rank 3
  EXPECT_THROW(read({4096, 0, 1, -1, 1}), std::runtime_error);                     // negative size
  EXPECT_THROW(read({4096, 2, 2, std::int64_t{1} << 62, 4}), std::runtime_error);  // product overflows
  EXPECT_THROW(read({4096, 0, 1}), std::runtime_error);                            // short descriptor
}

TEST_F(MappedArchiveTest, FilesOfAnotherLayoutAreRefused) {
  dir.write("short", "recsys-mapped");
  EXPECT_THROW(MappedArchiveReader(dir.path() / "short"), std::runtime_error);
  torch::serialize::OutputArchive zip;
  zip.write("x", torch::ones({2000}));
  zip.save_to((dir.path() / "plain.pt").string());  // a torch archive without the header
  EXPECT_THROW(MappedArchiveReader(dir.path() / "plain.pt"), std::runtime_error);
  EXPECT_THROW(MappedArchiveReader(dir.path() / "absent"), std::runtime_error);
  write_with_descriptor(file(), 10, {4096, 0, 1, 1, 1});
  std::string bytes = test::read_file(file());
  bytes.resize(bytes.size() - 100);  // the archive cut short
  dir.write("cut", bytes);
  EXPECT_THROW(MappedArchiveReader(dir.path() / "cut"), std::exception);
}

}  // namespace
}  // namespace recsys::files
