// Expected chunks and start indexes were worked out by hand from LangChain's
// RecursiveCharacterTextSplitter (_split_text, _merge_splits, create_documents with
// add_start_index), which Open WebUI uses for TEXT_SPLITTER "" and "character".
#include "split.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace webui::rag {
namespace {

struct Expected {
  std::string text;
  std::size_t start_index;
};

void ExpectChunks(const std::vector<Chunk>& chunks, const std::vector<Expected>& expected) {
  ASSERT_EQ(chunks.size(), expected.size());
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].text, expected[i].text) << "chunk " << i;
    EXPECT_EQ(chunks[i].start_index, expected[i].start_index) << "chunk " << i;
  }
}

TEST(RecursiveSplit, WordsWithoutOverlapCarry) {
  // Every split (" def") is longer than the overlap, so nothing is carried over.
  ExpectChunks(Split("abc def ghi jkl mno", {"", 10, 3}),
               {{"abc def", 0}, {"ghi jkl", 8}, {"mno", 16}});
}

TEST(RecursiveSplit, OverlapCarriesTheLastSplits) {
  ExpectChunks(Split("a b c d e f g h", {"character", 5, 2}),
               {{"a b c", 0}, {"c d", 4}, {"d e", 6}, {"e f", 8}, {"f g", 10}, {"g h", 12}});
}

TEST(RecursiveSplit, ParagraphsThenLines) {
  ExpectChunks(Split("Para one.\n\nPara two is here.\nLine.", {"", 20, 0}),
               {{"Para one.", 0}, {"Para two is here.", 11}, {"Line.", 29}});
}

TEST(RecursiveSplit, SizesAndIndexesAreCodePoints) {
  // " ééé" is 4 code points (7 bytes): not below the size, so it is split into characters.
  ExpectChunks(Split("ééé ééé", {"", 4, 1}), {{"ééé", 0}, {"ééé", 4}});
}

TEST(RecursiveSplit, TextWithoutSeparatorsIsCutIntoCharacterWindows) {
  // No "\n\n", "\n" or " ": splits of one character, merged into windows of chunk_size that
  // start chunk_size - overlap apart; the last holds what is left.
  const std::string text(8'000'000, 'a');
  const auto chunks = Split(text, {"", 1000, 100});
  ASSERT_GT(chunks.size(), 8000u);
  for (std::size_t i = 0; i + 1 < chunks.size(); ++i) {
    ASSERT_EQ(chunks[i].text.size(), 1000u) << i;
    ASSERT_EQ(chunks[i].start_index, 900 * i) << i;
  }
  EXPECT_EQ(chunks.back().start_index, 900 * (chunks.size() - 1));
  EXPECT_EQ(chunks.back().start_index + chunks.back().text.size(), text.size());
  EXPECT_GT(chunks.back().text.size(), 100u);
}

TEST(RecursiveSplit, EmptyAndBlankTextGiveNoChunks) {
  EXPECT_TRUE(Split("", {"", 10, 2}).empty());
  EXPECT_TRUE(Split(" \n\n \n", {"", 10, 2}).empty());
}

TEST(RecursiveSplit, OverlapNotBelowSizeIsRefused) {
  EXPECT_THROW(Split("text", {"", 10, 10}), std::invalid_argument);
  EXPECT_THROW(Split("text", {"", 0, 0}), std::invalid_argument);
  EXPECT_THROW(Split("text", {"sentence", 10, 2}), std::invalid_argument);
}

// --- token: windows over the approximate tokens ------------------------------------------------

std::vector<std::string> Texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> out;
  for (const auto& c : chunks) out.push_back(c.text);
  return out;
}

TEST(TokenSplit, WindowsOfTokensWithOverlap) {
  // Tokens: "The", " quic", "k", " brow", "n", " fox", "." (word pieces of at most 4 characters,
  // a space leading the piece after it, punctuation alone).
  const auto chunks = Split("The quick brown fox.", {"token", 3, 1});
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"The quick", "k brown", "n fox."}));
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].start_index, 0u);
  EXPECT_EQ(chunks[1].start_index, 8u);
  EXPECT_EQ(chunks[2].start_index, 14u);
}

TEST(TokenSplit, WhiteSpaceRunsAndNonAscii) {
  // Tokens: "a", "\n\n" (a run of white space, leaving its last space to "b"), " b", " éééé",
  // "é": non-ASCII characters count as letters, by code point.
  const auto chunks = Split("a\n\n b ééééé", {"token", 2, 0});
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"a\n\n", " b éééé", "é"}));
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].start_index, 3u);
  EXPECT_EQ(chunks[2].start_index, 10u);
  // A window that ends exactly at the end is the last one.
  EXPECT_EQ(Texts(Split("ab cd", {"token", 2, 1})), (std::vector<std::string>{"ab cd"}));
}

// --- markdown_header ---------------------------------------------------------------------------

TEST(MarkdownSplit, SectionsCarryTheirHeaderPath) {
  const std::string text =
      "Intro line.\n"
      "# Guide\n"
      "## Install\n"
      "Run it.\n"
      "```\n# not a header\n```\n"
      "### Linux\n"
      "apt.\n"
      "## Use\n"
      "Call it.\n";
  const auto chunks = Split(text, {"markdown_header", 1000, 0});
  ASSERT_EQ(chunks.size(), 4u);
  EXPECT_EQ(chunks[0].text, "Intro line.");
  EXPECT_TRUE(chunks[0].headings.empty());
  EXPECT_EQ(chunks[0].start_index, 0u);
  // "# Guide" holds nothing but its header: it joins the deeper section after it.
  EXPECT_EQ(chunks[1].text, "# Guide\n## Install\nRun it.\n```\n# not a header\n```");
  EXPECT_EQ(chunks[1].headings, (std::vector<std::string>{"Guide", "Install"}));
  EXPECT_EQ(chunks[1].start_index, 12u);
  EXPECT_EQ(chunks[2].text, "### Linux\napt.");
  EXPECT_EQ(chunks[2].headings, (std::vector<std::string>{"Guide", "Install", "Linux"}));
  EXPECT_EQ(chunks[3].text, "## Use\nCall it.");
  EXPECT_EQ(chunks[3].headings, (std::vector<std::string>{"Guide", "Use"}));
  EXPECT_EQ(chunks[3].start_index, text.find("## Use"));
}

TEST(MarkdownSplit, LongSectionsAreSplitRecursivelyWithTrueOffsets) {
  const std::string text = "# Tïtle\nalpha beta gamma delta\n";
  const auto chunks = Split(text, {"markdown_header", 12, 0});
  EXPECT_EQ(Texts(chunks), (std::vector<std::string>{"# Tïtle", "alpha beta", "gamma delta"}));
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[1].start_index, 8u);  // code points: "ï" is one
  EXPECT_EQ(chunks[2].start_index, 19u);
  for (const auto& c : chunks) EXPECT_EQ(c.headings, (std::vector<std::string>{"Tïtle"}));
  EXPECT_EQ(Texts(Split("####### seven\n#tag", {"markdown_header", 100, 0})),
            (std::vector<std::string>{"####### seven\n#tag"}));
}

}  // namespace
}  // namespace webui::rag
