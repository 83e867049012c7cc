// The web-search step of POST /api/chat/completions, as Open WebUI 0.6.32's middleware
// (chat_web_search_handler): with `features.web_search` the queries are searched through rag's
// web_search.v1 before retrieval, the web UI hears "Searching the web" → the queries → "Searched
// {{count}} sites" (or the error), and the pages join the completion's files as a "web_search"
// item, so retrieval.v1 searches them and the sources cite their URLs. A failed search leaves
// the completion without web context; the model still answers. Without rag, with web search off
// or for a user without features.web_search the toggle is ignored, as the web UI does not offer
// it then.
#include <webui_host/sdk/web_search.hpp>

#include "chat_plugin.hpp"
#include "completion_context.hpp"
#include "task_model.hpp"

namespace webui::chat {
namespace {

bool WebToggleOn(const json& body) {
  const auto features = body.find("features");
  if (features == body.end() || !features->is_object()) return false;
  const auto on = features->find("web_search");
  return on != features->end() && on->is_boolean() && on->get<bool>();
}

json WebStatus(json data) {
  if (!data.contains("action")) data["action"] = "web_search";
  return {{"type", "status"}, {"data", std::move(data)}};
}

}  // namespace

// What is searched: the task model's queries (generate_queries with type "web_search", which
// checks ENABLE_SEARCH_QUERY_GENERATION itself), else the question, 0.6.32's fallback.
std::vector<std::string> ChatPlugin::WebSearchQueries(const User& user, const ResolvedModel& rm,
                                                      const json& payload) {
  const json messages = payload.value("messages", json::array());
  std::vector<std::string> queries =
      task_model_->GenerateQueries(rm, user, messages, QueryKind::kWebSearch);
  if (!queries.empty()) return queries;
  const std::string question = LastUserText(messages);
  if (question.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  return {question};
}

json ChatPlugin::SearchWeb(const User& user, const json& body, const ResolvedModel& rm,
                           const json& payload, const std::function<void(const json&)>& emit) {
  if (!WebToggleOn(body) || !payload.contains("messages")) return json::array();
  const sdk::WebSearch web(*host_);
  try {
    // Off, or not this user's: the search never runs (rag's route would answer 403).
    if (!web.Permitted(user.id, user.role)) return json::array();
  } catch (const std::exception& e) {
    host_->Warn(std::string("web search permission check failed: ") + e.what());
    return json::array();
  }
  emit(WebStatus({{"description", "Searching the web"}, {"done", false}}));
  const std::vector<std::string> queries = WebSearchQueries(user, rm, payload);
  if (queries.empty()) {
    emit(WebStatus({{"description", "No search query generated"}, {"done", true}}));
    return json::array();
  }
  emit(WebStatus(
      {{"action", "web_search_queries_generated"}, {"queries", queries}, {"done", false}}));
  try {
    const sdk::WebSearch::Answer answer = web.Search(user.id, user.role, queries);
    const json items =
        WebSearchItems(queries, json(answer.collection_names), answer.urls, answer.docs);
    emit(WebStatus({{"description", "Searched {{count}} sites"},
                    {"urls", answer.urls},
                    {"items", answer.items},
                    {"done", true}}));
    return items;
  } catch (const std::exception& e) {
    host_->Warn(std::string("web search for a chat completion failed: ") + e.what());
    emit(WebStatus({{"description", "An error occurred while searching the web"},
                    {"queries", queries},
                    {"done", true},
                    {"error", true}}));
    return json::array();
  }
}

}  // namespace webui::chat
