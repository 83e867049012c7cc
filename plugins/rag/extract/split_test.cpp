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

TEST(RecursiveSplit, EmptyAndBlankTextGiveNoChunks) {
  EXPECT_TRUE(Split("", {"", 10, 2}).empty());
  EXPECT_TRUE(Split(" \n\n \n", {"", 10, 2}).empty());
}

TEST(RecursiveSplit, OverlapNotBelowSizeIsRefused) {
  EXPECT_THROW(Split("text", {"", 10, 10}), std::invalid_argument);
  EXPECT_THROW(Split("text", {"", 0, 0}), std::invalid_argument);
  EXPECT_THROW(Split("text", {"sentence", 10, 2}), std::invalid_argument);
}

}  // namespace
}  // namespace webui::rag
