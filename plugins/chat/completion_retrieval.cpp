// The retrieval step of POST /api/chat/completions: the completion's files and the model's
// knowledge go to rag's retrieval.v1 (which decides what the caller may read), the answer is
// injected with rag's RAG_TEMPLATE as Open WebUI 0.6.32 does, and the citable sources come back
// for the client. Without rag (or with nothing found) the completion goes on without context.
// The queries are the task model's (ENABLE_RETRIEVAL_QUERY_GENERATION), else the question.
#include <webui_host/sdk/retrieval.hpp>

#include <algorithm>

#include "chat_plugin.hpp"
#include "completion_context.hpp"
#include "task_model.hpp"

namespace webui::chat {

json ChatPlugin::RetrieveContext(const User& user, const json& body, const ResolvedModel& rm,
                                 json& payload, const json& web_items,
                                 const std::function<void(const json&)>& emit) {
  const json meta = rm.info ? rm.info->meta : json();
  json files = body.value("files", json::array());
  if (!files.is_array()) files = json::array();
  // 0.6.32 appends the web search's items to the completion's files.
  for (const auto& item : web_items) files.push_back(item);
  const json items = RetrievalItems(files, meta);
  if (items.empty()) return json::array();
  const sdk::Retrieval retrieval(*host_);
  if (!retrieval.Available()) return json::array();
  const json messages = payload.value("messages", json::array());
  const std::string query = LastUserText(messages);
  // Items that all go in whole ("context": "full") need no queries, as in 0.6.32.
  const bool all_full = std::all_of(items.begin(), items.end(), [](const json& item) {
    return item.is_object() && item.value("context", json()) == json("full");
  });
  std::vector<std::string> queries;
  if (!all_full) {
    queries = task_model_->GenerateQueries(rm, user, messages, QueryKind::kRetrieval);
    json listed = queries;
    emit({{"type", "status"},
          {"data", {{"action", "queries_generated"}, {"queries", listed}, {"done", false}}}});
  }
  // Generation off, failed or empty: the question itself is the query.
  if (queries.empty()) queries.push_back(query);
  sdk::Retrieval::Answer answer;
  try {
    answer = retrieval.Retrieve(user.id, user.role, items, queries);
  } catch (const std::exception& e) {
    host_->Warn(std::string("retrieval for a chat completion failed: ") + e.what());
    return json::array();
  }
  const std::string context = SourceContext(answer.sources);
  if (!context.empty() && payload.contains("messages")) {
    const bool ollama = rm.model.value("owned_by", "") == "ollama";
    payload["messages"] = InjectRagContext(
        payload["messages"], FillRagTemplate(answer.rag_template, context, query), ollama);
  }
  return CitableSources(answer.sources);
}

}  // namespace webui::chat
