// File utilities: atomic writes and whole-file reads.
#include <gtest/gtest.h>

#include "recsys/core/files.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys::core {
namespace {

namespace fs = std::filesystem;

TEST(FilesTest, AtomicWriteReplacesAndLeavesNoTemporary) {
  test::TempDir dir;
  const fs::path file = dir.path() / "summary.json";
  write_file_atomically(file, "first");
  write_file_atomically(file, "second");
  EXPECT_EQ(read_text_file(file), "second");
  std::size_t entries = 0;
  for (const auto& entry : fs::directory_iterator(dir.path())) entries += entry.path() == file ? 0 : 1;
  EXPECT_EQ(entries, 0u) << "a temporary file was left behind";
}

TEST(FilesTest, AtomicWriteIntoAMissingDirectoryNamesThePath) {
  test::TempDir dir;
  try {
    write_file_atomically(dir.path() / "absent" / "x.json", "text");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir.path() / "absent" / "x.json").string()), std::string::npos) << e.what();
  }
}

// The probe's kill -9 mid-write left "summary.json.tmp.Ab3dEf" beside the intact file for ever.
TEST(FilesTest, StaleTemporariesOfAtomicWritesAreRemovedAndNothingElse) {
  test::TempDir dir;
  dir.write("metrics.csv", "kept");
  dir.write("summary.json.tmp.Ab3dEf", "left by a kill");
  dir.write("last.pt.tmp.x1y2z3", "left by a kill");
  dir.write("notes.tmp.txt", "kept: not mkstemp's pattern");
  dir.write(".tmp.abcdef", "kept: no file name before the suffix");
  fs::create_directory(dir.path() / "sub.tmp.abcdef");
  EXPECT_EQ(remove_stale_temporaries(dir.path()), 2u);
  EXPECT_TRUE(fs::exists(dir.path() / "metrics.csv"));
  EXPECT_FALSE(fs::exists(dir.path() / "summary.json.tmp.Ab3dEf"));
  EXPECT_FALSE(fs::exists(dir.path() / "last.pt.tmp.x1y2z3"));
  EXPECT_TRUE(fs::exists(dir.path() / "notes.tmp.txt"));
  EXPECT_TRUE(fs::exists(dir.path() / ".tmp.abcdef"));
  EXPECT_TRUE(fs::is_directory(dir.path() / "sub.tmp.abcdef"));
  EXPECT_EQ(remove_stale_temporaries(dir.path() / "absent"), 0u);
}

TEST(FilesTest, ReadingAMissingFileNamesIt) {
  test::TempDir dir;
  EXPECT_EQ(read_text_file(dir.write("a.txt", "line 1\nline 2\n")), "line 1\nline 2\n");
  try {
    read_text_file(dir.path() / "absent.txt");
    FAIL() << "expected Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("absent.txt: cannot open"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace recsys::core
