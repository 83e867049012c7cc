// The retrieval step of POST /api/chat/completions: the completion's files and the model's
// knowledge go to rag's retrieval.v1 (which decides what the caller may read), the answer is
// injected with rag's RAG_TEMPLATE as Open WebUI 0.6.32 does, and the citable sources come back
// for the client. Without rag (or with nothing found) the completion goes on without context.
#include <webui_host/sdk/retrieval.hpp>

#include "chat_plugin.hpp"
#include "completion_context.hpp"

namespace webui::chat {

json ChatPlugin::RetrieveContext(const User& user, const json& body, const ResolvedModel& rm,
                                 json& payload, const json& web_items) {
  const json meta = rm.info ? rm.info->meta : json();
  json files = body.value("files", json::array());
  if (!files.is_array()) files = json::array();
  // 0.6.32 appends the web search's items to the completion's files.
  for (const auto& item : web_items) files.push_back(item);
  const json items = RetrievalItems(files, meta);
  if (items.empty()) return json::array();
  const sdk::Retrieval retrieval(*host_);
  if (!retrieval.Available()) return json::array();
  const std::string query = LastUserText(payload.value("messages", json()));
  sdk::Retrieval::Answer answer;
  try {
    // No task model generates queries here: the question itself is the query, as 0.6.32 falls
    // back to when query generation gives nothing.
    answer = retrieval.Retrieve(user.id, user.role, items, {query});
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
