// The progress display: a redrawn line that fits the terminal, plain occasional lines elsewhere.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "recsys/core/progress.hpp"

namespace recsys {
namespace {

using core::ProgressBar;
using namespace std::chrono_literals;

// Pieces of the output between `\r` and `\n`, with the erase-line sequences taken out: what
// a terminal shows, line by line, as the bar is redrawn.
std::vector<std::string> segments(const std::string& output) {
  std::vector<std::string> result;
  std::string current;
  for (std::size_t i = 0; i < output.size(); ++i) {
    if (output.compare(i, 3, "\x1b[K") == 0) {
      i += 2;
    } else if (output[i] == '\r' || output[i] == '\n') {
      if (!current.empty()) result.push_back(current);
      current.clear();
    } else {
      current += output[i];
    }
  }
  if (!current.empty()) result.push_back(current);
  return result;
}

// A pseudo-terminal whose slave end is the bar's stream. A thread drains the master as the bar
// writes, so that no redraw can block on a full pty buffer.
class PseudoTerminalTest : public ::testing::Test {
 protected:
  void open_terminal(unsigned short columns) {
    winsize size{};
    size.ws_col = columns;
    size.ws_row = 24;
    ASSERT_EQ(openpty(&master_, &slave_, nullptr, nullptr, &size), 0);
    termios modes{};
    ASSERT_EQ(tcgetattr(slave_, &modes), 0);
    cfmakeraw(&modes);  // bytes as written: no `\n` -> `\r\n` translation to confuse the split
    ASSERT_EQ(tcsetattr(slave_, TCSANOW, &modes), 0);
    stream_ = fdopen(slave_, "w");
    ASSERT_NE(stream_, nullptr);
    reader_ = std::thread([this] {
      char buffer[4096];
      for (ssize_t n; (n = read(master_, buffer, sizeof buffer)) > 0;) output_.append(buffer, n);
    });
  }

  void resize(unsigned short columns) {
    winsize size{};
    size.ws_col = columns;
    size.ws_row = 24;
    ASSERT_EQ(ioctl(master_, TIOCSWINSZ, &size), 0);
  }

  // Closes the slave (the reader then sees EIO) and returns everything the bar wrote.
  std::string close_and_read() {
    if (stream_ != nullptr) std::fclose(stream_);
    stream_ = nullptr;
    if (reader_.joinable()) reader_.join();
    return output_;
  }

  void TearDown() override {
    close_and_read();
    if (master_ >= 0) close(master_);
    master_ = -1;
  }

  int master_ = -1, slave_ = -1;
  std::FILE* stream_ = nullptr;
  std::thread reader_;
  std::string output_;
};

void expect_within(const std::vector<std::string>& lines, std::size_t max_columns) {
  for (const std::string& line : lines) {
    EXPECT_LE(line.size(), max_columns) << "'" << line << "'";
  }
}

TEST_F(PseudoTerminalTest, DrawsPercentageElapsedEtaAndRate) {
  open_terminal(100);
  ProgressBar bar("epoch 2/10", 48, stream_);
  bar.update(22, "loss=0.12345, 512.3k samples/s");  // the first update draws at once
  std::this_thread::sleep_for(120ms);
  bar.update(48, "loss=0.10000, 500.0k samples/s");
  const std::vector<std::string> lines = segments(close_and_read());
  ASSERT_EQ(lines.size(), 2u);
  expect_within(lines, 99);
  EXPECT_TRUE(
      std::regex_search(lines[0], std::regex("^epoch 2/10  45%\\|#+ +\\| 22/48 \\[00:00<00:00, [0-9.]+[kMGT]?it/s, "
                                             "loss=0\\.12345, 512\\.3k samples/s\\]$")))
      << lines[0];
  EXPECT_TRUE(std::regex_search(lines[1], std::regex("^epoch 2/10 100%\\|#+\\| 48/48 \\[00:00<00:00, [0-9.]+it/s, "
                                                     "loss=0\\.10000, 500\\.0k samples/s\\]$")))
      << lines[1];
  // The bar takes the room left: the lines are as wide as allowed.
  EXPECT_EQ(lines[0].size(), 99u);
  EXPECT_EQ(lines[1].size(), 99u);
}

TEST_F(PseudoTerminalTest, RatesAndEtaCountOnlyTheStepsDoneHere) {
  open_terminal(120);
  ProgressBar bar("epoch 1/1", 100, stream_, 50, "rows");
  bar.update(50);  // nothing done here yet: no rate, no ETA
  std::this_thread::sleep_for(150ms);
  bar.update(60);  // 10 rows in at least 0.15 s: at most 66.7 rows/s (all 60 would read up to 400)
  const std::vector<std::string> lines = segments(close_and_read());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" 50%|"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("| 50/100 [00:00<?, ?rows/s]"), std::string::npos) << lines[0];
  std::smatch match;
  ASSERT_TRUE(std::regex_search(lines[1], match,
                                std::regex(" 60%\\|.*\\| 60/100 \\[([0-9]{2}):([0-9]{2})<([0-9]{2}):([0-9]{2}), "
                                           "([0-9.]+)rows/s\\]$")))
      << lines[1];
  const double rate = std::stod(match[5]);
  EXPECT_GT(rate, 0.0);
  EXPECT_LE(rate, 66.7);
  // The 40 rows left at that rate (whole seconds, so within one of the exact value).
  const int eta = std::stoi(match[3]) * 60 + std::stoi(match[4]);
  EXPECT_NEAR(eta, 40 / rate, 1.0);
}

TEST_F(PseudoTerminalTest, EveryLineFitsNarrowMediumAndWideTerminals) {
  const std::string long_postfix = "loss=0.12345, 512.3k samples/s, " + std::string(150, 'p');
  const std::string long_label = "validation of a model with a label far longer than a narrow terminal";
  for (unsigned short columns : {40, 80, 200}) {
    SCOPED_TRACE(columns);
    open_terminal(columns);
    for (const std::string& label : {std::string("epoch 2/10"), long_label}) {
      for (const std::string& postfix : {std::string(), std::string("loss=0.12345"), long_postfix}) {
        ProgressBar bar(label, 48, stream_);
        bar.update(22, postfix);
        bar.update(48, postfix);
        bar.finish();
      }
    }
    const std::vector<std::string> lines = segments(close_and_read());
    EXPECT_EQ(lines.size(), 12u);
    expect_within(lines, columns - 1u);
    TearDown();
    output_.clear();
  }
}

TEST_F(PseudoTerminalTest, NarrowTerminalDropsTheBarThenThePostfixThenTheTail) {
  // Each bar starts at its `initial` step, so the first line has a fixed text ("?" for the rate).
  const auto first_line = [this](unsigned short columns) {
    resize(columns);
    ProgressBar("epoch 2/10", 48, stream_, 22).update(22, "loss=0.12345");
  };
  open_terminal(80);
  first_line(80);
  first_line(55);
  first_line(48);
  first_line(40);
  first_line(20);
  const std::vector<std::string> lines = segments(close_and_read());
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "epoch 2/10  45%|###########              | 22/48 [00:00<?, ?it/s, loss=0.12345]");
  EXPECT_EQ(lines[1], "epoch 2/10  45% 22/48 [00:00<?, ?it/s, loss=0.12345]");  // no room for a bar
  EXPECT_EQ(lines[2], "epoch 2/10  45%|###    | 22/48 [00:00<?, ?it/s]");       // a bar without the postfix
  EXPECT_EQ(lines[3], "epoch 2/10  45% 22/48 [00:00<?, ?it/s]");                // neither
  EXPECT_EQ(lines[4], "epoch 2/10  45% 22/");                                   // cut at 19 columns
}

TEST_F(PseudoTerminalTest, FollowsAWidthChangeMidRun) {
  open_terminal(200);
  ProgressBar bar("epoch 2/10", 48, stream_);
  bar.update(10, "loss=0.12345");
  std::this_thread::sleep_for(120ms);
  resize(40);
  bar.update(20, "loss=0.12345");
  std::this_thread::sleep_for(120ms);
  resize(80);
  bar.update(48, "loss=0.12345");
  bar.finish();
  const std::string output = close_and_read();
  const std::vector<std::string> lines = segments(output);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), 199u);
  EXPECT_LE(lines[1].size(), 39u) << lines[1];
  EXPECT_EQ(lines[2].size(), 79u);
  EXPECT_NE(lines[2].find("100%|"), std::string::npos) << lines[2];
  // finish() leaves the line cleared for the caller's summary.
  EXPECT_EQ(output.substr(output.size() - 4), "\r\x1b[K");
}

TEST_F(PseudoTerminalTest, RedrawsAtMostTenTimesASecondAndAlwaysTheLastStep) {
  open_terminal(80);
  ProgressBar bar("test", 100000, stream_);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t done = 1; done <= 100000; ++done) bar.update(done);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::vector<std::string> lines = segments(close_and_read());
  ASSERT_GE(lines.size(), 2u);
  EXPECT_LE(static_cast<double>(lines.size()), 2 + seconds * 10);
  EXPECT_NE(lines.back().find("100%|"), std::string::npos) << lines.back();
  EXPECT_NE(lines.back().find("100000/100000"), std::string::npos) << lines.back();
}

// Off a terminal: a pipe or log file sees plain lines only, and only for long tasks.
class PlainStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::tmpfile();
    ASSERT_NE(file_, nullptr);
  }
  void TearDown() override {
    ProgressBar::set_log_interval_for_testing(30s);
    if (file_ != nullptr) std::fclose(file_);
  }
  std::string contents() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    for (int c; (c = std::fgetc(file_)) != EOF;) text += static_cast<char>(c);
    return text;
  }
  std::FILE* file_ = nullptr;
};

TEST_F(PlainStreamTest, AShortTaskWritesNothing) {
  ProgressBar bar("epoch 2/10", 48, file_);
  for (std::int64_t done = 1; done <= 48; ++done) bar.update(done, "loss=0.12345");
  bar.finish();
  EXPECT_EQ(contents(), "");
}

TEST_F(PlainStreamTest, ALongTaskWritesAPlainLineEachInterval) {
  ProgressBar::set_log_interval_for_testing(50ms);
  ProgressBar bar("epoch 2/10", 48, file_);
  bar.update(10, "loss=0.12345");  // before the first interval: nothing
  std::this_thread::sleep_for(70ms);
  bar.update(22, "loss=0.12345");
  bar.update(23, "loss=0.12345");  // within the interval of the last line: nothing
  std::this_thread::sleep_for(70ms);
  bar.update(48, "loss=0.10000");
  bar.finish();
  const std::string text = contents();
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  const std::vector<std::string> lines = segments(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_TRUE(std::regex_match(
      lines[0], std::regex("epoch 2/10: 45% \\(22/48\\), 00:00 elapsed, ETA 00:00, [0-9.]+it/s, loss=0\\.12345")))
      << lines[0];
  EXPECT_TRUE(std::regex_match(
      lines[1], std::regex("epoch 2/10: 100% \\(48/48\\), 00:00 elapsed, ETA 00:00, [0-9.]+it/s, loss=0\\.10000")))
      << lines[1];
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(PlainStreamTest, NullStreamIsSilent) {
  ProgressBar::set_log_interval_for_testing(0ms);
  ProgressBar silent("epoch 1/1", 10, nullptr);
  silent.update(5, "loss=1");
  silent.update(10, "loss=1");
  silent.finish();
  EXPECT_EQ(contents(), "");
}

TEST(FormatDurationTest, MatchesTqdm) {
  EXPECT_EQ(core::format_duration(0), "00:00");
  EXPECT_EQ(core::format_duration(5.9), "00:05");  // whole seconds, truncated
  EXPECT_EQ(core::format_duration(65), "01:05");
  EXPECT_EQ(core::format_duration(3599), "59:59");
  EXPECT_EQ(core::format_duration(3600), "1:00:00");
  EXPECT_EQ(core::format_duration(3723), "1:02:03");
  EXPECT_EQ(core::format_duration(36000 + 59), "10:00:59");
  EXPECT_EQ(core::format_duration(-3), "00:00");
  EXPECT_EQ(core::format_duration(1.0 / 0.0), "?");
}

}  // namespace
}  // namespace recsys
