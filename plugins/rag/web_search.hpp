// Web search engines for POST /api/v1/retrieval/process/web/search: Open WebUI 0.6.32's engines
// that answer JSON (searxng, brave, tavily, google_pse, serper, bing, jina, external), with its
// requests, headers and result fields. The engine's URL is the admin's (an ordinary fetch); the
// pages it names are loaded with the SSRF guard (web.cpp). See docs/modules/rag.md.
#pragma once

#include <webui_host/sdk.hpp>

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace webui::rag {

// The User-Agent of Open WebUI's web requests (engines and pages).
inline constexpr const char* kRagBotAgent =
    "Open WebUI (https://github.com/open-webui/open-webui) RAG Bot";

struct SearchResult {
  std::string link, title, snippet;
};

// The results of `query` on the engine `web["WEB_SEARCH_ENGINE"]` (`web` is WebForm()), at most
// WEB_SEARCH_RESULT_COUNT, filtered by WEB_SEARCH_DOMAIN_FILTER_LIST. Throws std::runtime_error
// with the text the user sees (a missing key, an unreachable engine, an answer not JSON).
std::vector<SearchResult> SearchWeb(sdk::Host& host, const nlohmann::json& web,
                                    const std::string& query);

// WEB_SEARCH_DOMAIN_FILTER_LIST: a URL passes when its host is an entry or a subdomain of one;
// entries starting with "!" exclude such hosts instead; an empty list passes everything.
bool DomainAllowed(std::string_view url, const nlohmann::json& filters);

// `url` with `params` appended as its query (percent-encoded).
std::string WithQuery(std::string url,
                      const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace webui::rag
