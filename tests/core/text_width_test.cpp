// recsys-host's column widths of UTF-8 text (the recommend table): code points, not bytes;
// East Asian wide characters take two columns, combining marks none; long text is cut with "…".
#include <gtest/gtest.h>

#include "text_width.hpp"

namespace recsys::host {
namespace {

TEST(TextWidthTest, CountsColumnsNotBytes) {
  EXPECT_EQ(display_width("Toy Story (1995)"), 16u);
  EXPECT_EQ(display_width("Am\xC3\xA9lie"), 6u);   // "Amélie", é precomposed: 7 bytes
  EXPECT_EQ(display_width("Ame\xCC\x81lie"), 6u);  // e + U+0301 combining acute
  EXPECT_EQ(display_width("\xE4\xB8\x83\xE4\xBA\xBA\xE3\x81\xAE\xE4\xBE\x8D"), 8u);  // "七人の侍"
  EXPECT_EQ(display_width("\xF0\x9F\x8E\xAC"), 2u);                                  // U+1F3AC clapper board
  EXPECT_EQ(display_width("a\xFF"
                          "b"),
            3u);                             // an invalid byte is one column
  EXPECT_EQ(display_width("\xE4\xB8"), 2u);  // a truncated sequence: a column a byte
  EXPECT_EQ(display_width(""), 0u);
}

TEST(TextWidthTest, PadsToTheWidth) {
  EXPECT_EQ(fit_to_width("abc", 5), "abc  ");
  EXPECT_EQ(fit_to_width("Am\xC3\xA9lie", 8), "Am\xC3\xA9lie  ");
  EXPECT_EQ(fit_to_width("abc", 3), "abc");
}

TEST(TextWidthTest, CutsLongTextWithAnEllipsisAtACharacterBoundary) {
  EXPECT_EQ(fit_to_width("abcdef", 4), "abc\xE2\x80\xA6");
  EXPECT_EQ(display_width(fit_to_width("abcdef", 4)), 4u);
  // "éééé" in 3 columns: two whole é, never half of one.
  EXPECT_EQ(fit_to_width("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3), "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  // "七人の侍" in 4 columns: one wide character (2), "…" (1), one space where the next would not fit.
  EXPECT_EQ(fit_to_width("\xE4\xB8\x83\xE4\xBA\xBA\xE3\x81\xAE\xE4\xBE\x8D", 4), "\xE4\xB8\x83\xE2\x80\xA6 ");
  EXPECT_EQ(fit_to_width("abc", 1), "\xE2\x80\xA6");
  EXPECT_EQ(fit_to_width("abc", 0), "");
}

TEST(TextWidthTest, EveryFittedTitleHasTheColumnsWidth) {
  for (const char* title : {"Shawshank Redemption, The (1994)", "Am\xC3\xA9lie (2001)",
                            "\xE4\xB8\x83\xE4\xBA\xBA\xE3\x81\xAE\xE4\xBE\x8D (1954)",
                            "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1963)"}) {
    for (std::size_t width : {1u, 5u, 10u, 20u, 60u}) {
      EXPECT_EQ(display_width(fit_to_width(title, width)), width) << title << " in " << width;
    }
  }
}

}  // namespace
}  // namespace recsys::host
