// Retrieval in chat completions (retrieval.v1: rag offers, chat consumes) on the real binary with
// auth, files, rag, chat and openai, the test upstream (tests/upstream/server.js) as embedding
// service and model, and the chat tests' recording socket emitter: the model receives
// RAG_TEMPLATE filled with the documents' text, the client gets `sources` (stream, JSON,
// Socket.IO, saved on the message), and nobody retrieves from another user's file or knowledge
// base (docs/security.md T12-T15). Without rag the completion answers without context.
#include <set>
#include <string>

#include "../extract/test_files.hpp"
#include "rag_it_support.hpp"
#include "web_server.hpp"

namespace webui::testing {
namespace {

using namespace rag_it;

const std::string kSaffron =
    "Saffron is picked by hand from crocus flowers in autumn. Each flower gives three red "
    "threads.";
const std::string kCompiler =
    "The compiler inlines small functions and removes dead code before it emits machine code.";

// The JSON events of an SSE body, without the final [DONE].
std::vector<json> SseEvents(const std::string& body) {
  std::vector<json> out;
  std::size_t at = 0;
  while ((at = body.find("data: ", at)) != std::string::npos) {
    const std::size_t end = body.find("\n\n", at);
    const std::string data = body.substr(at + 6, end - at - 6);
    if (data != "[DONE]") out.push_back(json::parse(data));
    at = end == std::string::npos ? body.size() : end;
  }
  return out;
}

void ChatEnv(HostProcess::Options& o, const std::string& plugins, const UpstreamDouble& up) {
  o.env["WEBUI_PLUGIN_PATH"] = std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + CHAT_TEST_PLUGIN_DIR;
  o.env["WEBUI_PLUGINS"] = plugins;
  OpenAiUpstreamEnv(o, up.BaseUrl() + "/v1");
  o.env["OPENAI_API_CONFIGS"] = "{}";
  o.env["MODELS_CACHE_TTL"] = "1";
}

template <typename Suite>
class ChatRagSuite : public RagSuite<Suite> {
 protected:
  using Base = RagSuite<Suite>;
  static void TearDownTestSuite() {
    SharedHostSuite<Suite>::TearDownTestSuite();
    delete upstream_;
    upstream_ = nullptr;
  }
  static UpstreamDouble& Up() {
    if (upstream_ == nullptr) {
      upstream_ = new UpstreamDouble({"--models", "embed-bow,gpt-test", "--delay-ms", "1"});
      std::string why;
      if (!upstream_->Start(&why)) ADD_FAILURE() << why;
    }
    return *upstream_;
  }
  static json Completion(const std::string& question, const json& files, bool stream) {
    return {{"model", "gpt-test"},
            {"stream", stream},
            {"messages", json::array({{{"role", "user"}, {"content", question}}})},
            {"files", files}};
  }
  // The last chat request the model received.
  static json LastModelRequest() {
    auto seen = Up().Requests("/v1/chat/completions");
    if (seen.empty()) return json();
    return json::parse(seen.back()["body"].template get<std::string>());
  }
  static std::string SystemPrompt(const json& request) {
    const json& m = request["messages"];
    return m.is_array() && !m.empty() && m[0]["role"] == "system"
               ? m[0]["content"].template get<std::string>()
               : std::string();
  }
  static inline UpstreamDouble* upstream_ = nullptr;
};

class ChatRag : public ChatRagSuite<ChatRag> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    ChatEnv(o, "auth,files,rag,chat,openai,test_chat_emitter", Up());
    EmbedderEnv(o, Up().BaseUrl());
    o.env["ENABLE_RAG_HYBRID_SEARCH"] = "true";
  }

 protected:
  static const std::string& AliceDoc() {
    static const std::string id = Upload(Alice(), "topics.md", kDocument).first;
    return id;
  }
  // Alice's private knowledge base with two files.
  static const json& AliceKb() {
    static const json kb = [] {
      json k = CreateKb(Alice(), "Alice notes", json::object());
      for (const auto& [name, text] :
           {std::pair{"saffron.md", kSaffron}, std::pair{"compiler.md", kCompiler}}) {
        const std::string id = Upload(Alice(), name, text).first;
        auto r = Post("/api/v1/knowledge/" + k["id"].get<std::string>() + "/file/add",
                      {{"file_id", id}}, Alice().auth());
        EXPECT_EQ(r.status, 200) << r.body;
        k["file_ids"].push_back(id);
      }
      return k;
    }();
    return kb;
  }
};

TEST_F(ChatRag, StreamedAnswerGetsTheDocumentAsContextAndSourcesFirst) {
  const std::string id = AliceDoc();
  const json files = json::array({{{"type", "file"}, {"id", id}, {"name", "topics.md"}}});
  auto r = Post("/api/chat/completions",
                Completion("How are alpacas shorn and herded?", files, true), Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto events = SseEvents(r.body);
  ASSERT_GE(events.size(), 2u) << r.body;
  // The first event carries the sources, the file's chunks about alpacas among them.
  ASSERT_TRUE(events[0].contains("sources")) << r.body;
  const json& sources = events[0]["sources"];
  ASSERT_EQ(sources.size(), 1u) << sources.dump();
  EXPECT_EQ(sources[0]["source"]["id"], id);
  EXPECT_EQ(sources[0]["source"]["name"], "topics.md");
  ASSERT_FALSE(sources[0]["document"].empty());
  EXPECT_NE(sources[0]["document"][0].get<std::string>().find("lpaca"), std::string::npos)
      << sources.dump();
  EXPECT_EQ(sources[0]["metadata"][0]["name"], "topics.md");
  EXPECT_EQ(sources[0]["metadata"][0]["file_id"], id);
  EXPECT_EQ(sources[0]["distances"].size(), sources[0]["document"].size());
  EXPECT_EQ(r.body.substr(r.body.size() - 14), "data: [DONE]\n\n");

  // The model got the default RAG template, filled, as the system message.
  const std::string system = SystemPrompt(LastModelRequest());
  EXPECT_EQ(system.rfind("### Task:\nRespond to the user query using the provided context", 0), 0u)
      << system;
  EXPECT_NE(system.find("<context>\n<source id=\"1\" name=\"topics.md\">"), std::string::npos)
      << system;
  EXPECT_NE(system.find("Alpacas are shorn once a year"), std::string::npos) << system;
  EXPECT_NE(system.find("<user_query>\nHow are alpacas shorn and herded?\n</user_query>"),
            std::string::npos)
      << system;
}

TEST_F(ChatRag, WholeAnswerCarriesSourcesAndAnExistingSystemPromptFollowsTheContext) {
  const std::string id = AliceDoc();
  json body =
      Completion("Which spice needs crocus flowers?",
                 json::array({{{"type", "file"}, {"id", id}, {"name", "topics.md"}}}), false);
  body["messages"].insert(body["messages"].begin(),
                          json{{"role", "system"}, {"content", "Answer in one line."}});
  auto r = Post("/api/chat/completions", body, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = r.Json();
  ASSERT_TRUE(answer.contains("choices")) << r.body;
  ASSERT_EQ(answer["sources"].size(), 1u) << r.body;
  EXPECT_EQ(answer["sources"][0]["source"]["id"], id);
  const json sent = LastModelRequest();
  ASSERT_EQ(sent["messages"].size(), 2u) << sent.dump();
  const std::string system = SystemPrompt(sent);
  EXPECT_NE(system.find("Saffron is picked by hand"), std::string::npos) << system;
  EXPECT_EQ(system.substr(system.size() - 20), "\nAnswer in one line.") << system;
}

TEST_F(ChatRag, PdfSourcesNameTheFileAndThePage) {
  const std::string pdf = ::webui::rag::testing::MakePdf(
      {"Alpacas hum to each other on the plateau", "Saffron threads are red and precious"});
  const auto [id, events] = Upload(Alice(), "report.pdf", pdf, "application/pdf");
  ASSERT_EQ(events.back(), json({{"status", "completed"}})) << events.back().dump();
  auto r =
      Post("/api/chat/completions",
           Completion("Saffron threads red precious",
                      json::array({{{"type", "file"}, {"id", id}, {"name", "report.pdf"}}}), false),
           Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const json s = r.Json()["sources"];
  ASSERT_EQ(s.size(), 1u) << r.body;
  bool page_two = false;
  for (std::size_t i = 0; i < s[0]["document"].size(); ++i) {
    const json& meta = s[0]["metadata"][i];
    EXPECT_EQ(meta["name"], "report.pdf");
    EXPECT_TRUE(meta.contains("page")) << meta.dump();
    if (s[0]["document"][i].get<std::string>().find("Saffron") != std::string::npos)
      page_two = meta["page"] == 1;  // 0-based, as Open WebUI's PyPDF loader
  }
  EXPECT_TRUE(page_two) << s.dump();
  EXPECT_NE(SystemPrompt(LastModelRequest()).find("Saffron threads are red"), std::string::npos);
}

TEST_F(ChatRag, KnowledgeBaseWithTwoFilesSearchedOrWhole) {
  const json& kb = AliceKb();
  const std::string kb_id = kb["id"];
  // Whole (context "full"): both files' text, named by their files.
  auto r = Post("/api/chat/completions",
                Completion("Tell me everything",
                           json::array({{{"type", "collection"},
                                         {"id", kb_id},
                                         {"name", "Alice notes"},
                                         {"context", "full"}}}),
                           false),
                Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json s = r.Json()["sources"];
  ASSERT_EQ(s.size(), 1u) << r.body;
  EXPECT_EQ(s[0]["source"]["id"], kb_id);
  EXPECT_EQ(s[0]["document"], json({kSaffron, kCompiler}));
  EXPECT_EQ(s[0]["metadata"][0]["name"], "saffron.md");
  EXPECT_EQ(s[0]["metadata"][1]["name"], "compiler.md");
  EXPECT_FALSE(s[0].contains("distances"));
  std::string system = SystemPrompt(LastModelRequest());
  EXPECT_NE(system.find("<source id=\"1\" name=\"Alice notes\">" + kSaffron), std::string::npos)
      << system;
  EXPECT_NE(system.find("<source id=\"2\" name=\"Alice notes\">" + kCompiler), std::string::npos)
      << system;

  // Searched: the chunk that matches comes back from the knowledge base's collection.
  r = Post(
      "/api/chat/completions",
      Completion("compiler inlines functions dead code",
                 json::array({{{"type", "collection"}, {"id", kb_id}, {"name", "Alice notes"}}}),
                 false),
      Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  s = r.Json()["sources"];
  ASSERT_EQ(s.size(), 1u) << r.body;
  EXPECT_EQ(s[0]["document"][0], kCompiler) << s.dump();
  EXPECT_EQ(s[0]["metadata"][0]["name"], "compiler.md");
}

TEST_F(ChatRag, AnotherUsersFileOrKnowledgeBaseGivesNothing) {
  const std::string doc = AliceDoc();
  const std::string kb_id = AliceKb()["id"];
  const json attempts = json::array(
      {{{"type", "file"}, {"id", doc}, {"name", "x"}},
       {{"type", "file"}, {"id", doc}, {"name", "x"}, {"context", "full"}},
       {{"collection_name", "file-" + doc}, {"name", "x"}},
       {{"id", "file-" + doc}, {"legacy", true}, {"name", "x"}},
       {{"type", "collection"}, {"id", kb_id}, {"name", "x"}},
       {{"type", "collection"}, {"id", kb_id}, {"name", "x"}, {"context", "full"}},
       {{"type", "collection"}, {"legacy", true}, {"collection_names", {kb_id}}, {"name", "x"}},
       {{"type", "collection"},
        {"id", kb_id},
        {"name", "x"},
        {"context", "full"},
        {"data", {{"file_ids", AliceKb()["file_ids"]}}}}});
  for (const bool stream : {false, true}) {
    for (const auto& item : attempts) {
      auto r = Post("/api/chat/completions",
                    Completion("what do my notes say?", json::array({item}), stream), Bob().auth());
      ASSERT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.body.find("sources"), std::string::npos) << item.dump() << "\n" << r.body;
      const json sent = LastModelRequest();
      EXPECT_EQ(sent["messages"].size(), 1u) << item.dump() << "\n" << sent.dump();
      const std::string all = sent.dump();
      for (const char* secret : {"Alpacas", "Saffron", "machine code"})
        EXPECT_EQ(all.find(secret), std::string::npos) << item.dump() << " leaked " << secret;
    }
  }
}

TEST_F(ChatRag, BackgroundCompletionEmitsAndSavesTheSources) {
  const std::string id = AliceDoc();
  const json chat = PendingReplyChat("alpacas");
  auto c = Post("/api/v1/chats/new", {{"chat", chat}}, Alice().auth());
  ASSERT_EQ(c.status, 200) << c.body;
  const std::string chat_id = c.Json()["id"];
  ASSERT_EQ(Post("/api/v1/test-emitter/reset", json::object(), {}).status, 200);
  json body =
      Completion("How are alpacas shorn?",
                 json::array({{{"type", "file"}, {"id", id}, {"name", "topics.md"}}}), true);
  body["chat_id"] = chat_id;
  body["id"] = "a1";
  body["session_id"] = "sid-1";
  auto r = Post("/api/chat/completions", body, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json saved;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < until) {
    saved =
        Get("/api/v1/chats/" + chat_id, Alice().auth()).Json()["chat"]["history"]["messages"]["a1"];
    if (saved.value("done", false)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(saved.value("done", false)) << saved.dump();
  ASSERT_EQ(saved["sources"].size(), 1u) << saved.dump();
  EXPECT_EQ(saved["sources"][0]["source"]["id"], id);
  EXPECT_NE(saved["content"].get<std::string>().find("Hello! You said"), std::string::npos);

  // The first chat:completion event of the session is the sources, before any content.
  const json events = Get("/api/v1/test-emitter/events", {}).Json();
  json first;
  for (const auto& e : events)
    if (e["to"] == "sid-1" && e["event"] == "chat-events" &&
        e["data"]["data"]["type"] == "chat:completion") {
      first = e["data"]["data"]["data"];
      break;
    }
  ASSERT_TRUE(first.contains("sources")) << events.dump();
  EXPECT_EQ(first["sources"][0]["source"]["id"], id);
  EXPECT_NE(SystemPrompt(LastModelRequest()).find("Alpacas are shorn"), std::string::npos);
}

TEST_F(ChatRag, ModelKnowledgeIsSearchedAndADeletedBaseLeavesTheModel) {
  // Alice's own knowledge base on a model of hers (admins create models; she reads it).
  json kb = CreateKb(Alice(), "Spices", json::object());
  const std::string kb_id = kb["id"];
  const std::string file = Upload(Alice(), "spices.md", kSaffron).first;
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kb_id + "/file/add", {{"file_id", file}}, Alice().auth()).status,
      200);
  const json knowledge = json::array({{{"type", "collection"}, {"id", kb_id}, {"name", "Spices"}},
                                      {{"type", "collection"}, {"id", "kept"}, {"name", "K"}}});
  auto m = Post("/api/v1/models/create",
                {{"id", "spice-bot"},
                 {"base_model_id", "gpt-test"},
                 {"name", "Spice bot"},
                 {"meta", {{"knowledge", knowledge}}},
                 {"params", json::object()},
                 {"access_control", nullptr}},
                Admin().auth());
  ASSERT_EQ(m.status, 200) << m.body;
  json body = Completion("crocus flowers saffron", json::array(), false);
  body["model"] = "spice-bot";
  auto r = Post("/api/chat/completions", body, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.Json()["sources"].size(), 1u) << r.body;
  EXPECT_EQ(r.Json()["sources"][0]["source"]["id"], kb_id);
  EXPECT_NE(SystemPrompt(LastModelRequest()).find("Saffron is picked"), std::string::npos);

  ASSERT_EQ(Call("DELETE", "/api/v1/knowledge/" + kb_id + "/delete", "", Alice().auth()).status,
            200);
  json meta;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    meta = Get("/api/v1/models/model?id=spice-bot", Admin().auth()).Json()["meta"];
    if (meta["knowledge"].size() == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(meta["knowledge"], json::array({knowledge[1]})) << meta.dump();
  r = Post("/api/chat/completions", body, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json().contains("sources")) << r.body;
}

// ---- the web-search toggle (features.web_search): web_search.v1, then retrieval --------------

const std::string kLlamaPage =
    "<!doctype html><html><head><title>Llama wool</title></head><body><h1>Llamas</h1><p>Llama "
    "wool is spun on the shores of Lake Titicaca and dyed with cochineal.</p></body></html>";

// A search engine (SearXNG's JSON) naming two loopback pages, a failing engine, and the pages.
struct WebWorld {
  WebServer server{[this](const WebServer::Seen& s) { return Answer(s); }};
  std::string Url(const std::string& path) const { return server.Url(path); }
  WebServer::Answer Answer(const WebServer::Seen& s) const {
    if (s.path == "/llamas") return {200, "text/html; charset=utf-8", kLlamaPage, ""};
    if (s.path == "/saffron.txt") return {200, "text/plain", kSaffron, ""};
    if (s.path == "/broken") return {500, "text/plain", "engine down", ""};
    if (s.path != "/searxng" || s.Param("q").empty()) return {404, "text/plain", "", ""};
    const json results = {
        {{"url", Url("/llamas")}, {"title", "Llamas"}, {"content", "wool"}, {"score", 2}},
        {{"url", Url("/saffron.txt")}, {"title", "Saffron"}, {"content", "threads"}, {"score", 1}}};
    return {200, "application/json", json{{"results", results}}.dump(), ""};
  }
};

class ChatWebSearch : public ChatRagSuite<ChatWebSearch> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    ChatEnv(o, "auth,files,rag,chat,openai,test_chat_emitter", Up());
    EmbedderEnv(o, Up().BaseUrl());
    o.env["ENABLE_RAG_LOCAL_WEB_FETCH"] = "true";  // the pages are on loopback
    o.env["ENABLE_WEB_SEARCH"] = "true";
    o.env["WEB_SEARCH_ENGINE"] = "searxng";
    o.env["SEARXNG_QUERY_URL"] = Web().Url("/searxng");
    o.env["WEB_SEARCH_RESULT_COUNT"] = "2";
    // The test upstream echoes its prompt: a task model's queries would be that echo. Query
    // generation has its own suite (ChatTaskModel); here the question is the query.
    o.env["ENABLE_SEARCH_QUERY_GENERATION"] = "false";
    o.env["ENABLE_RETRIEVAL_QUERY_GENERATION"] = "false";
  }

 protected:
  static WebWorld& Web() {
    static WebWorld w;
    return w;
  }
  static json WebCompletion(const std::string& question, bool stream) {
    json body = Completion(question, json::array(), stream);
    body["features"] = {{"web_search", true}};
    return body;
  }
  static void SetWeb(const json& web) {
    auto r = Post("/api/v1/retrieval/config/update", {{"web", web}}, Admin().auth());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  static std::size_t EngineCalls() { return Web().server.Requests("/searxng").size(); }
  struct Background {
    json message;                // the saved assistant message
    std::vector<json> statuses;  // the session's status events, in order
    json first_completion;       // the first chat:completion event's data
  };
  // A background completion as the web UI sends it, waited for until saved.
  static Background RunBackground(const Account& who, const std::string& question,
                                  const std::string& session) {
    Background out;
    auto c = Post("/api/v1/chats/new", {{"chat", PendingReplyChat(question)}}, who.auth());
    EXPECT_EQ(c.status, 200) << c.body;
    const std::string chat_id = c.Json().value("id", "");
    EXPECT_EQ(Post("/api/v1/test-emitter/reset", json::object(), {}).status, 200);
    json body = WebCompletion(question, true);
    body["chat_id"] = chat_id;
    body["id"] = "a1";
    body["session_id"] = session;
    auto r = Post("/api/chat/completions", body, who.auth());
    EXPECT_EQ(r.status, 200) << r.body;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < until) {
      out.message =
          Get("/api/v1/chats/" + chat_id, who.auth()).Json()["chat"]["history"]["messages"]["a1"];
      if (out.message.value("done", false)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(out.message.value("done", false)) << out.message.dump();
    for (const auto& e : Get("/api/v1/test-emitter/events", {}).Json()) {
      if (e["to"] != session || e["event"] != "chat-events") continue;
      const json& event = e["data"]["data"];
      if (event["type"] == "status") out.statuses.push_back(event["data"]);
      if (event["type"] == "chat:completion" && out.first_completion.is_null())
        out.first_completion = event["data"];
    }
    return out;
  }
  // The URLs the sources cite (metadata.source of every document).
  static std::set<std::string> CitedUrls(const json& sources) {
    std::set<std::string> urls;
    for (const auto& s : sources)
      for (const auto& m : s["metadata"]) urls.insert(m.value("source", ""));
    return urls;
  }
};

TEST_F(ChatWebSearch, BackgroundCompletionSearchesEmitsStatusesInOrderAndCitesThePages) {
  const std::string question = "Where is llama wool spun and dyed?";
  const Background b = RunBackground(Alice(), question, "sid-web-1");
  // 0.6.32's order: searching, the queries, the sites searched; then retrieval's queries (none
  // generated: the question is the query).
  ASSERT_EQ(b.statuses.size(), 4u) << json(b.statuses).dump();
  EXPECT_EQ(b.statuses[3],
            json({{"action", "queries_generated"}, {"queries", json::array()}, {"done", false}}));
  EXPECT_EQ(
      b.statuses[0],
      json({{"action", "web_search"}, {"description", "Searching the web"}, {"done", false}}));
  EXPECT_EQ(
      b.statuses[1],
      json({{"action", "web_search_queries_generated"}, {"queries", {question}}, {"done", false}}));
  const json& done = b.statuses[2];
  EXPECT_EQ(done["action"], "web_search");
  EXPECT_EQ(done["description"], "Searched {{count}} sites");
  EXPECT_EQ(done["done"], true);
  EXPECT_FALSE(done.contains("error"));
  EXPECT_EQ(done["urls"], json::array({Web().Url("/llamas"), Web().Url("/saffron.txt")}));
  ASSERT_EQ(done["items"].size(), 2u) << done.dump();
  EXPECT_EQ(done["items"][0]["link"], Web().Url("/llamas"));
  EXPECT_EQ(done["items"][0]["title"], "Llamas");
  // Kept on the message as 0.6.32 keeps them (a reload shows them).
  EXPECT_EQ(b.message["statusHistory"], json(b.statuses)) << b.message.dump();
  // The engine was asked the question.
  const auto asked = Web().server.Requests("/searxng");
  ASSERT_FALSE(asked.empty());
  EXPECT_EQ(asked.back().Param("q"), question);

  // The sources (first chat:completion event, and saved) are the web_search item's, citing the
  // llama page by its URL.
  ASSERT_TRUE(b.first_completion.contains("sources")) << b.first_completion.dump();
  const json& sources = b.message["sources"];
  ASSERT_EQ(sources.size(), 1u) << b.message.dump();
  EXPECT_EQ(sources, b.first_completion["sources"]);
  EXPECT_EQ(sources[0]["source"]["type"], "web_search");
  EXPECT_EQ(sources[0]["source"]["name"], question);
  EXPECT_EQ(sources[0]["source"]["urls"], done["urls"]);
  EXPECT_EQ(sources[0]["source"]["queries"], json::array({question}));
  EXPECT_EQ(sources[0]["source"]["collection_name"].get<std::string>().rfind("web-search-", 0), 0u);
  EXPECT_TRUE(CitedUrls(sources).count(Web().Url("/llamas"))) << sources.dump();
  // The page's text reached the model inside the RAG template, numbered for [1] citations.
  const std::string system = SystemPrompt(LastModelRequest());
  EXPECT_NE(system.find("spun on the shores of Lake Titicaca"), std::string::npos) << system;
  EXPECT_NE(system.find("<source id=\"1\" name=\"" + question + "\">"), std::string::npos)
      << system;
  EXPECT_NE(b.message["content"].get<std::string>().find("Hello! You said"), std::string::npos);
}

TEST_F(ChatWebSearch, DirectCompletionCarriesTheWebSourcesAndTheCollectionIsTheUsers) {
  const std::string question = "llama wool cochineal";
  auto r = Post("/api/chat/completions", WebCompletion(question, false), Bob().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const json sources = r.Json()["sources"];
  ASSERT_EQ(sources.size(), 1u) << r.body;
  EXPECT_TRUE(CitedUrls(sources).count(Web().Url("/llamas"))) << sources.dump();
  EXPECT_NE(SystemPrompt(LastModelRequest()).find("Lake Titicaca"), std::string::npos);
  // Bob's pages are his (T15): Alice may not search his collection, Bob may.
  const std::string collection = sources[0]["source"]["collection_name"];
  Query(Alice(), {collection}, "llama", json::object(), 404);
  EXPECT_FALSE(Query(Bob(), {collection}, "llama")["documents"][0].empty());
  // A streamed answer starts with the same sources.
  r = Post("/api/chat/completions", WebCompletion(question, true), Bob().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto events = SseEvents(r.body);
  ASSERT_FALSE(events.empty());
  ASSERT_TRUE(events[0].contains("sources")) << r.body;
  EXPECT_EQ(events[0]["sources"][0]["source"]["type"], "web_search");
}

TEST_F(ChatWebSearch, WithQueryGenerationTheTaskModelsAnswerIsSearched) {
  json config = Get("/api/v1/tasks/config", Admin().auth()).Json();
  config["ENABLE_SEARCH_QUERY_GENERATION"] = true;
  ASSERT_EQ(Post("/api/v1/tasks/config/update", config, Admin().auth()).status, 200);
  auto r = Post("/api/chat/completions", WebCompletion("saffron", false), Alice().auth());
  config["ENABLE_SEARCH_QUERY_GENERATION"] = false;
  ASSERT_EQ(Post("/api/v1/tasks/config/update", config, Admin().auth()).status, 200);
  ASSERT_EQ(r.status, 200) << r.body;
  // The test upstream echoes the query-generation prompt; an answer without JSON is the one
  // query (0.6.32's fallback), so the engine was asked for the echo of that prompt.
  const auto asked = Web().server.Requests("/searxng");
  ASSERT_FALSE(asked.empty());
  const std::string q = asked.back().Param("q");
  EXPECT_EQ(q.rfind("Hello! You said: ", 0), 0u) << q;
  EXPECT_NE(q.find("saffron"), std::string::npos) << q;
}

TEST_F(ChatWebSearch, BypassGivesTheModelTheWholePages) {
  SetWeb({{"BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", true}});
  auto r = Post("/api/chat/completions", WebCompletion("saffron", false), Alice().auth());
  SetWeb({{"BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", false}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json sources = r.Json()["sources"];
  ASSERT_EQ(sources.size(), 1u) << r.body;
  EXPECT_EQ(sources[0]["source"]["type"], "web_search");
  EXPECT_FALSE(sources[0]["source"].contains("collection_name")) << sources.dump();
  // Both pages, whole, one document each, cited by URL.
  ASSERT_EQ(sources[0]["document"].size(), 2u) << sources.dump();
  EXPECT_EQ(CitedUrls(sources),
            std::set<std::string>({Web().Url("/llamas"), Web().Url("/saffron.txt")}));
  const std::string system = SystemPrompt(LastModelRequest());
  EXPECT_NE(system.find(kSaffron), std::string::npos) << system;
  EXPECT_NE(system.find("Lake Titicaca"), std::string::npos) << system;
}

TEST_F(ChatWebSearch, AFailingEngineIsAnErrorStatusAndTheModelStillAnswers) {
  SetWeb({{"SEARXNG_QUERY_URL", Web().Url("/broken")}});
  const Background b = RunBackground(Alice(), "llamas", "sid-web-2");
  SetWeb({{"SEARXNG_QUERY_URL", Web().Url("/searxng")}});
  ASSERT_EQ(b.statuses.size(), 3u) << json(b.statuses).dump();
  EXPECT_EQ(b.statuses[0]["description"], "Searching the web");
  EXPECT_EQ(b.statuses[1]["action"], "web_search_queries_generated");
  EXPECT_EQ(b.statuses[2], json({{"action", "web_search"},
                                 {"description", "An error occurred while searching the web"},
                                 {"queries", {"llamas"}},
                                 {"done", true},
                                 {"error", true}}));
  EXPECT_FALSE(b.message.contains("sources")) << b.message.dump();
  EXPECT_NE(b.message["content"].get<std::string>().find("Hello! You said"), std::string::npos);
  EXPECT_EQ(LastModelRequest()["messages"].size(), 1u);
}

TEST_F(ChatWebSearch, NothingToSearchForIsSaidAndTheEngineIsNotAsked) {
  // A blank question and no query generation (this suite's setting): no query at all.
  const std::size_t before = EngineCalls();
  const Background b = RunBackground(Alice(), "   ", "sid-web-blank");
  ASSERT_GE(b.statuses.size(), 2u) << json(b.statuses).dump();
  EXPECT_EQ(b.statuses[0]["description"], "Searching the web");
  EXPECT_EQ(b.statuses[1], json({{"action", "web_search"},
                                 {"description", "No search query generated"},
                                 {"done", true}}));
  EXPECT_EQ(EngineCalls(), before);
  EXPECT_TRUE(b.message.value("done", false)) << "the model still answers";
}

TEST_F(ChatWebSearch, WithoutThePermissionOrWithWebSearchOffTheToggleIsIgnored) {
  json perms = Get("/api/v1/users/default/permissions", Admin().auth()).Json();
  ASSERT_TRUE(perms["features"].is_object()) << perms.dump();
  perms["features"]["web_search"] = false;
  ASSERT_EQ(Post("/api/v1/users/default/permissions", perms, Admin().auth()).status, 200);
  std::size_t before = EngineCalls();
  const Background denied = RunBackground(Alice(), "llamas", "sid-web-3");
  EXPECT_EQ(EngineCalls(), before);
  EXPECT_TRUE(denied.statuses.empty()) << json(denied.statuses).dump();
  EXPECT_FALSE(denied.message.contains("sources"));
  EXPECT_NE(denied.message["content"].get<std::string>().find("Hello! You said"),
            std::string::npos);
  // Admins always may.
  auto r = Post("/api/chat/completions", WebCompletion("llamas", false), Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(EngineCalls(), before + 1);
  EXPECT_EQ(r.Json()["sources"][0]["source"]["type"], "web_search") << r.body;
  perms["features"]["web_search"] = true;
  ASSERT_EQ(Post("/api/v1/users/default/permissions", perms, Admin().auth()).status, 200);

  // ENABLE_WEB_SEARCH off: the web UI no longer offers the toggle (/api/config), and nobody
  // searches, not even an admin.
  EXPECT_EQ(Get("/api/config", Alice().auth()).Json()["features"]["enable_web_search"], true);
  SetWeb({{"ENABLE_WEB_SEARCH", false}});
  EXPECT_EQ(Get("/api/config", Alice().auth()).Json()["features"]["enable_web_search"], false);
  before = EngineCalls();
  r = Post("/api/chat/completions", WebCompletion("llamas", false), Admin().auth());
  const Background off = RunBackground(Alice(), "llamas", "sid-web-4");
  SetWeb({{"ENABLE_WEB_SEARCH", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json().contains("sources")) << r.body;
  EXPECT_TRUE(off.statuses.empty()) << json(off.statuses).dump();
  EXPECT_EQ(EngineCalls(), before);

  // The toggle off (or absent): no search either.
  json body = WebCompletion("llamas", false);
  body["features"]["web_search"] = false;
  r = Post("/api/chat/completions", body, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.Json().contains("sources")) << r.body;
  EXPECT_EQ(EngineCalls(), before);
}

// ---- rag not loaded: the same request answers, without context ------------------------------

class ChatNoRag : public ChatRagSuite<ChatNoRag> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    ChatEnv(o, "auth,files,chat,openai", Up());
  }
};

TEST_F(ChatNoRag, TheWebSearchToggleIsIgnoredAndTheModelStillAnswers) {
  json body = Completion("one two three", json::array(), false);
  body["features"] = {{"web_search", true}};
  auto r = Post("/api/chat/completions", body, Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("Hello!"), std::string::npos) << r.body;
  EXPECT_FALSE(r.Json().contains("sources")) << r.body;
  EXPECT_EQ(LastModelRequest()["messages"].size(), 1u);
}

TEST_F(ChatNoRag, FilesAreIgnoredAndTheModelStillAnswers) {
  const json files = json::array({{{"type", "file"}, {"id", "no-such-file"}, {"name", "a.md"}},
                                  {{"type", "collection"}, {"id", "no-such-kb"}}});
  for (const bool stream : {false, true}) {
    auto r =
        Post("/api/chat/completions", Completion("one two three", files, stream), Alice().auth());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("Hello!"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("sources"), std::string::npos) << r.body;
    EXPECT_EQ(LastModelRequest()["messages"].size(), 1u);
  }
}

// ---- rag disabled at runtime (POST /api/v1/plugins/rag/disable): uploads work, chat answers
// without context, retrieval answers as any disabled plugin's routes; enabled again, it works ----

class ChatRagDisabled : public ChatRagSuite<ChatRagDisabled> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    ChatEnv(o, "auth,files,rag,chat,openai", Up());
  }

 protected:
  static void Toggle(const std::string& what, bool enabled) {
    auto r = Post("/api/v1/plugins/rag/" + what, json::object(), Admin().auth());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["enabled"], enabled) << r.body;
  }
  // Uploads `text` as `name` with `query` (e.g. "?process=false"); returns the FileModel.
  static json UploadWith(const std::string& name, const std::string& text,
                         const std::string& query) {
    const std::string body = std::string("--") + kBoundary +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                             name + "\"\r\nContent-Type: text/markdown\r\n\r\n" + text + "\r\n--" +
                             kBoundary + "--\r\n";
    HeaderList h = Alice().auth();
    h.emplace_back("Content-Type", std::string("multipart/form-data; boundary=") + kBoundary);
    auto r = Call("POST", "/api/v1/files/" + query, body, h);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.Json() : json::object();
  }
};

TEST_F(ChatRagDisabled, UploadsAndChatGoOnWithoutRagAndRetrievalComesBack) {
  const HeaderList& alice = Alice().auth();
  Toggle("disable", false);

  // Retrieval and knowledge answer exactly what a route nobody serves answers.
  const auto missing = Get("/api/v1/no-such-module/", alice);
  ASSERT_EQ(missing.status, 404);
  for (const auto& [method, path] :
       {std::pair{"GET", "/api/v1/retrieval/"}, std::pair{"POST", "/api/v1/retrieval/query/doc"},
        std::pair{"POST", "/api/v1/retrieval/process/text"},
        std::pair{"GET", "/api/v1/knowledge/"}}) {
    auto r = Call(method, path, method == std::string("POST") ? "{}" : "", alice);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body, missing.body) << path;
  }

  // Uploads, processed (by the files plugin's own extraction) or not, are stored and served.
  const json processed = UploadWith("kept.md", kSaffron, "");
  const std::string pid = processed.value("id", "");
  const auto events =
      StreamEvents(Get("/api/v1/files/" + pid + "/process/status?stream=true", alice).body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), json({{"status", "completed"}}));
  EXPECT_EQ(Get("/api/v1/files/" + pid + "/content", alice).body, kSaffron);
  EXPECT_NE(
      Get("/api/v1/files/" + pid + "/data/content", alice).Json()["content"].dump().find("Saffron"),
      std::string::npos);
  const json raw = UploadWith("raw.md", kCompiler, "?process=false");
  const std::string rid = raw.value("id", "");
  EXPECT_EQ(Get("/api/v1/files/" + rid + "/content", alice).body, kCompiler);

  // A chat with the file answers, without context and without an error.
  const json files = json::array({{{"type", "file"}, {"id", pid}, {"name", "kept.md"}}});
  for (const bool stream : {false, true}) {
    auto r = Post("/api/chat/completions", Completion("Who picks saffron?", files, stream), alice);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("Hello!"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("sources"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("\"error\""), std::string::npos) << r.body;
    const json sent = LastModelRequest();
    ASSERT_EQ(sent["messages"].size(), 1u) << sent.dump();
    EXPECT_EQ(sent["messages"][0]["content"], "Who picks saffron?");
  }

  // Enabled again: retrieval answers, a new upload is indexed, and chat gets its context.
  Toggle("enable", true);
  EXPECT_EQ(Get("/api/v1/retrieval/", alice).status, 200);
  auto [id, done] = Upload(Alice(), "again.md", kSaffron);
  ASSERT_EQ(done.back(), json({{"status", "completed"}}));
  json q = Query(Alice(), json::array({"file-" + id}), "saffron crocus", {{"k", 1}});
  ASSERT_EQ(q["documents"][0].size(), 1u) << q.dump();
  const json again = json::array({{{"type", "file"}, {"id", id}, {"name", "again.md"}}});
  auto r = Post("/api/chat/completions", Completion("Who picks saffron?", again, false), alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("sources"), std::string::npos) << r.body;
  EXPECT_NE(SystemPrompt(LastModelRequest()).find("crocus"), std::string::npos);
  // The file uploaded while rag was off has no chunks (docs/modules/rag.md): no context, no error.
  r = Post("/api/chat/completions", Completion("Who picks saffron?", files, false), alice);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body.find("sources"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace webui::testing
