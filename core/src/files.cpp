#include "recsys/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "recsys/errors.hpp"

namespace recsys::core {

namespace fs = std::filesystem;

namespace {

/// Closes `fd`, removes `temp` and throws "`temp`: cannot `what`: <errno text>".
[[noreturn]] void abandon(int fd, const fs::path& temp, const char* what) {
  const int error = errno;
  ::close(fd);
  ::unlink(temp.c_str());
  throw Error(temp.string() + ": cannot " + what + ": " + std::strerror(error));
}

void write_all(int fd, const fs::path& temp, std::string_view content) {
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) abandon(fd, temp, "write");
    written += static_cast<std::size_t>(n);
  }
}

/// Makes a rename inside `parent` durable.
void sync_directory(const fs::path& parent) {
  const int dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view content) {
  // A name of our own in the same directory (rename is atomic only within a file system).
  std::string pattern = path.string() + ".tmp.XXXXXX";
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  const fs::path temp = pattern;
  if (fd < 0) throw Error(temp.string() + ": cannot create: " + std::strerror(errno));
  write_all(fd, temp, content);
  if (::fsync(fd) != 0) abandon(fd, temp, "flush");
  ::fchmod(fd, 0644);
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw Error(path.string() + ": cannot rename the temporary file: " + std::strerror(error));
  }
  sync_directory(path.has_parent_path() ? path.parent_path() : fs::path("."));
}

std::size_t remove_stale_temporaries(const fs::path& directory) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos || at == 0 || name.size() != at + 5 + 6 || !entry.is_regular_file(ec)) continue;
    removed += fs::remove(entry.path(), ec) ? 1 : 0;
  }
  return removed;
}

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": cannot read");
  return text.str();
}

}  // namespace recsys::core
