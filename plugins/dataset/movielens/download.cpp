#include "download.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include <spdlog/spdlog.h>

#include "recsys/errors.hpp"

namespace recsys::movielens {

namespace fs = std::filesystem;

namespace {

/// Removes a path (file or folder) when it goes out of scope, unless released.
class TemporaryPath {
 public:
  explicit TemporaryPath(fs::path path) : path_(std::move(path)) {}
  ~TemporaryPath() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string hand_placement(const DownloadRequest& r) {
  return "if the files are already on this machine, set RECSYS_DATA_DIR (or dataset.data_dir) to the folder that "
         "holds " +
         r.folder + "/; to place them by hand, download " + r.url + " by other means, check its " + r.algorithm + " (" +
         r.expected + "), and unzip it into " + r.parent.string() + " (giving " + (r.parent / r.folder).string() + ")";
}

/// Creates a folder and its missing parents, and removes the ones it created unless kept: a
/// failed download must not leave `/shared/data` or `/nonexistent` behind.
class CreatedFolders {
 public:
  explicit CreatedFolders(const fs::path& folder) {
    for (fs::path p = folder; !p.empty() && !fs::exists(p); p = p.parent_path()) {
      top_ = p;
      if (p == p.parent_path()) break;
    }
    std::error_code ec;
    fs::create_directories(folder, ec);
    if (ec) throw Error(folder.string() + ": cannot create the data folder: " + ec.message());
  }
  ~CreatedFolders() {
    std::error_code ec;
    if (!top_.empty()) fs::remove_all(top_, ec);
  }
  CreatedFolders(const CreatedFolders&) = delete;
  CreatedFolders& operator=(const CreatedFolders&) = delete;
  void keep() { top_.clear(); }

 private:
  fs::path top_;  // the highest folder this object created; empty when none or kept
};

int progress(void* data, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* last = static_cast<int*>(data);
  if (total <= 0 || !isatty(fileno(stderr))) return 0;
  const int percent = static_cast<int>(100 * now / total);
  if (percent != *last) {
    *last = percent;
    std::fprintf(stderr, "\rdownloading %3d%% of %.1f MB\x1b[K", percent, static_cast<double>(total) / 1e6);
    if (percent == 100) std::fprintf(stderr, "\r\x1b[K");
  }
  return 0;
}

void fetch(const DownloadRequest& r, const fs::path& file) {
  FILE* out = std::fopen(file.c_str(), "wb");
  if (!out) throw Error(file.string() + ": cannot create the download file");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  int last = -1;
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl.get(), CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, out);
  curl_easy_setopt(curl.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFOFUNCTION, progress);
  curl_easy_setopt(curl.get(), CURLOPT_XFERINFODATA, &last);
  const CURLcode code = curl_easy_perform(curl.get());
  std::fclose(out);
  if (code == CURLE_OK) return;
  std::string reason = *error ? error : curl_easy_strerror(code);
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      throw Error("downloading " + r.url + " failed: TLS error (" + reason +
                  "). The site's certificate has been reported expired at times; TLS alone is not what makes "
                  "the download trustworthy, the archive's checksum is. " +
                  hand_placement(r));
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      throw Error("downloading " + r.url + " failed (" + reason + "): offline? " + hand_placement(r));
    default:
      throw Error("downloading " + r.url + " failed: " + reason + "; " + hand_placement(r));
  }
}

/// True when `name` stays inside the folder it is unpacked into.
bool safe_entry(const std::string& name) {
  if (name.empty() || name.front() == '/') return false;
  for (const auto& part : fs::path(name)) {
    if (part == "..") return false;
  }
  return true;
}

void unpack(const DownloadRequest& r, const fs::path& archive_file, const fs::path& into) {
  std::unique_ptr<struct archive, decltype(&archive_read_free)> in(archive_read_new(), archive_read_free);
  archive_read_support_format_zip(in.get());
  if (archive_read_open_filename(in.get(), archive_file.c_str(), 1 << 16) != ARCHIVE_OK) {
    throw Error(r.url + ": not a readable zip archive: " + archive_error_string(in.get()));
  }
  std::unique_ptr<struct archive, decltype(&archive_write_free)> out(archive_write_disk_new(), archive_write_free);
  // Entries are checked by safe_entry() and written below `into`, an absolute path (so no
  // ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS); libarchive still refuses ".." and symlink tricks.
  archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  struct archive_entry* entry = nullptr;
  int status;
  while ((status = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
    const std::string name = archive_entry_pathname(entry);
    if (!safe_entry(name)) {
      throw Error(r.url + ": refusing the archive entry '" + name + "', whose path escapes the data directory");
    }
    archive_entry_set_pathname(entry, (into / name).c_str());
    if (archive_write_header(out.get(), entry) != ARCHIVE_OK) {
      throw Error((into / name).string() + ": cannot unpack: " + archive_error_string(out.get()));
    }
    const void* block;
    size_t size;
    la_int64_t offset;
    int read;
    while ((read = archive_read_data_block(in.get(), &block, &size, &offset)) == ARCHIVE_OK) {
      if (archive_write_data_block(out.get(), block, size, offset) != ARCHIVE_OK) {
        throw Error((into / name).string() + ": cannot write: " + archive_error_string(out.get()));
      }
    }
    if (read != ARCHIVE_EOF) throw Error(r.url + ": damaged entry '" + name + "': " + archive_error_string(in.get()));
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) {
      throw Error((into / name).string() + ": cannot finish: " + archive_error_string(out.get()));
    }
  }
  if (status != ARCHIVE_EOF) throw Error(r.url + ": damaged archive: " + archive_error_string(in.get()));
}

}  // namespace

std::string file_digest(const fs::path& file, const std::string& algorithm) {
  const EVP_MD* md = algorithm == "md5" ? EVP_md5() : algorithm == "sha256" ? EVP_sha256() : nullptr;
  if (!md) throw Error("unknown checksum algorithm '" + algorithm + "' (expected md5 or sha256)");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), md, nullptr);
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open for the checksum");
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

void download_and_unpack(const DownloadRequest& r) {
  std::error_code ec;
  CreatedFolders parent(r.parent);
  std::string archive_name = (r.parent / ("." + r.folder + ".zip.XXXXXX")).string();
  const int fd = mkstemp(archive_name.data());
  if (fd < 0) throw Error(archive_name + ": cannot create a temporary file");
  close(fd);
  TemporaryPath archive(archive_name);
  spdlog::info("downloading {} into {}", r.url, r.parent.string());
  fetch(r, archive.path());

  const std::string digest = file_digest(archive.path(), r.algorithm);
  if (digest != r.expected) {
    const std::string message =
        r.url + ": " + r.algorithm + " checksum mismatch: expected " + r.expected + ", got " + digest;
    if (r.strict) throw Error(message + " (the download is discarded; " + hand_placement(r) + ")");
    spdlog::warn("{} (a rolling release; set verify = \"strict\" to refuse it)", message);
  }

  std::string unpack_name = (r.parent / ("." + r.folder + ".unpack.XXXXXX")).string();
  if (!mkdtemp(unpack_name.data())) throw Error(unpack_name + ": cannot create a temporary folder");
  TemporaryPath unpacked(unpack_name);
  unpack(r, archive.path(), unpacked.path());
  if (!fs::is_directory(unpacked.path() / r.folder)) {
    throw Error(r.url + ": the archive has no top folder '" + r.folder + "'");
  }
  parent.keep();  // verified and unpacked: what follows moves files into place
  const fs::path target = r.parent / r.folder;
  if (fs::is_directory(target, ec)) {
    // A folder with some of the files (an interrupted copy by hand): complete it file by file,
    // each rename atomic, so the files it holds are replaced only by verified ones.
    for (const auto& entry : fs::recursive_directory_iterator(unpacked.path() / r.folder)) {
      const fs::path to = target / fs::relative(entry.path(), unpacked.path() / r.folder);
      if (entry.is_directory()) {
        fs::create_directories(to, ec);
      } else {
        fs::rename(entry.path(), to, ec);
      }
      if (ec) throw Error(to.string() + ": cannot move the unpacked file into place: " + ec.message());
    }
    return;
  }
  fs::rename(unpacked.path() / r.folder, target, ec);
  if (ec) throw Error(target.string() + ": cannot move the unpacked files into place: " + ec.message());
}

}  // namespace recsys::movielens
