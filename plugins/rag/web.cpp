// Web pages into collections: POST /api/v1/retrieval/process/web (one URL), /process/web/search
// (an engine's results, loaded and stored together) and /process/youtube (not supported).
//
// A URL from a user, a page or an engine's answer is loaded through Host::FetchFollowing with
// `public_only` (docs/security.md T26-T28): the host parses it once, resolves it once, refuses any
// address that is not public unicast (loopback, private, link-local, metadata, mapped, ...) and
// connects to the address it checked; every redirect hop is a new, checked request. Refusals are
// 400. ENABLE_RAG_LOCAL_WEB_FETCH=true (Open WebUI's name) turns the address check off; the
// admin's WEBUI_FETCH_ALLOWED_HOSTS lets chosen internal hosts through. A page's
// <meta http-equiv="refresh"> is not followed (its text is the answer).
#include <webui_host/services/web_search.h>
#include <webui_host/sdk/json.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <type_traits>

#include "extract/utf8.hpp"
#include "rag_plugin.hpp"
#include "settings.hpp"
#include "web_search.hpp"

namespace webui::rag {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

// ERROR_MESSAGES.INVALID_URL of Open WebUI: every refused URL gets it (the reason, which may
// name internal addresses a DNS name resolves to, goes to the log only).
constexpr const char* kInvalidUrl =
    "Oops! The URL you provided is invalid. Please double-check and try again.";
// Pages are read whole before HtmlToText (linear, in this process): bounded before buffering.
constexpr std::size_t kMaxPageBytes = 4u << 20;
constexpr std::size_t kMaxUrlBytes = 2048;
constexpr std::size_t kMaxSearchQueries = 20;

// A failure whose text the user sees.
struct WebError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the plugin itself refuses before the host sees the URL: other schemes, bytes outside
// RFC 3986's printable set (a backslash, a tab or newline in the host: forms parsers disagree
// on), and credentials (T28: "http://allowed.example@127.0.0.1/" names 127.0.0.1).
bool PlainHttpUrl(std::string_view url) {
  if (url.empty() || url.size() > kMaxUrlBytes) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("\\\"<>^`{|}").find(static_cast<char>(c)) != std::string_view::npos)
      return false;
  }
  const std::string lower = sdk::LowerAscii(url.substr(0, 8));
  std::size_t start = 0;
  if (lower.rfind("http://", 0) == 0) {
    start = 7;
  } else if (lower.rfind("https://", 0) == 0) {
    start = 8;
  } else {
    return false;
  }
  const std::string_view authority = url.substr(start, url.find_first_of("/?#", start) - start);
  return !authority.empty() && authority.find('@') == std::string_view::npos;
}

std::string PageHeader(const sdk::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (sdk::IEquals(k, name)) return v;
  return {};
}

// The <title> of a page, whitespace collapsed (the web loader's `title` metadata).
std::string TitleOf(std::string_view html) {
  const std::string lower =
      sdk::LowerAscii(html.substr(0, std::min<std::size_t>(html.size(), 65536)));
  const std::size_t open = lower.find("<title");
  if (open == std::string::npos) return {};
  const std::size_t start = lower.find('>', open);
  const std::size_t end = lower.find("</title", start == std::string::npos ? open : start);
  if (start == std::string::npos || end == std::string::npos) return {};
  return std::string(utf8::Strip(HtmlToText(html.substr(start + 1, end - start - 1))));
}

struct Page {
  std::string url, title, text;
};

// Loads `url`: 2xx HTML (through the extractor's HtmlToText) or text. Throws WebError.
Page LoadPage(sdk::Host& host, const std::string& url, bool public_only) {
  if (!PlainHttpUrl(url)) throw WebError(kInvalidUrl);
  sdk::FetchRequest rq;
  rq.url = url;
  rq.headers = {{"User-Agent", kRagBotAgent},
                {"Accept", "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}};
  rq.connect_timeout_ms = 10'000;
  rq.read_timeout_ms = 30'000;
  rq.total_timeout_ms = 60'000;
  rq.public_only = public_only;
  sdk::FollowOptions follow;
  follow.max_redirects = 5;
  follow.max_body_bytes = kMaxPageBytes;
  const auto r = host.FetchFollowing(std::move(rq), follow);
  if (r.status == WH_DENIED || r.status == WH_INVALID) {
    host.Info("rag: web page refused: " + r.error);
    throw WebError(kInvalidUrl);
  }
  if (!r.ok()) throw WebError("The page could not be loaded: " + r.error);
  if (r.http_status < 200 || r.http_status >= 300)
    throw WebError("The page answered HTTP " + std::to_string(r.http_status));
  const std::string type = sdk::LowerAscii(PageHeader(r.headers, "content-type"));
  Page page{url, {}, {}};
  const std::string_view start(r.body.data(), std::min<std::size_t>(r.body.size(), 512));
  const bool html = type.find("html") != std::string::npos ||
                    (type.empty() && sdk::LowerAscii(start).find("<html") != std::string::npos);
  if (html) {
    page.title = TitleOf(r.body);
    page.text = HtmlToText(r.body);
  } else if (type.rfind("text/", 0) == 0 || type.find("json") != std::string::npos ||
             type.find("xml") != std::string::npos || type.empty()) {
    page.text = utf8::DecodeText(r.body);
  } else {
    throw WebError("The page's content type " + type.substr(0, type.find(';')) +
                   " is not loaded from the web");
  }
  return page;
}

bool LocalFetchAllowed(const sdk::Host& host) {
  auto v = host.Env("ENABLE_RAG_LOCAL_WEB_FETCH");
  return v && sdk::LowerAscii(*v) == "true";
}

// Runs fn(0..n-1) on at most `workers` threads; fn must not throw.
template <typename Fn>
void ForEachConcurrently(std::size_t n, int64_t workers, const Fn& fn) {
  const std::size_t threads = std::min<std::size_t>(n, std::clamp<int64_t>(workers, 1, 16));
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> pool;
  for (std::size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t i; (i = next++) < n;) fn(i);
    });
  for (auto& t : pool) t.join();
}

// A Web Search page key of the type `fallback` has, else `fallback` (the page stores what the
// admin sent: a number may arrive as a string).
template <typename T>
T WebValue(const json& web, const char* key, T fallback) {
  auto it = web.find(key);
  if (it == web.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return it->is_boolean() ? it->get<bool>() : fallback;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return it->is_string() ? it->get<std::string>() : fallback;
  } else {
    return it->is_number() ? it->template get<T>() : fallback;
  }
}

std::string Truncate63(std::string s) { return s.size() > 63 ? s.substr(0, 63) : s; }

// An engine failed (unreachable, a missing key, an answer not JSON): 400 on the route, as Open
// WebUI's; WH_UNAVAILABLE through the service.
struct EngineFailed : sdk::BadRequest {
  explicit EngineFailed(std::string text) : sdk::BadRequest(std::move(text)) {}
};

// The engines answered but named no page: 400 on the route, WH_NOT_FOUND through the service.
struct NoWebResults : sdk::BadRequest {
  NoWebResults() : sdk::BadRequest(sdk::messages::Default("No results found from web search")) {}
};

}  // namespace

// Open WebUI's process_web_search for /process/web/search and web_search.v1: the engines, the pages
// (each through the guard) and the caller's collection. Throws sdk::HttpError (the route's
// answers; NoWebResults when the engines found nothing).
json RagPlugin::WebSearch(Viewer& viewer, const std::vector<std::string>& queries) {
  if (queries.size() > kMaxSearchQueries)
    throw sdk::BadRequest(sdk::messages::Default("At most " + std::to_string(kMaxSearchQueries) +
                                                 " queries are searched at once"));
  const json web = WebForm(*host_);
  // Searching spends the admin's engine quota and makes the server load pages: only when
  // the admin turned web search on, and for users only with the features.web_search grant.
  if (!WebValue(web, "ENABLE_WEB_SEARCH", false)) throw sdk::Forbidden("Web search is not enabled");
  if (!viewer.HasPermission("features", "web_search", true)) throw sdk::Forbidden();

  // The searches, WEB_SEARCH_CONCURRENT_REQUESTS at a time; the first failure is the answer.
  std::vector<std::vector<SearchResult>> found(queries.size());
  std::vector<std::string> errors(queries.size());
  ForEachConcurrently(queries.size(), WebValue(web, "WEB_SEARCH_CONCURRENT_REQUESTS", int64_t{10}),
                      [&](std::size_t i) {
                        try {
                          found[i] = SearchWeb(*host_, web, queries[i]);
                        } catch (const std::exception& e) {
                          errors[i] = e.what();
                        }
                      });
  for (const auto& e : errors)
    if (!e.empty()) throw EngineFailed(e);  // ERROR_MESSAGES.WEB_SEARCH_ERROR(e)
  std::vector<SearchResult> items;
  std::vector<std::string> urls;
  for (const auto& list : found)
    for (const auto& r : list) {
      items.push_back(r);
      if (std::find(urls.begin(), urls.end(), r.link) == urls.end()) urls.push_back(r.link);
    }
  if (urls.empty()) throw NoWebResults();

  // The pages (or, with BYPASS_WEB_SEARCH_WEB_LOADER, the snippets), each through the
  // guard; a page that fails is left out, as Open WebUI's loader skips it.
  std::vector<std::optional<Document>> loaded(urls.size());
  if (WebValue(web, "BYPASS_WEB_SEARCH_WEB_LOADER", false)) {
    for (std::size_t i = 0; i < urls.size(); ++i)
      for (const auto& r : items)
        if (r.link == urls[i] && !r.snippet.empty() && !loaded[i])
          loaded[i] = Document{
              r.snippet,
              {{"source", r.link}, {"title", r.title}, {"snippet", r.snippet}, {"link", r.link}}};
  } else {
    const bool public_only = !LocalFetchAllowed(*host_);
    ForEachConcurrently(
        urls.size(), WebValue(web, "WEB_LOADER_CONCURRENT_REQUESTS", int64_t{10}),
        [&](std::size_t i) {
          try {
            Page p = LoadPage(*host_, urls[i], public_only);
            loaded[i] = Document{std::move(p.text),
                                 {{"name", urls[i]}, {"source", urls[i]}, {"title", p.title}}};
          } catch (const std::exception& e) {
            host_->Info(std::string("rag: a search result was not loaded: ") + e.what());
          }
        });
  }
  std::vector<Document> docs;
  std::vector<std::string> filenames;
  for (std::size_t i = 0; i < urls.size(); ++i)
    if (loaded[i]) {
      filenames.push_back(urls[i]);
      docs.push_back(std::move(*loaded[i]));
    }
  json result_items = json::array();
  for (const auto& r : items)
    if (std::find(filenames.begin(), filenames.end(), r.link) != filenames.end())
      result_items.push_back({{"link", r.link}, {"title", r.title}, {"snippet", r.snippet}});

  if (WebValue(web, "BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", false)) {
    json out_docs = json::array();
    for (const auto& d : docs) out_docs.push_back({{"content", d.text}, {"metadata", d.metadata}});
    return {{"status", true},        {"collection_name", nullptr}, {"filenames", filenames},
            {"items", result_items}, {"docs", out_docs},           {"loaded_count", docs.size()}};
  }
  std::string joined;
  for (std::size_t i = 0; i < queries.size(); ++i) joined += (i ? "-" : "") + queries[i];
  const std::string collection =
      ClaimWebCollection(viewer, Truncate63("web-search-" + Sha256Hex(joined)), false);
  try {
    if (!docs.empty()) SaveWebDocuments(docs, collection, {{"created_by", viewer.id()}});
  } catch (const sdk::Error&) {
    throw;
  } catch (const std::exception& e) {
    // As Open WebUI: the search answers even when nothing could be stored.
    host_->Warn(std::string("rag: web search results not stored: ") + e.what());
  }
  return {{"status", true},
          {"collection_names", json::array({collection})},
          {"items", result_items},
          {"filenames", filenames},
          {"loaded_count", docs.size()}};
}

bool RagPlugin::WebSearchPermitted(const Viewer& viewer) const {
  return WebValue(WebForm(*host_), "ENABLE_WEB_SEARCH", false) &&
         viewer.HasPermission("features", "web_search", true);
}

// The collection a web load writes: `preferred` when the caller may write it or it is fresh (then
// it becomes theirs). A name the caller chose and may not write is 404 (T15); a derived name (a
// hash of the URL or the queries) another user already holds gets the caller's own variant, so
// two users loading the same page never share or overwrite a collection.
std::string RagPlugin::ClaimWebCollection(Viewer& viewer, const std::string& preferred,
                                          bool chosen) {
  std::string name = preferred;
  const auto taken = [this](const std::string& c) {
    return c.rfind("file-", 0) == 0 || repo_->Get(c).has_value() || store_->Owner(c).has_value();
  };
  if (taken(name) && !CanUseCollection(*host_, *store_, *repo_, viewer, name, "write")) {
    if (chosen) throw sdk::NotFound();
    name = Truncate63(Sha256Hex(viewer.id() + "\n" + preferred));
    if (taken(name) && !CanUseCollection(*host_, *store_, *repo_, viewer, name, "write"))
      throw sdk::NotFound();
  }
  store_->SetOwnerIfNone(name, viewer.id());
  return name;
}

// Replaces the collection's chunks with `docs` (Open WebUI's overwrite=True).
void RagPlugin::SaveWebDocuments(const std::vector<Document>& docs, const std::string& collection,
                                 const json& base) {
  std::string all;
  for (const auto& d : docs) all += d.text;
  Slot slot(*this, {});
  if (!slot.acquired()) throw std::runtime_error("Cancelled");
  auto records = MakeChunks(docs, collection, base, Sha256Hex(all), {});
  // The collection's owner (rag_collection) stays; only its chunks are replaced.
  store_->DeleteCollection(collection);
  store_->Insert(records);
}

void RagPlugin::AddWebRoutes() {
  sdk::Host& host = *host_;

  host.Route("POST", "/api/v1/retrieval/process/web", Auth::kVerified,
             [this](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               auto url_it = body.find("url");
               if (url_it == body.end() || url_it->is_null())
                 throw sdk::Unprocessable("missing", "url", "Field required");
               if (!url_it->is_string())
                 throw sdk::Unprocessable("string_type", "url", "Input should be a valid string");
               const std::string url = url_it->get<std::string>();
               std::string chosen;
               if (auto c = body.find("collection_name"); c != body.end() && c->is_string())
                 chosen = c->get<std::string>();
               const bool process = req.Query("process").value_or("true") != "false";
               Viewer viewer(*host_, req.RequireCaller());
               const json web = WebForm(*host_);
               const std::string loader = WebValue(web, "WEB_LOADER_ENGINE", std::string());
               if (!loader.empty() && loader != "safe_web")
                 throw sdk::BadRequest(sdk::messages::Default("The web loader '" + loader +
                                                              "' is not supported by this server"));
               Page page;
               try {
                 page = LoadPage(*host_, url, !LocalFetchAllowed(*host_));
               } catch (const WebError& e) {
                 throw sdk::BadRequest(sdk::messages::Default(e.what()));
               }
               json collection = nullptr;
               if (process && !WebValue(web, "BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", false)) {
                 // A page replaces its collection's chunks: never a file's or a knowledge base's,
                 // whose
                 // chunks are their files' (the knowledge base routes add pages as files instead).
                 if (chosen.rfind("file-", 0) == 0 || (!chosen.empty() && repo_->Get(chosen)))
                   throw sdk::BadRequest(sdk::messages::Default(
                       "A web page is not stored into a file's or a knowledge base's collection"));
                 const std::string name = chosen.empty() ? Truncate63(Sha256Hex(url)) : chosen;
                 const std::string target = ClaimWebCollection(viewer, name, !chosen.empty());
                 const json base = {{"name", url}, {"source", url}, {"created_by", viewer.id()}};
                 try {
                   SaveWebDocuments({{page.text, {{"title", page.title}}}}, target, base);
                 } catch (const sdk::Error&) {
                   throw;
                 } catch (const std::exception& e) {
                   throw sdk::BadRequest(sdk::messages::Default(e.what()));
                 }
                 collection = target;
               }
               sdk::Reply(res, {{"status", true},
                                {"collection_name", collection},
                                {"filename", url},
                                {"file",
                                 {{"data", {{"content", page.text}}},
                                  {"meta", {{"name", url}, {"source", url}}}}}});
             });

  host.Route("POST", "/api/v1/retrieval/process/web/search", Auth::kVerified,
             [this](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               auto q = body.find("queries");
               if (q == body.end() || !q->is_array())
                 throw sdk::Unprocessable("list_type", "queries", "Input should be a valid list");
               std::vector<std::string> queries;
               for (const auto& item : *q) {
                 if (!item.is_string())
                   throw sdk::Unprocessable("string_type", "queries",
                                            "Input should be a valid string");
                 queries.push_back(item.get<std::string>());
               }
               Viewer viewer(*host_, req.RequireCaller());
               sdk::Reply(res, WebSearch(viewer, queries));
             });

  // Open WebUI reads YouTube's transcript API; this server has no YouTube client.
  host.Route("POST", "/api/v1/retrieval/process/youtube", Auth::kVerified, [](Request&, Response&) {
    throw sdk::BadRequest(sdk::messages::Default(
        "YouTube transcripts are not supported by this server: load the video's page "
        "with /process/web or upload its transcript"));
  });
}

// web_search.v1 (sdk/include/webui_host/services/web_search.h): the same search for the chat's
// web-search toggle. Nothing thrown crosses the ABI: every failure is a status and a reason.
namespace {

void WriteReason(wh_str_sink sink, void* sink_user, std::string_view text) {
  if (sink) sink(sink_user, sdk::ToWh(text));
}

wh_status WebSearchPermittedService(void* self, wh_str user_id, wh_str role, int* allowed) {
  try {
    auto* plugin = static_cast<RagPlugin*>(self);
    Viewer viewer(*plugin->host(), sdk::Caller{sdk::FromWh(user_id), sdk::FromWh(role), {}, {}});
    *allowed = plugin->WebSearchPermitted(viewer) ? 1 : 0;
    return WH_OK;
  } catch (const sdk::Error& e) {
    return e.status();
  } catch (...) {
    return WH_ERROR;
  }
}

wh_status WebSearchService(void* self, wh_str user_id, wh_str role, wh_str request_json,
                           wh_str_sink sink, void* sink_user) {
  auto* plugin = static_cast<RagPlugin*>(self);
  try {
    const auto request = sdk::json::Parse(sdk::FromWh(request_json));
    std::vector<std::string> queries;
    bool valid = request && request->is_object() && (*request)["queries"].is_array();
    if (valid)
      for (const auto& q : (*request)["queries"]) {
        if (!q.is_string() || q.get<std::string>().empty()) valid = false;
        if (valid) queries.push_back(q.get<std::string>());
      }
    if (!valid || queries.empty() || queries.size() > kMaxSearchQueries) {
      WriteReason(sink, sink_user,
                  "the request must be {\"queries\": [1 to " + std::to_string(kMaxSearchQueries) +
                      " non-empty strings]}");
      return WH_INVALID;
    }
    Viewer viewer(*plugin->host(), sdk::Caller{sdk::FromWh(user_id), sdk::FromWh(role), {}, {}});
    const json answer = plugin->WebSearch(viewer, queries);
    WriteReason(sink, sink_user, sdk::json::Dump(answer));
    return WH_OK;
  } catch (const NoWebResults& e) {
    WriteReason(sink, sink_user, e.detail());
    return WH_NOT_FOUND;
  } catch (const EngineFailed& e) {
    WriteReason(sink, sink_user, e.detail());
    return WH_UNAVAILABLE;
  } catch (const sdk::HttpError& e) {
    WriteReason(sink, sink_user, e.detail());
    return e.status() == 403 ? WH_DENIED : e.status() == 404 ? WH_NOT_FOUND : WH_ERROR;
  } catch (const sdk::Error& e) {
    WriteReason(sink, sink_user, "web search failed");
    return e.status();
  } catch (const std::exception& e) {
    plugin->host()->Warn(std::string("rag: web search for a chat failed: ") + e.what());
    WriteReason(sink, sink_user, "web search failed");
    return WH_ERROR;
  } catch (...) {
    return WH_ERROR;
  }
}

}  // namespace

void RagPlugin::OfferWebSearch() {
  static const wh_web_search_v1 vtable = {
      sizeof(wh_web_search_v1), &WebSearchPermittedService, &WebSearchService, {}};
  host_->OfferService(WH_SERVICE_WEB_SEARCH_V1, &vtable, this);
}

}  // namespace webui::rag
