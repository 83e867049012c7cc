// The retrieval step's pure parts against Open WebUI 0.6.32's middleware: which items are
// retrieved for, the <source> context and its numbering, RAG_TEMPLATE filling and placement.
#include "completion_context.hpp"

#include <gtest/gtest.h>

namespace webui::chat {
namespace {

TEST(CompletionContext, ItemsAppendModelKnowledgeRewritingLegacyOnesWithoutDuplicates) {
  const json files = json::array({{{"type", "file"}, {"id", "f1"}, {"name", "a.txt"}},
                                  {{"type", "file"}, {"id", "f1"}, {"name", "a.txt"}}});
  const json meta = {
      {"knowledge", json::array({{{"type", "collection"}, {"id", "kb1"}, {"name", "KB"}},
                                 {{"collection_name", "old-col"}, {"name", "Old"}},
                                 {{"collection_names", {"c1", "c2"}}, {"name", "Older"}},
                                 {{"type", "file"}, {"id", "f1"}, {"name", "a.txt"}}})}};
  const json items = RetrievalItems(files, meta);
  ASSERT_EQ(items.size(), 4u) << items.dump();
  EXPECT_EQ(items[0]["id"], "f1");
  EXPECT_EQ(items[1]["id"], "kb1");
  EXPECT_EQ(items[2], (json{{"id", "old-col"}, {"name", "Old"}, {"legacy", true}}));
  EXPECT_EQ(items[3], (json{{"name", "Older"},
                            {"type", "collection"},
                            {"collection_names", {"c1", "c2"}},
                            {"legacy", true}}));
  EXPECT_TRUE(RetrievalItems(json(), json()).empty());
  EXPECT_TRUE(RetrievalItems("x", {{"knowledge", "y"}}).empty());
}

TEST(CompletionContext, LastUserTextIsTheLastUserMessagesFirstTextPart) {
  const json messages =
      json::array({{{"role", "user"}, {"content", "first"}},
                   {{"role", "assistant"}, {"content", "answer"}},
                   {{"role", "user"},
                    {"content", json::array({{{"type", "image_url"}, {"image_url", {{"url", "x"}}}},
                                             {{"type", "text"}, {"text", "second"}},
                                             {{"type", "text"}, {"text", "third"}}})}},
                   {{"role", "assistant"}, {"content", "later"}}});
  EXPECT_EQ(LastUserText(messages), "second");
  EXPECT_EQ(LastUserText(json::array({{{"role", "system"}, {"content", "s"}}})), "");
  EXPECT_EQ(LastUserText(json("not a list")), "");
}

TEST(CompletionContext, SourcesAreNumberedByFirstAppearanceOfTheirSource) {
  const json sources =
      json::array({{{"source", {{"id", "f1"}, {"name", "report.pdf"}}},
                    {"document", {"page one", "page two", "again one"}},
                    {"metadata", json::array({{{"source", "report.pdf"}, {"page", 0}},
                                              {{"source", "other.md"}},
                                              {{"source", "report.pdf"}}})}},
                   {{"source", {{"id", "kb"}}},
                    {"document", {"no metadata source"}},
                    {"metadata", json::array({json::object()})}},
                   {{"source", {{"name", "tool"}}},
                    {"document", {"tool output"}},
                    {"metadata", json::array({json::object()})},
                    {"tool_result", true}}});
  EXPECT_EQ(SourceContext(sources),
            "<source id=\"1\" name=\"report.pdf\">page one</source>\n"
            "<source id=\"2\" name=\"report.pdf\">page two</source>\n"
            "<source id=\"1\" name=\"report.pdf\">again one</source>\n"
            "<source id=\"3\">no metadata source</source>");
  EXPECT_EQ(SourceContext(json::array()), "");
  EXPECT_EQ(SourceContext(
                json::array({{{"document", {"  "}}, {"metadata", json::array({json::object()})}}})),
            "<source id=\"1\">  </source>");
}

TEST(CompletionContext, TemplateMarkersAreFilledOnceAndNeverInsideInsertedText) {
  EXPECT_EQ(FillRagTemplate("C: {{CONTEXT}} / [context]\nQ: {{QUERY}} [query]", "ctx", "why?"),
            "C: ctx / ctx\nQ: why? why?");
  // A document or a question that contains a marker stays as written.
  EXPECT_EQ(FillRagTemplate("<c>{{CONTEXT}}</c><q>{{QUERY}}</q>", "see {{QUERY}} and [context]",
                            "what is {{CONTEXT}}?"),
            "<c>see {{QUERY}} and [context]</c><q>what is {{CONTEXT}}?</q>");
  EXPECT_EQ(FillRagTemplate("no markers", "ctx", "q"), "no markers");
  EXPECT_EQ(FillRagTemplate("{{CONTEXT", "ctx", "q"), "{{CONTEXT");
}

TEST(CompletionContext, FilledTemplateGoesBeforeTheSystemPromptOrBecomesOne) {
  const json with_system = json::array(
      {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "hi"}}});
  json out = InjectRagContext(with_system, "RAG", false);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["content"], "RAG\nBe brief.");
  EXPECT_EQ(out[1]["content"], "hi");

  out = InjectRagContext(json::array({{{"role", "user"}, {"content", "hi"}}}), "RAG", false);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], (json{{"role", "system"}, {"content", "RAG"}}));

  // Ollama models: prepended to the first user message, the system prompt untouched.
  out = InjectRagContext(
      json::array(
          {{{"role", "system"}, {"content", "S"}},
           {{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", "first"}}})}},
           {{"role", "user"}, {"content", "second"}}}),
      "RAG", true);
  EXPECT_EQ(out[0]["content"], "S");
  EXPECT_EQ(out[1]["content"][0]["text"], "RAG\nfirst");
  EXPECT_EQ(out[2]["content"], "second");
}

TEST(CompletionContext, OnlySourcesWithANameOrAnIdAreCitable) {
  const json sources = json::array({{{"source", {{"name", "a"}}}},
                                    {{"source", {{"id", "b"}}}},
                                    {{"source", {{"name", ""}, {"id", ""}}}},
                                    {{"document", json::array()}},
                                    "junk"});
  const json out = CitableSources(sources);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0]["source"]["name"], "a");
  EXPECT_EQ(out[1]["source"]["id"], "b");
}

TEST(CompletionContext, WebSearchItemsAreOnePerCollectionOrOneCarryingThePages) {
  const json urls = json::array({"https://a.example/", "https://b.example/"});
  json items = WebSearchItems({"q1", "q2"}, json::array({"web-search-1"}), urls, json());
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0], (json{{"collection_name", "web-search-1"},
                            {"name", "q1, q2"},
                            {"type", "web_search"},
                            {"urls", urls},
                            {"queries", {"q1", "q2"}}}));

  // Retrieval bypassed: no collection, the pages travel as docs.
  const json docs = json::array({{{"content", "A"}, {"metadata", {{"source", urls[0]}}}}});
  items = WebSearchItems({"q"}, json::array(), urls, docs);
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["docs"], docs);
  EXPECT_FALSE(items[0].contains("collection_name"));
  EXPECT_EQ(items[0]["name"], "q");

  // Nothing stored and nothing loaded: no item (the completion goes on without web context).
  EXPECT_TRUE(WebSearchItems({"q"}, json::array(), urls, json::array()).empty());
  EXPECT_TRUE(WebSearchItems({"q"}, json(), json::array(), json()).empty());
}

}  // namespace
}  // namespace webui::chat
