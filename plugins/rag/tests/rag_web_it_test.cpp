// Web loading on the real binary: /process/web and /process/web/search against loopback servers
// (a page server and stand-ins of the search engines speaking their JSON), and the SSRF cases of
// docs/security.md T26-T28, each proven by a listening "sink" socket that must see no connection.
#include <poll.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/String.h>
#include <openssl/sha.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "it_support.hpp"
#include "web_server.hpp"

namespace webui::testing {
namespace {

using nlohmann::json;

constexpr const char* kInvalidUrl =
    "[ERROR: Oops! The URL you provided is invalid. Please double-check and try again.]";

std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  std::string out;
  static const char* hex = "0123456789abcdef";
  for (unsigned char b : d) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// A listening socket on [::] (both families, so 127.0.0.1, ::1 and ::ffff:127.0.0.1 all reach
// it) that counts the connections it accepts. The guard's proof: it stays at zero.
class Sink {
 public:
  Sink() {
    socket_.bind6(Poco::Net::SocketAddress("[::]:0"), true, false);
    socket_.listen();
    port_ = socket_.address().port();
    thread_ = std::thread([this] {
      while (!stop_) {
        if (!socket_.poll(Poco::Timespan(0, 50'000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket s = socket_.acceptConnection();
        ++accepted_;
      }
    });
  }
  ~Sink() {
    stop_ = true;
    thread_.join();
  }
  int port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  Poco::Net::ServerSocket socket_;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

const std::string kAlpacaPage =
    "<!doctype html><html><head><title>Alpaca  farming</title><script>var secret = 1;</script>"
    "<meta http-equiv=\"refresh\" content=\"0; url=/elsewhere\"></head><body><h1>Alpacas</h1>"
    "<p>Alpacas graze on the high plateaus of the Andes and hum to each other.</p></body></html>";
const std::string kSaffronText =
    "Saffron is picked by hand from crocus flowers in autumn; each flower gives three threads.";

// The engines' keys; a stand-in answers 401 to any other.
const std::map<std::string, std::string> kKeys = {
    {"brave", "brave-key-1"},   {"tavily", "tvly-key-2"}, {"google_pse", "pse-key-3"},
    {"serper", "serper-key-4"}, {"bing", "bing-key-5"},   {"jina", "jina-key-6"},
    {"external", "ext-key-7"}};

// The page server, the engines' stand-ins and the sink: one set per suite.
struct World {
  Sink sink;
  WebServer pages{[this](const WebServer::Seen& s) { return Page(s); }};

  std::string SinkUrl() const { return "http://127.0.0.1:" + std::to_string(sink.port()) + "/"; }

  WebServer::Answer Page(const WebServer::Seen& s) const {
    const std::string& p = s.path;
    if (p == "/alpacas") return {200, "text/html; charset=utf-8", kAlpacaPage, ""};
    if (p == "/saffron.txt") return {200, "text/plain", kSaffronText, ""};
    if (p == "/huge.txt") return {200, "text/plain", std::string(5u << 20, 'a'), ""};
    if (p == "/image.png") return {200, "image/png", std::string("\x89PNG\r\n\x1a\n", 8), ""};
    if (p == "/to-sink") return {302, "text/plain", "", SinkUrl()};
    if (p == "/to-sink-307") return {307, "text/plain", "", SinkUrl()};
    // /hop/<n>/<end>: n redirects, the last one to /alpacas ("page") or to the sink ("sink").
    if (p.rfind("/hop/", 0) == 0) {
      const std::size_t slash = p.find('/', 5);
      const int n = std::stoi(p.substr(5, slash - 5));
      const std::string end = p.substr(slash + 1);
      if (n > 1) return {302, "text/plain", "", "/hop/" + std::to_string(n - 1) + "/" + end};
      return {302, "text/plain", "", end == "sink" ? SinkUrl() : "/alpacas"};
    }
    return Engine(s);
  }

  // The search engines, each in its own wire format, naming the page server's pages (and the
  // sink, which the guard must never let through).
  WebServer::Answer Engine(const WebServer::Seen& s) const {
    const std::string engine = s.path.substr(1);
    const std::string alpacas = pages.Url("/alpacas"), saffron = pages.Url("/saffron.txt");
    const auto header = [&](const char* name) {
      auto it = s.headers.find(name);
      return it == s.headers.end() ? std::string() : it->second;
    };
    std::string key;
    json answer;
    if (engine == "searxng") {
      if (s.Param("format") != "json" || s.Param("q").empty()) return {400, "text/plain", "", ""};
      answer = {{"results",
                 {{{"url", saffron}, {"title", "Saffron"}, {"content", "threads"}, {"score", 1}},
                  {{"url", alpacas}, {"title", "Alpacas"}, {"content", "plateaus"}, {"score", 2}},
                  {{"url", SinkUrl()}, {"title", "Sink"}, {"content", "x"}, {"score", 0.5}}}}};
      return {200, "application/json", answer.dump(), ""};
    }
    const json one = {{"url", alpacas}, {"title", "Alpacas"}, {"content", "plateaus"}};
    if (engine == "brave") {
      key = header("x-subscription-token");
      answer = {{"web", {{"results", {{{"url", alpacas}, {"title", "A"}, {"description", "d"}}}}}}};
    } else if (engine == "tavily") {
      key = json::parse(s.body).value("api_key", "");
      answer = {{"results", {one}}};
    } else if (engine == "google_pse") {
      key = s.Param("key");
      answer = {{"items", {{{"link", alpacas}, {"title", "A"}, {"snippet", "s"}}}}};
      if (s.Param("start") != "1") answer = json::object();
    } else if (engine == "serper") {
      key = header("x-api-key");
      answer = {{"organic", {{{"link", alpacas}, {"title", "A"}, {"position", 1}}}}};
    } else if (engine == "bing") {
      key = header("ocp-apim-subscription-key");
      answer = {{"webPages", {{"value", {{{"url", alpacas}, {"name", "A"}, {"snippet", "s"}}}}}}};
    } else if (engine == "jina") {
      key = header("authorization");
      answer = {{"data", {one}}};
    } else if (engine == "external") {
      key = header("authorization").substr(7);
      if (json::parse(s.body).value("query", "") == "") return {400, "text/plain", "", ""};
      answer = json::array({{{"link", alpacas}, {"title", "A"}, {"snippet", "s"}}});
    } else {
      return {404, "text/plain", "not here", ""};
    }
    if (key != kKeys.at(engine)) return {401, "application/json", R"({"error":"bad key"})", ""};
    return {200, "application/json", answer.dump(), ""};
  }
};

template <typename Suite>
class WebSuite : public SharedHostSuite<Suite> {
 protected:
  static World& world() {
    static World w;
    return w;
  }
  static void Common(HostProcess::Options& o) {
    PluginHostEnv(o, "auth,files,rag", "it-secret-for-the-rag-web-tests");
    o.env["CHUNK_SIZE"] = "200";
    o.env["CHUNK_OVERLAP"] = "20";
    for (const char* e : {"brave", "tavily", "google_pse", "serper", "jina"})
      o.env["WEBUI_RAG_" + Poco::toUpper(std::string(e)) + "_SEARCH_URL"] =
          world().pages.Url(std::string("/") + e);
  }
  static HttpResult Post(const std::string& path, const json& body, const std::string& token) {
    return Http(SharedHostSuite<Suite>::host().port(), "POST", path, body.dump(),
                {{"Authorization", "Bearer " + token}});
  }
  static HttpResult Get(const std::string& path, const std::string& token) {
    return Http(SharedHostSuite<Suite>::host().port(), "GET", path, "",
                {{"Authorization", "Bearer " + token}});
  }
  static std::string Token(const std::string& name) {
    static std::map<std::string, std::string> tokens;
    if (auto it = tokens.find(name); it != tokens.end()) return it->second;
    // root is the first account: the admin.
    const int port = SharedHostSuite<Suite>::host().port();
    return tokens[name] = SignUp(port, name, name == "root" ? std::string() : Token("root")).token;
  }
  static std::string Admin() { return Token("root"); }
  static HttpResult LoadUrl(const std::string& url, const std::string& who = "alice") {
    return Post("/api/v1/retrieval/process/web", {{"url", url}, {"collection_name", ""}},
                Token(who));
  }
  static json Search(const std::string& collection, const std::string& q,
                     const std::string& who = "alice") {
    auto r = Post("/api/v1/retrieval/query/collection",
                  {{"collection_names", {collection}}, {"query", q}, {"k", 1}}, Token(who));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.Json();
  }
  static void SetWeb(const json& web) {
    auto r = Post("/api/v1/retrieval/config/update", {{"web", web}}, Admin());
    ASSERT_EQ(r.status, 200) << r.body;
  }
};

// ---- local fetch on (ENABLE_RAG_LOCAL_WEB_FETCH=true): loading, storing, searching ------------

class RagWebLocal : public WebSuite<RagWebLocal> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    o.env["ENABLE_RAG_LOCAL_WEB_FETCH"] = "true";
    // The Web Search page's keys come from Open WebUI's variables on first start.
    o.env["ENABLE_WEB_SEARCH"] = "true";
    o.env["WEB_SEARCH_ENGINE"] = "searxng";
    o.env["SEARXNG_QUERY_URL"] = world().pages.Url("/searxng") + "?q=<query>";
    o.env["WEB_SEARCH_RESULT_COUNT"] = "2";
    o.env["WEB_SEARCH_DOMAIN_FILTER_LIST"] = " 127.0.0.1 , ";
  }
};

TEST_F(RagWebLocal, APageIsLoadedStoredAndQueryable) {
  const std::string url = world().pages.Url("/alpacas");
  auto r = LoadUrl(url);
  ASSERT_EQ(r.status, 200) << r.body;
  const json out = r.Json();
  EXPECT_EQ(out["status"], true);
  EXPECT_EQ(out["collection_name"], Sha256Hex(url).substr(0, 63));
  EXPECT_EQ(out["filename"], url);
  EXPECT_EQ(out["file"]["meta"], json({{"name", url}, {"source", url}}));
  const std::string content = out["file"]["data"]["content"];
  EXPECT_NE(content.find("Alpacas graze on the high plateaus"), std::string::npos) << content;
  EXPECT_EQ(content.find("secret"), std::string::npos) << "scripts are not text";
  // The meta refresh is not followed: the page's own text is the answer.
  EXPECT_TRUE(world().pages.Requests("/elsewhere").empty());
  EXPECT_EQ(world().pages.Requests("/alpacas").back().headers["user-agent"].find("Open WebUI"), 0u);

  const json hits = Search(out["collection_name"], "where do alpacas graze");
  ASSERT_EQ(hits["documents"][0].size(), 1u) << hits.dump();
  EXPECT_NE(hits["documents"][0][0].get<std::string>().find("plateaus"), std::string::npos);
  const json meta = hits["metadatas"][0][0];
  EXPECT_EQ(meta["source"], url);
  EXPECT_EQ(meta["name"], url);
  EXPECT_EQ(meta["title"], "Alpaca farming");

  // Plain text as it is; a chosen collection; ?process=false loads without storing.
  const std::string txt = world().pages.Url("/saffron.txt");
  r = Post("/api/v1/retrieval/process/web", {{"url", txt}, {"collection_name", "my-spices"}},
           Token("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["file"]["data"]["content"], kSaffronText);
  EXPECT_EQ(r.Json()["collection_name"], "my-spices");
  EXPECT_NE(
      Search("my-spices", "crocus flowers")["documents"][0][0].get<std::string>().find("crocus"),
      std::string::npos);
  r = Post("/api/v1/retrieval/process/web?process=false", {{"url", txt}}, Token("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["collection_name"], nullptr);
}

TEST_F(RagWebLocal, AnotherUsersPageCollectionIsNeitherReadNorOverwritten) {
  const std::string url = world().pages.Url("/alpacas");
  const std::string mine = LoadUrl(url, "alice").Json().value("collection_name", "");
  ASSERT_FALSE(mine.empty());
  auto r = Post("/api/v1/retrieval/query/collection",
                {{"collection_names", {mine}}, {"query", "alpacas"}}, Token("bob"));
  EXPECT_EQ(r.status, 404) << r.body;
  // Bob's load of the same page goes to his own collection.
  r = LoadUrl(url, "bob");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Json()["collection_name"], mine);
  EXPECT_EQ(Search(r.Json()["collection_name"], "alpacas", "bob")["documents"][0].size(), 1u);
  // Never into a knowledge base's or a file's collection, not even by an admin, who may write
  // both: a page replaces the collection's chunks.
  r = Post("/api/v1/knowledge/create", {{"name", "kb"}, {"description", "d"}}, Admin());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string kb = r.Json()["id"];
  for (const std::string& name : std::vector<std::string>{kb, "file-1234"}) {
    r = Post("/api/v1/retrieval/process/web", {{"url", url}, {"collection_name", name}}, Admin());
    EXPECT_EQ(r.status, 400) << name << " " << r.body;
  }
  // A collection name Bob chose but may not write: not found.
  r = Post("/api/v1/retrieval/process/web", {{"url", url}, {"collection_name", mine}},
           Token("bob"));
  EXPECT_EQ(r.status, 404) << r.body;
}

TEST_F(RagWebLocal, BadUrlsAndPagesAreClear400s) {
  auto r = Post("/api/v1/retrieval/process/web", {{"collection_name", ""}}, Token("alice"));
  EXPECT_EQ(r.status, 422) << r.body;
  r = Post("/api/v1/retrieval/process/web", {{"url", 7}}, Token("alice"));
  EXPECT_EQ(r.status, 422) << r.body;
  // Other schemes even with local fetch on.
  for (const std::string& url :
       std::vector<std::string>{"file:///etc/passwd", "gopher://127.0.0.1:70/", "ftp://x/", "",
                                "not a url", "http://"}) {
    r = LoadUrl(url);
    EXPECT_EQ(r.status, 400) << url << " " << r.body;
    EXPECT_EQ(r.Json()["detail"], kInvalidUrl) << url;
  }
  r = LoadUrl(world().pages.Url("/nothing-here"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Json()["detail"], "[ERROR: The page answered HTTP 404]");
  // Pages are cut off at 4 MiB while they arrive.
  r = LoadUrl(world().pages.Url("/huge.txt"));
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("larger than 4194304 bytes"),
            std::string::npos)
      << r.body.substr(0, 300);
  r = LoadUrl(world().pages.Url("/image.png"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("image/png"), std::string::npos);
  r = Post("/api/v1/retrieval/process/youtube", {{"url", "https://youtu.be/x"}}, Token("alice"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.Json()["detail"].get<std::string>().find("YouTube"), std::string::npos);
}

TEST_F(RagWebLocal, SearxngResultsAreLoadedIntoOneQueryableCollection) {
  // The environment's values are the Web Search page's.
  const json web = Get("/api/v1/retrieval/config", Admin()).Json()["web"];
  EXPECT_EQ(web["WEB_SEARCH_ENGINE"], "searxng");
  EXPECT_EQ(web["ENABLE_WEB_SEARCH"], true);
  EXPECT_EQ(web["WEB_SEARCH_RESULT_COUNT"], 2);
  EXPECT_EQ(web["WEB_SEARCH_DOMAIN_FILTER_LIST"], json::array({"127.0.0.1"}));

  auto r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"alpacas andes"}}},
                Token("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json out = r.Json();
  const std::string collection = out["collection_names"][0];
  EXPECT_EQ(collection, ("web-search-" + Sha256Hex("alpacas andes")).substr(0, 63));
  // Best score first, WEB_SEARCH_RESULT_COUNT of them.
  EXPECT_EQ(out["filenames"][0], world().pages.Url("/alpacas"));
  EXPECT_EQ(out["filenames"][1], world().pages.Url("/saffron.txt"));
  EXPECT_EQ(out["loaded_count"], 2) << out.dump();
  EXPECT_EQ(out["items"].size(), 2u);
  const auto asked = world().pages.Requests("/searxng");
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.back().Param("q"), "alpacas andes");
  EXPECT_EQ(asked.back().Param("format"), "json");
  EXPECT_EQ(Search(collection, "crocus threads")["metadatas"][0][0]["source"],
            world().pages.Url("/saffron.txt"));

  // The domain filter applies to the engine's results.
  SetWeb({{"WEB_SEARCH_DOMAIN_FILTER_LIST", {"example.org"}}});
  r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"alpacas"}}}, Token("alice"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.Json()["detail"], "[ERROR: No results found from web search]");
  SetWeb({{"WEB_SEARCH_DOMAIN_FILTER_LIST", json::array()}});

  // BYPASS_WEB_SEARCH_WEB_LOADER: the engine's snippets are the documents; no page is fetched.
  const std::size_t fetched = world().pages.Requests("/alpacas").size();
  SetWeb({{"BYPASS_WEB_SEARCH_WEB_LOADER", true}});
  r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"snippets only"}}},
           Token("alice"));
  SetWeb({{"BYPASS_WEB_SEARCH_WEB_LOADER", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["loaded_count"], 2) << r.body;
  EXPECT_EQ(world().pages.Requests("/alpacas").size(), fetched);
  EXPECT_EQ(Search(r.Json()["collection_names"][0], "plateaus")["documents"][0][0], "plateaus");

  // With the bypass: the pages' text in the answer, nothing stored.
  SetWeb({{"BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", true}});
  r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"saffron"}}}, Token("alice"));
  SetWeb({{"BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["collection_name"], nullptr);
  EXPECT_GE(r.Json()["docs"].size(), 2u);
  EXPECT_TRUE(r.Json()["docs"][0].contains("metadata"));
}

TEST_F(RagWebLocal, KeyedEnginesSendTheirKeysAndTheirResultsAreLoaded) {
  const std::map<std::string, json> settings = {
      {"brave", {{"BRAVE_SEARCH_API_KEY", kKeys.at("brave")}}},
      {"tavily", {{"TAVILY_API_KEY", kKeys.at("tavily")}}},
      {"google_pse",
       {{"GOOGLE_PSE_API_KEY", kKeys.at("google_pse")}, {"GOOGLE_PSE_ENGINE_ID", "cx-1"}}},
      {"serper", {{"SERPER_API_KEY", kKeys.at("serper")}}},
      {"bing",
       {{"BING_SEARCH_V7_SUBSCRIPTION_KEY", kKeys.at("bing")},
        {"BING_SEARCH_V7_ENDPOINT", world().pages.Url("/bing")}}},
      {"jina", {{"JINA_API_KEY", kKeys.at("jina")}}},
      {"external",
       {{"EXTERNAL_WEB_SEARCH_API_KEY", kKeys.at("external")},
        {"EXTERNAL_WEB_SEARCH_URL", world().pages.Url("/external")}}}};
  for (const auto& [engine, keys] : settings) {
    json web = keys;
    web["WEB_SEARCH_ENGINE"] = engine;
    SetWeb(web);
    auto r = Post("/api/v1/retrieval/process/web/search", {{"queries", {engine + " alpacas"}}},
                  Token("alice"));
    ASSERT_EQ(r.status, 200) << engine << " " << r.body;
    EXPECT_EQ(r.Json()["loaded_count"], 1) << engine;
    EXPECT_EQ(r.Json()["filenames"], json::array({world().pages.Url("/alpacas")})) << engine;
    const json hits = Search(r.Json()["collection_names"][0], "plateaus");
    EXPECT_EQ(hits["documents"][0].size(), 1u) << engine;

    // A wrong key: the engine's refusal is a 400 naming it, and nothing is loaded.
    for (auto it = keys.begin(); it != keys.end(); ++it)
      if (it.key().find("KEY") != std::string::npos) web[it.key()] = "wrong";
    SetWeb(web);
    r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"alpacas"}}}, Token("alice"));
    EXPECT_EQ(r.status, 400) << engine << " " << r.body;
    EXPECT_NE(r.Json()["detail"].get<std::string>().find("HTTP 401"), std::string::npos)
        << engine << " " << r.body;
  }
  SetWeb({{"WEB_SEARCH_ENGINE", "kagi"}});
  auto r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"x"}}}, Token("alice"));
  EXPECT_EQ(r.status, 400) << r.body;
  SetWeb({{"WEB_SEARCH_ENGINE", "searxng"}});
}

TEST_F(RagWebLocal, WebSearchNeedsItsSwitchAndWellFormedQueries) {
  auto r = Post("/api/v1/retrieval/process/web/search", {{"queries", "alpacas"}}, Token("alice"));
  EXPECT_EQ(r.status, 422) << r.body;
  r = Post("/api/v1/retrieval/process/web/search", {{"queries", {1}}}, Token("alice"));
  EXPECT_EQ(r.status, 422) << r.body;
  SetWeb({{"ENABLE_WEB_SEARCH", false}});
  r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"alpacas"}}}, Token("alice"));
  SetWeb({{"ENABLE_WEB_SEARCH", true}});
  EXPECT_EQ(r.status, 403) << r.body;
  // No caller: FastAPI's HTTPBearer answer.
  r = Http(host().port(), "POST", "/api/v1/retrieval/process/web/search",
           json{{"queries", {"x"}}}.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(r.Json()["detail"], "Not authenticated");
}

// ---- the default (local fetch off): T26-T28 ------------------------------------------------

class RagWebGuard : public WebSuite<RagWebGuard> {
 public:
  static void Configure(HostProcess::Options& o) {
    Common(o);
    // Only the page server's own address and port, as an admin lets one internal host through.
    o.env["WEBUI_FETCH_ALLOWED_HOSTS"] = "127.0.0.1:" + std::to_string(world().pages.port());
    o.env["ENABLE_WEB_SEARCH"] = "true";
    o.env["WEB_SEARCH_ENGINE"] = "searxng";
    o.env["SEARXNG_QUERY_URL"] = world().pages.Url("/searxng");
  }
};

TEST_F(RagWebGuard, T26InternalAddressesAreRefusedBeforeAnyConnection) {
  const std::string port = std::to_string(world().sink.port());
  for (const std::string& url : std::vector<std::string>{
           "http://127.0.0.1:" + port + "/", "http://[::1]:" + port + "/",
           "http://0.0.0.0:" + port + "/", "http://localhost:" + port + "/",
           "http://2130706433:" + port + "/", "http://0177.0.0.1:" + port + "/",
           "http://0x7f.0.0.1:" + port + "/", "http://127.1:" + port + "/",
           "http://[::ffff:127.0.0.1]:" + port + "/", "http://[::ffff:7f00:1]:" + port + "/",
           "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://192.168.1.1/",
           "http://[fd00::1]/", "file:///etc/passwd", "gopher://127.0.0.1:" + port + "/_x",
           "HTTP://127.0.0.1:" + port + "/"}) {
    auto r = LoadUrl(url);
    EXPECT_EQ(r.status, 400) << url << " " << r.body;
    EXPECT_EQ(r.Json()["detail"], kInvalidUrl) << url;
  }
  EXPECT_EQ(world().sink.accepted(), 0);
}

TEST_F(RagWebGuard, T28AmbiguousUrlFormsAreRefused) {
  const std::string port = std::to_string(world().sink.port());
  for (const std::string& url : std::vector<std::string>{
           "http://allowed.example\\@127.0.0.1:" + port + "/",
           "http://127.0.0.1:" + port + "#@example.com/", "http://x@127.0.0.1:" + port + "/",
           "http://example.com:80@127.0.0.1:" + port + "/", "http://127.0.0.1\t:" + port + "/",
           "http://127.0.0.1\n:" + port + "/", "http://127.0.0.1 :" + port + "/",
           "http:/127.0.0.1:" + port + "/", "http:\\\\127.0.0.1:" + port + "/"}) {
    auto r = LoadUrl(url);
    EXPECT_EQ(r.status, 400) << url << " " << r.body;
  }
  EXPECT_EQ(world().sink.accepted(), 0);
}

TEST_F(RagWebGuard, T27RedirectsAreCheckedAtEveryHop) {
  // The allowed host itself loads, through up to five redirects.
  auto r = LoadUrl(world().pages.Url("/alpacas"));
  ASSERT_EQ(r.status, 200) << r.body;
  r = LoadUrl(world().pages.Url("/hop/5/page"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.Json()["file"]["data"]["content"].get<std::string>().find("Alpacas"),
            std::string::npos);
  // A sixth is one too many; and any hop to the sink is refused.
  for (const std::string& path : std::vector<std::string>{"/hop/6/page", "/to-sink", "/to-sink-307",
                                                          "/hop/5/sink", "/hop/6/sink"}) {
    r = LoadUrl(world().pages.Url(path));
    EXPECT_EQ(r.status, 400) << path << " " << r.body;
  }
  EXPECT_EQ(world().sink.accepted(), 0);
}

TEST_F(RagWebGuard, SearchResultsNamingInternalAddressesAreSkipped) {
  // The engine (the admin's URL) is reached; of its results only the allowed host's pages load.
  auto r = Post("/api/v1/retrieval/process/web/search", {{"queries", {"alpacas"}}}, Token("alice"));
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = r.Json();  // iterated below: a temporary's member would dangle
  EXPECT_EQ(answer["loaded_count"], 2) << r.body;
  for (const auto& f : answer["filenames"])
    EXPECT_EQ(f.get<std::string>().find(world().SinkUrl()), std::string::npos);
  EXPECT_EQ(world().sink.accepted(), 0);
}

}  // namespace
}  // namespace webui::testing
