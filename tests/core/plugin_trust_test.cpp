// Which plugin files may be opened (plugin_trust.hpp), checked before dlopen runs any of their
// code: the fixture libraries' ELF constructor writes $RECSYS_FIXTURE_SIDE_EFFECT, so a file
// that must not have run is one whose side-effect file does not exist afterwards.
#include <grp.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <thread>

#include "recsys/core/plugin_trust.hpp"
#include "recsys/errors.hpp"
#include "test_support.hpp"

namespace recsys {
namespace {

namespace fs = std::filesystem;
using core::check_plugin_directory;
using core::check_plugin_file;
using core::PluginRegistry;
using core::UntrustedPluginError;
using test::TempDir;

constexpr uid_t kNobody = 65534;

fs::path side_effect_plugin() {
  return test::fixture_dir() / "fixture_side_effect_plugin.so";
}

/// A TempDir (mode 0700, in the temporary directory) and the file the fixture's constructor
/// writes when it runs, named in $RECSYS_FIXTURE_SIDE_EFFECT.
class PluginTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    side_effect_ = dir_.path() / "constructor-ran";
    ::setenv("RECSYS_FIXTURE_SIDE_EFFECT", side_effect_.c_str(), 1);
  }
  void TearDown() override { ::unsetenv("RECSYS_FIXTURE_SIDE_EFFECT"); }

  /// `library` copied to `directory/name` (created with `directory_mode`), with `file_mode`.
  fs::path copy_into(const fs::path& library, const fs::path& directory, fs::perms directory_mode,
                     const std::string& name = "libplugin.so", fs::perms file_mode = fs::perms(0644)) {
    fs::create_directories(directory);
    fs::permissions(directory, directory_mode);
    const fs::path file = directory / name;
    fs::copy_file(library, file);
    fs::permissions(file, file_mode);
    return file;
  }
  bool constructor_ran() const { return fs::exists(side_effect_); }

  TempDir dir_;
  fs::path side_effect_;
};

/// The message of what `check` throws as `Error` ("" when it throws nothing).
template <class Error, class Check>
std::string refusal(Check check) {
  try {
    check();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_F(PluginTrustTest, APluginInAWorldWritableDirectoryIsRefusedBeforeItsCodeRuns) {
  const fs::path open_dir = dir_.path() / "x";
  const fs::path file = copy_into(side_effect_plugin(), open_dir, fs::perms(0777), "libevil.so");
  const std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, file.string() + ": refused before loading: directory " + open_dir.string() +
                                    " is writable by others (mode 0777); plugins load only from files and "
                                    "directories that only you or root can write (chmod go-w " +
                                    open_dir.string() + ")"))
      << message;
  PluginRegistry registry;
  EXPECT_THROW(registry.load_library(file), UntrustedPluginError);
  EXPECT_THROW(core::PluginLibrary::open(file.string()), UntrustedPluginError);
  EXPECT_FALSE(constructor_ran());
}

TEST_F(PluginTrustTest, AScanRefusesAnUntrustedDirectoryAsAWholeAndOnce) {
  const fs::path open_dir = dir_.path() / "x";
  copy_into(side_effect_plugin(), open_dir, fs::perms(0777));
  fs::create_directory_symlink(open_dir, dir_.path() / "link");
  PluginRegistry registry;
  registry.scan_directory(open_dir);
  registry.scan_directory(dir_.path() / "link");  // the same directory again, through a symlink
  ASSERT_EQ(registry.libraries().size(), 1u);
  const core::LibraryRecord& record = registry.libraries()[0];
  EXPECT_FALSE(record.ok);
  EXPECT_TRUE(record.directory);
  EXPECT_EQ(record.path, open_dir.string());
  EXPECT_TRUE(contains(record.error, "refused before loading any plugin in it: directory " + open_dir.string() +
                                         " is writable by others (mode 0777)"))
      << record.error;
  EXPECT_TRUE(registry.plugins().empty());
  const std::string missing =
      refusal<PluginNotFoundError>([&] { registry.find(PluginKind::loss, "side_effect_loss"); });
  EXPECT_TRUE(contains(missing, open_dir.string() + " (refused: ")) << missing;
  EXPECT_FALSE(constructor_ran());
}

TEST_F(PluginTrustTest, AnUntrustedAncestorDirectoryIsRefused) {
  const fs::path open_dir = dir_.path() / "x";
  fs::create_directories(open_dir);
  fs::permissions(open_dir, fs::perms(0777));
  const fs::path file = copy_into(side_effect_plugin(), open_dir / "inner", fs::perms(0755));
  const std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, "directory " + open_dir.string() + " is writable by others (mode 0777)")) << message;
  EXPECT_FALSE(constructor_ran());
}

TEST_F(PluginTrustTest, AWorldWritableFileIsRefused) {
  const fs::path file =
      copy_into(side_effect_plugin(), dir_.path() / "d", fs::perms(0755), "libplugin.so", fs::perms(0666));
  const std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, "refused before loading: file " + file.string() + " is writable by ")) << message;
  EXPECT_TRUE(contains(message, "(mode 0666)")) << message;
  PluginRegistry registry;
  registry.scan_directory(dir_.path() / "d");
  ASSERT_EQ(registry.libraries().size(), 1u);
  EXPECT_FALSE(registry.libraries()[0].ok);
  EXPECT_FALSE(registry.libraries()[0].directory);
  EXPECT_TRUE(contains(registry.libraries()[0].error, "(chmod go-w " + file.string() + ")"));
  EXPECT_FALSE(constructor_ran());
}

/// A group of the user's other than their primary group (as root: any other), or -1.
gid_t another_group() {
  const gid_t primary = getegid();
  if (geteuid() == 0) return primary == kNobody ? 0 : kNobody;
  gid_t groups[256];
  const int count = getgroups(256, groups);
  for (int i = 0; i < count; ++i) {
    if (groups[i] != primary) return groups[i];
  }
  return static_cast<gid_t>(-1);
}

TEST_F(PluginTrustTest, AGroupWritableFileIsRefusedUnlessItsGroupIsTheOwnersPrivateGroup) {
  const fs::path file =
      copy_into(side_effect_plugin(), dir_.path() / "d", fs::perms(0755), "libplugin.so", fs::perms(0664));
  const gid_t other = another_group();
  if (other == static_cast<gid_t>(-1) || ::chown(file.c_str(), static_cast<uid_t>(-1), other) != 0) {
    RECSYS_SKIP_OUTSIDE_CI("no second group to give the file");
  }
  fs::permissions(file, fs::perms(0664));  // chown may clear bits
  const std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, "file " + file.string() + " is writable by its group ")) << message;
  EXPECT_TRUE(contains(message, "(mode 0664)")) << message;
  EXPECT_FALSE(constructor_ran());

  // The same mode with the owner's private group (primary group, same name, no other member).
  const passwd* user = getpwuid(geteuid());
  const group* own = user ? getgrgid(user->pw_gid) : nullptr;
  const bool private_group =
      own && std::strcmp(own->gr_name, user->pw_name) == 0 &&
      (own->gr_mem[0] == nullptr || (std::strcmp(own->gr_mem[0], user->pw_name) == 0 && own->gr_mem[1] == nullptr));
  if (!private_group || ::chown(file.c_str(), static_cast<uid_t>(-1), user->pw_gid) != 0) return;
  fs::permissions(file, fs::perms(0664));
  EXPECT_NO_THROW(check_plugin_file(file));
}

TEST_F(PluginTrustTest, AFileOrDirectoryOwnedByAnotherUserIsRefused) {
  if (geteuid() != 0) RECSYS_SKIP_OUTSIDE_CI("only root can give a file to another user");
  const fs::path file = copy_into(side_effect_plugin(), dir_.path() / "d", fs::perms(0755));
  ASSERT_EQ(::chown(file.c_str(), kNobody, kNobody), 0);
  std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, "file " + file.string() + " is owned by ")) << message;
  EXPECT_TRUE(contains(message, "neither by you (")) << message;

  // A sticky directory that others can write is trusted only when root owns it.
  ASSERT_EQ(::chown(file.c_str(), 0, 0), 0);
  fs::permissions(dir_.path() / "d", fs::perms(01777));
  ASSERT_EQ(::chown((dir_.path() / "d").c_str(), kNobody, kNobody), 0);
  message = refusal<UntrustedPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, "directory " + (dir_.path() / "d").string() + " is owned by ")) << message;
  ASSERT_EQ(::chown((dir_.path() / "d").c_str(), 0, 0), 0);
  fs::permissions(dir_.path() / "d", fs::perms(01777));
  EXPECT_NO_THROW(check_plugin_file(file));
  EXPECT_FALSE(constructor_ran());
}

TEST_F(PluginTrustTest, AFifoIsRefusedWithoutBeingOpened) {
  const fs::path fifo = dir_.path() / "x.so";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // In a thread of its own, so that a regression (opening the FIFO blocks) fails, not hangs.
  auto task = std::make_shared<std::packaged_task<std::string()>>(
      [fifo] { return refusal<UntrustedPluginError>([&] { PluginRegistry().load_library(fifo); }); });
  std::future<std::string> message = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  ASSERT_EQ(message.wait_for(std::chrono::seconds(20)), std::future_status::ready) << "the check hangs on a FIFO";
  const std::string text = message.get();
  EXPECT_TRUE(contains(text, fifo.string() + ": refused before loading: not a regular file (a FIFO)")) << text;

  PluginRegistry registry;
  registry.scan_directory(dir_.path());  // listed as refused, not skipped
  ASSERT_EQ(registry.libraries().size(), 1u);
  EXPECT_TRUE(contains(registry.libraries()[0].error, "not a regular file (a FIFO)"));
}

TEST_F(PluginTrustTest, ARegularFileThatIsNotElfIsNotAPlugin) {
  const fs::path file = dir_.write("garbage.so", "this is not an ELF file\n");
  const std::string message = refusal<NotAPluginError>([&] { check_plugin_file(file); });
  EXPECT_TRUE(contains(message, file.string() + ": not a recsys plugin: not an ELF shared library")) << message;
}

TEST_F(PluginTrustTest, AnElfLibraryWithoutTheRecsysSectionIsNotAPluginAndDoesNotRun) {
  const fs::path file =
      copy_into(test::fixture_dir() / "fixture_side_effect_library.so", dir_.path() / "d", fs::perms(0700));
  const std::string message = refusal<NotAPluginError>([&] { PluginRegistry().load_library(file); });
  EXPECT_TRUE(contains(message, "not a recsys plugin: no 'recsys' ELF section")) << message;
  EXPECT_FALSE(constructor_ran());
  EXPECT_THROW(check_plugin_file(test::fixture_dir() / "fixture_not_a_plugin.so"), NotAPluginError);
}

TEST_F(PluginTrustTest, APluginInATrustedDirectoryLoadsAndItsConstructorRuns) {
  // The positive control of the tests above: loaded, the fixture does write its file.
  const fs::path file = copy_into(side_effect_plugin(), dir_.path() / "d", fs::perms(0700));
  PluginRegistry registry;
  registry.scan_directory(dir_.path() / "d");
  EXPECT_EQ(registry.find(PluginKind::loss, "side_effect_loss").path, file.string());
  EXPECT_TRUE(constructor_ran());
}

TEST_F(PluginTrustTest, ARealPluginCopiedIntoAPrivateDirectoryLoads) {
  const fs::path file = copy_into(test::plugin_file("loss_pointwise"), dir_.path() / "d", fs::perms(0700));
  EXPECT_EQ(check_plugin_file(file), file);
  PluginRegistry registry;
  registry.load_library(file);
  EXPECT_EQ(registry.find(PluginKind::loss, "mse").path, file.string());
}

TEST_F(PluginTrustTest, ASymlinkIsJudgedAtItsTargetAndTheMessageSaysSo) {
  const fs::path target = copy_into(side_effect_plugin(), dir_.path() / "x", fs::perms(0777));
  fs::create_directories(dir_.path() / "d");
  fs::create_symlink(target, dir_.path() / "d" / "link.so");
  const std::string message = refusal<UntrustedPluginError>([&] { check_plugin_file(dir_.path() / "d" / "link.so"); });
  EXPECT_TRUE(contains(message, target.string() + ": refused before loading: reached through symlinks as " +
                                    (dir_.path() / "d" / "link.so").string() + "; directory " +
                                    (dir_.path() / "x").string() + " is writable by others"))
      << message;
  EXPECT_FALSE(constructor_ran());
}

TEST(PluginTrustStickyTest, ARootOwnedStickyAncestorLikeTmpIsAccepted) {
  struct stat st {};
  if (::stat("/tmp", &st) != 0 || st.st_uid != 0 || (st.st_mode & 07777) != 01777) {
    RECSYS_SKIP_OUTSIDE_CI("/tmp is not mode 1777 owned by root here");
  }
  EXPECT_NO_THROW(check_plugin_directory("/tmp"));
  char name[] = "/tmp/recsys-trust-XXXXXX.so";
  const int fd = ::mkstemps(name, 3);
  ASSERT_GE(fd, 0);
  ::close(fd);
  fs::copy_file(test::plugin_file("loss_pointwise"), name, fs::copy_options::overwrite_existing);
  fs::permissions(name, fs::perms(0644));
  EXPECT_NO_THROW(check_plugin_file(name));  // directly in /tmp, whose others cannot replace it
  fs::remove(name);
}

TEST(PluginTrustStickyTest, TheBuiltPluginsAndFixturesAreTrusted) {
  EXPECT_NO_THROW(check_plugin_directory(test::plugin_dir()));
  EXPECT_NO_THROW(check_plugin_file(test::plugin_file("loss_pointwise")));
  EXPECT_NO_THROW(check_plugin_file(side_effect_plugin()));
}

}  // namespace
}  // namespace recsys
