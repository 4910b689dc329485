// The movielens plugin's download path, against an HTTP server on 127.0.0.1 that serves zip
// archives this test builds (never the network): a verified archive is unpacked into place; a
// checksum mismatch or an entry escaping the folder is a clear error that leaves nothing in the
// data directory; an unreachable server says where to put the files.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <torch/torch.h>

#include "movielens_fixtures.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;

/// A zip archive of `files` (archive path -> content), as bytes.
std::string make_zip(const std::map<std::string, std::string>& files) {
  std::vector<char> buffer(1 << 20);
  size_t used = 0;
  struct archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_open_memory(a, buffer.data(), buffer.size(), &used);
  for (const auto& [name, content] : files) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_write_header(a, e);
    archive_write_data(a, content.data(), content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return std::string(buffer.data(), used);
}

/// Serves `files` (URL path -> body) on 127.0.0.1 until destroyed; 404 for anything else.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::map<std::string, std::string> files) : files_(std::move(files)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  void serve() {
    while (!stop_) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char request[4096] = {};
      const ssize_t n = recv(client, request, sizeof request - 1, 0);
      std::string path;
      if (n > 0) std::istringstream(request) >> path >> path;  // "GET /ml-100k.zip HTTP/1.1"
      const auto it = files_.find(path);
      const std::string body = it == files_.end() ? "not found" : it->second;
      const std::string head = std::string(it == files_.end() ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") +
                               "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
      send(client, head.data(), head.size(), MSG_NOSIGNAL);
      send(client, body.data(), body.size(), MSG_NOSIGNAL);
      close(client);
    }
  }
  std::map<std::string, std::string> files_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The ml-100k fixture as a zip with the official layout (a top folder ml-100k/).
std::string fixture_zip() {
  test::TempDir source;
  test::write_movielens_fixture("100k", source.path());
  std::map<std::string, std::string> files;
  for (const char* name : {"u.data", "u.user", "u.item"})
    files[std::string("ml-100k/") + name] = test::read_file(source.path() / name);
  return make_zip(files);
}

/// The MD5 of `bytes`, from coreutils' md5sum (an oracle independent of the plugin's OpenSSL).
std::string md5_of(const std::string& bytes) {
  test::TempDir scratch;
  const fs::path file = scratch.write("a.zip", bytes);
  FILE* p = popen(("md5sum '" + file.string() + "'").c_str(), "r");
  char out[64] = {};
  fgets(out, sizeof out, p);
  pclose(p);
  return std::string(out, 32);
}

class MovieLensDownloadTest : public ::testing::Test {
 protected:
  /// Loads variant 100k from <root>/ml-100k with download on; `extra` adds keys.
  InteractionData load(const std::string& base_url, const std::string& extra) {
    const auto config = test::parse_config("[d]\ndownload = true\nbase_url = \"" + base_url + "\"\ndata_dir = \"" +
                                           (root.path() / "ml-100k").string() + "\"\n" + extra);
    return registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
  }
  std::vector<std::string> leftovers() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(root.path())) names.push_back(e.path().filename().string());
    return names;
  }
  test::TempDir root;
  core::PluginRegistry registry = test::registry_with("dataset_movielens");
};

TEST_F(MovieLensDownloadTest, AVerifiedArchiveIsUnpackedIntoPlaceAndLoads) {
  const std::string zip = fixture_zip();
  LoopbackServer server({{"/ml-100k.zip", zip}});
  // The published MD5 is for the real archive; this test's archive gets its own checksum.
  const std::string md5 = md5_of(zip);
  InteractionData d = load(server.base_url(), "checksum = \"md5:" + md5 + "\"\n");
  EXPECT_EQ(d.num_interactions(), 3);
  EXPECT_EQ(leftovers(), (std::vector<std::string>{"ml-100k"})) << "no temporary file is left behind";
  // A second load finds the files and does not download again (the server is gone).
  const auto config = test::parse_config("[d]\ndata_dir = \"" + (root.path() / "ml-100k").string() + "\"\n");
  EXPECT_EQ(registry.create<PluginKind::dataset>("movielens", config.section("d"))->load().num_interactions(), 3);
}

TEST_F(MovieLensDownloadTest, AFolderWithSomeOfTheFilesIsCompleted) {
  const std::string zip = fixture_zip();
  LoopbackServer server({{"/ml-100k.zip", zip}});
  fs::create_directories(root.path() / "ml-100k");
  std::ofstream(root.path() / "ml-100k" / "u.data") << "truncated";
  EXPECT_EQ(load(server.base_url(), "checksum = \"md5:" + md5_of(zip) + "\"\n").num_interactions(), 3);
  EXPECT_EQ(leftovers(), (std::vector<std::string>{"ml-100k"}));
}

TEST_F(MovieLensDownloadTest, AChecksumMismatchIsAnErrorAndLeavesNothing) {
  LoopbackServer server({{"/ml-100k.zip", fixture_zip()}});
  try {
    load(server.base_url(), "");  // the published MD5 of the real ml-100k.zip
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("md5 checksum mismatch: expected 0e33842e24a9c977be4e0107933c0723, got "), std::string::npos)
        << message;
    EXPECT_NE(message.find("unzip it into"), std::string::npos) << message;
  }
  EXPECT_TRUE(leftovers().empty()) << "nothing half-written is left in the data directory";
}

TEST_F(MovieLensDownloadTest, AnEntryEscapingTheFolderIsRefused) {
  const std::string zip = make_zip({{"ml-100k/u.data", "1\t1\t5\t1\n"}, {"ml-100k/../../evil", "x"}});
  LoopbackServer server({{"/ml-100k.zip", zip}});
  try {
    load(server.base_url(), "checksum = \"md5:" + md5_of(zip) + "\"\n");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("escapes the data directory"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(leftovers().empty());
  EXPECT_FALSE(fs::exists(root.path().parent_path() / "evil"));
}

TEST_F(MovieLensDownloadTest, AMissingArchiveOrServerSaysWhereToPutTheFiles) {
  LoopbackServer server({});
  try {
    load(server.base_url(), "");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find((root.path() / "ml-100k").string()), std::string::npos) << e.what();
  }
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(MovieLensDownloadTest, AFailedDownloadRemovesTheFoldersItCreated) {
  LoopbackServer server({});
  const fs::path data_dir = root.path() / "shared" / "data" / "ml-100k";  // none of it exists
  const auto config = test::parse_config("[d]\ndownload = true\nbase_url = \"" + server.base_url() +
                                         "\"\ndata_dir = \"" + data_dir.string() + "\"\n");
  try {
    registry.create<PluginKind::dataset>("movielens", config.section("d"))->load();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("set RECSYS_DATA_DIR"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(leftovers().empty()) << "shared/ was created for the download and must be gone";
}

TEST_F(MovieLensDownloadTest, WithoutDownloadMissingFilesAreAConfigError) {
  const auto config = test::parse_config("[d]\ndata_dir = \"" + (root.path() / "ml-100k").string() + "\"\n");
  EXPECT_THROW(registry.create<PluginKind::dataset>("movielens", config.section("d")), ConfigError);
}

}  // namespace
}  // namespace recsys
