// What a chat completion does with retrieved sources, as Open WebUI 0.6.32's middleware
// (process_chat_payload): the items to retrieve for, the <source> context, RAG_TEMPLATE and where
// the filled template goes. Pure functions: the retrieval itself is rag's (retrieval.v1).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::chat {

using nlohmann::json;

// The completion body's `files` followed by the model's `meta.knowledge` (legacy collection
// items rewritten as 0.6.32 does), without duplicates (equal JSON). Not an array: [].
json RetrievalItems(const json& body_files, const json& model_meta);

// The text of the last user message (a list content: its first text part); "" when none.
std::string LastUserText(const json& messages);

// <source id="n" name="...">chunk</source> lines, n numbered by first appearance of each
// chunk's metadata.source (else the item's id); tool results are left out. Trimmed.
std::string SourceContext(const json& sources);

// The template with [context]/{{CONTEXT}} and [query]/{{QUERY}} replaced in one pass: text
// taken from the documents or the question is never itself searched for placeholders.
std::string FillRagTemplate(std::string_view tmpl, std::string_view context,
                            std::string_view query);

// The filled template prepended to the system message (followed by "\n") or inserted as one at
// index 0; for an Ollama model prepended to the first user message instead.
json InjectRagContext(json messages, const std::string& filled, bool ollama);

// The completion's items for a web search's answer, as 0.6.32 adds them: one {"type":
// "web_search", "collection_name", "name": the queries joined by ", ", "urls", "queries"} per
// collection, or (retrieval bypassed: `docs` an array) one item carrying the pages as "docs".
json WebSearchItems(const std::vector<std::string>& queries, const json& collection_names,
                    const json& urls, const json& docs);

// The sources the web UI can cite: those whose source has a name or an id.
json CitableSources(const json& sources);

}  // namespace webui::chat
