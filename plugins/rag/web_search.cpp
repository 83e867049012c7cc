#include "web_search.hpp"

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <stdexcept>

#include "util.hpp"

namespace webui::rag {

using nlohmann::json;

namespace {

// An engine's answer is a page of results: more is not a search answer.
constexpr std::size_t kMaxEngineAnswer = 8u << 20;

std::string Field(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// A result's number field (a rank or a score), 0 when absent or not a number.
double NumberField(const json& item, const char* key) {
  if (!item.is_object()) return 0.0;
  auto it = item.find(key);
  return it != item.end() && it->is_number() ? it->get<double>() : 0.0;
}

const json& Items(const json& answer, std::initializer_list<const char*> path) {
  static const json empty = json::array();
  const json* at = &answer;
  for (const char* key : path) {
    if (!at->is_object()) return empty;
    auto it = at->find(key);
    if (it == at->end()) return empty;
    at = &*it;
  }
  return at->is_array() ? *at : empty;
}

// The fixed endpoint of a hosted engine; the WEBUI_RAG_<ENGINE>_SEARCH_URL environment variable
// (this server's own) points it elsewhere: a proxy, a regional endpoint, a test double.
std::string Endpoint(const sdk::Host& host, const char* env, const char* fallback) {
  auto v = host.Env(env);
  return v && !v->empty() ? *v : std::string(fallback);
}

std::string Required(const json& web, const char* key) {
  const std::string v = Field(web, key);
  // Open WebUI's wording for a missing setting.
  if (v.empty())
    throw std::runtime_error(std::string("No ") + key + " found in environment variables");
  return v;
}

// One call to the engine: the admin's URL (redirects followed, the answer bounded), 2xx JSON.
json Call(sdk::Host& host, const char* engine, sdk::FetchRequest rq) {
  rq.headers.emplace_back("User-Agent", kRagBotAgent);
  rq.connect_timeout_ms = 10'000;
  rq.read_timeout_ms = 30'000;
  rq.total_timeout_ms = 60'000;
  sdk::FollowOptions follow;
  follow.max_redirects = 3;
  follow.max_body_bytes = kMaxEngineAnswer;
  const auto r = host.FetchFollowing(std::move(rq), follow);
  const std::string name(engine);
  if (!r.ok()) throw std::runtime_error(name + " search failed: " + r.error);
  if (r.http_status < 200 || r.http_status >= 300)
    throw std::runtime_error(name + " search answered HTTP " + std::to_string(r.http_status));
  auto parsed = sdk::json::Parse(r.body);
  if (!parsed) throw std::runtime_error(name + " search returned invalid JSON");
  return std::move(*parsed);
}

sdk::FetchRequest Get(std::string url) {
  sdk::FetchRequest rq;
  rq.url = std::move(url);
  return rq;
}

sdk::FetchRequest PostJson(std::string url, const json& body) {
  sdk::FetchRequest rq;
  rq.method = "POST";
  rq.url = std::move(url);
  rq.headers = {{"Content-Type", "application/json"}};
  rq.body = sdk::json::Dump(body);
  return rq;
}

// Results from `items`, each's link/title/snippet taken from the engine's field names.
std::vector<SearchResult> Collect(const json& items, const char* link, const char* title,
                                  const char* snippet) {
  std::vector<SearchResult> out;
  for (const auto& item : items) {
    if (!item.is_object() || Field(item, link).empty()) continue;
    out.push_back({Field(item, link), Field(item, title), Field(item, snippet)});
  }
  return out;
}

std::vector<SearchResult> Searxng(sdk::Host& host, const json& web, const std::string& query) {
  std::string url = Required(web, "SEARXNG_QUERY_URL");
  // The legacy form "...?q=<query>": the parameters are set here.
  if (url.find("<query>") != std::string::npos) url = url.substr(0, url.find('?'));
  auto rq = Get(WithQuery(url, {{"q", query},
                                {"format", "json"},
                                {"pageno", "1"},
                                {"safesearch", "1"},
                                {"language", "en-US"},
                                {"time_range", ""},
                                {"categories", ""},
                                {"theme", "simple"},
                                {"image_proxy", "0"}}));
  rq.headers = {{"Accept", "text/html"}, {"Accept-Language", "en-US,en;q=0.5"}};
  json items = Items(Call(host, "SearXNG", std::move(rq)), {"results"});
  std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
    return NumberField(a, "score") > NumberField(b, "score");
  });
  return Collect(items, "url", "title", "content");
}

std::vector<SearchResult> Google(sdk::Host& host, const json& web, const std::string& query,
                                 int64_t count) {
  const std::string key = Required(web, "GOOGLE_PSE_API_KEY");
  const std::string cx = Required(web, "GOOGLE_PSE_ENGINE_ID");
  const std::string base = Endpoint(host, "WEBUI_RAG_GOOGLE_PSE_SEARCH_URL",
                                    "https://www.googleapis.com/customsearch/v1");
  std::vector<SearchResult> out;
  // Ten results a page, `start` 1-based, until `count` or an empty page.
  for (int64_t start = 1; count > 0 && start <= 91; start += 10) {
    const int64_t page = std::min<int64_t>(count, 10);
    auto rq = Get(WithQuery(base, {{"cx", cx},
                                   {"q", query},
                                   {"key", key},
                                   {"num", std::to_string(page)},
                                   {"start", std::to_string(start)}}));
    rq.headers = {{"Content-Type", "application/json"}};
    auto got = Collect(Items(Call(host, "Google PSE", std::move(rq)), {"items"}), "link", "title",
                       "snippet");
    if (got.empty()) break;
    count -= static_cast<int64_t>(got.size());
    out.insert(out.end(), got.begin(), got.end());
  }
  return out;
}

std::vector<SearchResult> Engine(sdk::Host& host, const json& web, const std::string& engine,
                                 const std::string& query, int64_t count) {
  if (engine == "searxng") return Searxng(host, web, query);
  if (engine == "google_pse") return Google(host, web, query, count);
  if (engine == "brave") {
    const std::string key = Required(web, "BRAVE_SEARCH_API_KEY");
    auto rq = Get(WithQuery(Endpoint(host, "WEBUI_RAG_BRAVE_SEARCH_URL",
                                     "https://api.search.brave.com/res/v1/web/search"),
                            {{"q", query}, {"count", std::to_string(count)}}));
    rq.headers = {{"Accept", "application/json"}, {"X-Subscription-Token", key}};
    return Collect(Items(Call(host, "Brave", std::move(rq)), {"web", "results"}), "url", "title",
                   "description");
  }
  if (engine == "tavily") {
    const std::string key = Required(web, "TAVILY_API_KEY");
    auto rq =
        PostJson(Endpoint(host, "WEBUI_RAG_TAVILY_SEARCH_URL", "https://api.tavily.com/search"),
                 {{"query", query}, {"api_key", key}});
    // Tavily's current API takes the key as a bearer token; 0.6.32 sends it in the body.
    rq.headers.emplace_back("Authorization", "Bearer " + key);
    return Collect(Items(Call(host, "Tavily", std::move(rq)), {"results"}), "url", "title",
                   "content");
  }
  if (engine == "serper") {
    const std::string key = Required(web, "SERPER_API_KEY");
    auto rq =
        PostJson(Endpoint(host, "WEBUI_RAG_SERPER_SEARCH_URL", "https://google.serper.dev/search"),
                 {{"q", query}});
    rq.headers.emplace_back("X-API-KEY", key);
    json items = Items(Call(host, "Serper", std::move(rq)), {"organic"});
    std::stable_sort(items.begin(), items.end(), [](const json& a, const json& b) {
      return NumberField(a, "position") < NumberField(b, "position");
    });
    return Collect(items, "link", "title", "snippet");
  }
  if (engine == "bing") {
    const std::string key = Required(web, "BING_SEARCH_V7_SUBSCRIPTION_KEY");
    const std::string endpoint = Required(web, "BING_SEARCH_V7_ENDPOINT");
    const std::string locale = Endpoint(host, "BING_SEARCH_V7_LOCALE", "en-US");
    auto rq = Get(WithQuery(endpoint, {{"q", query},
                                       {"mkt", locale},
                                       {"count", std::to_string(count)},
                                       {"promote", "Webpages,News"},
                                       {"responseFilter", "Webpages,News"}}));
    rq.headers = {{"Ocp-Apim-Subscription-Key", key}};
    return Collect(Items(Call(host, "Bing", std::move(rq)), {"webPages", "value"}), "url", "name",
                   "snippet");
  }
  if (engine == "jina") {
    const std::string key = Required(web, "JINA_API_KEY");
    auto rq = PostJson(Endpoint(host, "WEBUI_RAG_JINA_SEARCH_URL", "https://s.jina.ai/"),
                       {{"q", query}, {"count", std::min<int64_t>(count, 10)}});
    // As 0.6.32 sends it: the key as the whole header value.
    rq.headers.insert(
        rq.headers.end(),
        {{"Accept", "application/json"}, {"Authorization", key}, {"X-Retain-Images", "none"}});
    return Collect(Items(Call(host, "Jina", std::move(rq)), {"data"}), "url", "title", "content");
  }
  if (engine == "external") {
    const std::string url = Required(web, "EXTERNAL_WEB_SEARCH_URL");
    auto rq = PostJson(url, {{"query", query}, {"count", count}});
    rq.headers.emplace_back("Authorization", "Bearer " + Field(web, "EXTERNAL_WEB_SEARCH_API_KEY"));
    const json answer = Call(host, "External", std::move(rq));
    return Collect(answer.is_array() ? answer : json::array(), "link", "title", "snippet");
  }
  if (engine.empty()) throw std::runtime_error("No web search engine is set (WEB_SEARCH_ENGINE)");
  throw std::runtime_error("The web search engine '" + engine +
                           "' is not supported by this server");
}

std::string HostOf(std::string_view url) {
  const std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string_view authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos)
    authority.remove_prefix(at + 1);
  if (!authority.empty() && authority.front() == '[')
    return sdk::LowerAscii(authority.substr(1, authority.find(']') - 1));
  return sdk::LowerAscii(authority.substr(0, authority.rfind(':')));
}

// The host is `domain` or one of its subdomains (Open WebUI's endswith() also lets
// "notexample.com" through for "example.com").
bool InDomain(std::string_view host, std::string_view domain) {
  if (domain.empty() || host.size() < domain.size()) return false;
  if (host.substr(host.size() - domain.size()) != domain) return false;
  return host.size() == domain.size() || host[host.size() - domain.size() - 1] == '.' ||
         domain.front() == '.';
}

}  // namespace

std::string WithQuery(std::string url,
                      const std::vector<std::pair<std::string, std::string>>& params) {
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (!url.empty() && (url.back() == '?' || url.back() == '&')) sep = 0;
  for (const auto& [name, value] : params) {
    if (sep) url.push_back(sep);
    url += PercentEncode(name) + "=" + PercentEncode(value);
    sep = '&';
  }
  return url;
}

bool DomainAllowed(std::string_view url, const json& filters) {
  if (!filters.is_array() || filters.empty()) return true;
  const std::string host = HostOf(url);
  if (host.empty()) return false;
  bool any_allow = false, allowed = false;
  for (const auto& f : filters) {
    if (!f.is_string()) continue;
    const std::string entry = sdk::LowerAscii(f.get<std::string>());
    if (!entry.empty() && entry.front() == '!') {
      if (InDomain(host, std::string_view(entry).substr(1))) return false;
    } else if (!entry.empty()) {
      any_allow = true;
      allowed = allowed || InDomain(host, entry);
    }
  }
  return !any_allow || allowed;
}

std::vector<SearchResult> SearchWeb(sdk::Host& host, const json& web, const std::string& query) {
  const std::string engine = Field(web, "WEB_SEARCH_ENGINE");
  int64_t count = 3;
  if (auto it = web.find("WEB_SEARCH_RESULT_COUNT"); it != web.end() && it->is_number())
    count = std::clamp<int64_t>(it->get<int64_t>(), 1, 50);
  auto results = Engine(host, web, engine, query, count);
  const json filters = web.value("WEB_SEARCH_DOMAIN_FILTER_LIST", json::array());
  std::erase_if(results, [&](const SearchResult& r) { return !DomainAllowed(r.link, filters); });
  if (results.size() > static_cast<std::size_t>(count))
    results.resize(static_cast<std::size_t>(count));
  return results;
}

}  // namespace webui::rag
