// The rag plugin on the real binary: settings round-trip, uploads processed into searchable
// chunks before their status stream completes, keyword / vector / hybrid search, knowledge bases
// in Open WebUI 0.6.32's shapes, and the cross-user cases of docs/security.md T12-T16.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "rag_it_support.hpp"

namespace webui::testing {
namespace {

using namespace rag_it;
namespace fs = std::filesystem;

constexpr const char* kDuplicate =
    "Duplicate content detected. Please provide unique content to proceed.";

// ---- no embedding engine: keyword search only -----------------------------------------------

class RagKeyword : public RagSuite<RagKeyword> {
 public:
  static void Configure(HostProcess::Options& o) { BaseEnv(o); }
};

TEST_F(RagKeyword, StatusAndApiConfigNeedNoSecrets) {
  auto r = Get("/api/v1/retrieval/", {});
  ASSERT_EQ(r.status, 200) << r.body;
  const json s = r.Json();
  EXPECT_EQ(s["status"], true);
  EXPECT_EQ(s["chunk_size"], 200);
  EXPECT_EQ(s["chunk_overlap"], 20);
  EXPECT_EQ(s["embedding_engine"], "");
  EXPECT_EQ(s["embedding_model"], "sentence-transformers/all-MiniLM-L6-v2");
  EXPECT_EQ(s["embedding_batch_size"], 1);
  EXPECT_EQ(s["retrieval_mode"], "keyword");
  EXPECT_NE(s["template"].get<std::string>().find("{{CONTEXT}}"), std::string::npos);

  const json file = Get("/api/config", Alice().auth()).Json()["file"];
  EXPECT_TRUE(file.contains("max_size"));
  EXPECT_TRUE(file.contains("max_count"));
  EXPECT_TRUE(file["image_compression"].contains("width"));
  EXPECT_TRUE(file["image_compression"].contains("height"));
}

TEST_F(RagKeyword, EveryConfigKeyRoundTripsAndPersists) {
  EXPECT_EQ(Get("/api/v1/retrieval/config", Alice().auth()).status, 401);
  auto r = Get("/api/v1/retrieval/config", Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json cfg = r.Json();
  EXPECT_EQ(cfg["status"], true);
  EXPECT_EQ(cfg["TOP_K"], 3);
  EXPECT_EQ(cfg["HYBRID_BM25_WEIGHT"], 0.5);
  EXPECT_TRUE(cfg["ALLOWED_FILE_EXTENSIONS"].is_array());
  EXPECT_TRUE(cfg["web"]["YOUTUBE_LOADER_LANGUAGE"].is_array());
  EXPECT_TRUE(cfg["web"]["WEB_SEARCH_DOMAIN_FILTER_LIST"].is_array());

  // A new value of every key, of its own type; unimplemented engines are stored and echoed.
  json update = json::object();
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    const json& v = it.value();
    if (it.key() == "status" || it.key() == "web") continue;
    if (v.is_boolean())
      update[it.key()] = !v.get<bool>();
    else if (v.is_number_integer())
      update[it.key()] = v.get<int64_t>() + 7;
    else if (v.is_number())
      update[it.key()] = v.get<double>() + 0.25;
    else if (v.is_string())
      update[it.key()] = v.get<std::string>() + "-x";
    else if (v.is_array())
      update[it.key()] = json::array({"md", "txt"});
    else if (v.is_object())
      update[it.key()] = json{{"k", "v"}};
    else
      update[it.key()] = 5;  // the optional numbers (null by default)
  }
  update["CONTENT_EXTRACTION_ENGINE"] = "docling";
  update["TEXT_SPLITTER"] = "";  // a splitter that exists, for the later tests
  update["CHUNK_SIZE"] = 200;
  update["CHUNK_OVERLAP"] = 20;
  update["BYPASS_EMBEDDING_AND_RETRIEVAL"] = false;
  update["ENABLE_RAG_HYBRID_SEARCH"] = false;
  update["TOP_K"] = 3;
  update["RELEVANCE_THRESHOLD"] = 0.0;
  update["web"] = {{"ENABLE_WEB_SEARCH", true},
                   {"YOUTUBE_LOADER_LANGUAGE", json::array({"en", "fr"})},
                   {"SEARXNG_QUERY_URL", "http://searx.example/search?q=<query>"}};
  r = Post("/api/v1/retrieval/config/update", update, Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const json saved = Get("/api/v1/retrieval/config", Admin().auth()).Json();
  for (auto it = update.begin(); it != update.end(); ++it) {
    if (it.key() == "web") continue;
    EXPECT_EQ(saved[it.key()], it.value()) << it.key();
  }
  EXPECT_EQ(saved["web"]["YOUTUBE_LOADER_LANGUAGE"], json::array({"en", "fr"}));
  EXPECT_EQ(saved["web"]["ENABLE_WEB_SEARCH"], true);
  EXPECT_EQ(saved["web"]["WEB_SEARCH_ENGINE"], "") << "keys left out keep their value";

  // null or absent keeps a value; a wrong type is 422 naming the field, and nothing is saved.
  r = Post("/api/v1/retrieval/config/update", {{"TOP_K", nullptr}}, Admin().auth());
  EXPECT_EQ(r.Json()["TOP_K"], 3);
  r = Post("/api/v1/retrieval/config/update", {{"RAG_FULL_CONTEXT", true}, {"TOP_K", "many"}},
           Admin().auth());
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(r.Json()["detail"][0]["loc"], json::array({"body", "TOP_K"}));
  EXPECT_EQ(Get("/api/v1/retrieval/config", Admin().auth()).Json()["RAG_FULL_CONTEXT"],
            saved["RAG_FULL_CONTEXT"]);
  r = Post("/api/v1/retrieval/config/update", {{"web", {{"YOUTUBE_LOADER_LANGUAGE", "en"}}}},
           Admin().auth());
  EXPECT_EQ(r.status, 422) << r.body;

  // The file limits reach /api/config; and the allowed extensions reach the files plugin.
  EXPECT_EQ(Get("/api/config", Alice().auth()).Json()["file"]["max_count"],
            update["FILE_MAX_COUNT"]);
  Post("/api/v1/retrieval/config/update",
       {{"ALLOWED_FILE_EXTENSIONS", json::array()},
        {"FILE_MAX_SIZE", 50},
        {"CONTENT_EXTRACTION_ENGINE", ""}},
       Admin().auth());

  // The embedding form: always the three objects, strings for empty values.
  auto e = Get("/api/v1/retrieval/embedding", Admin().auth()).Json();
  EXPECT_EQ(e["embedding_engine"], "");
  EXPECT_TRUE(e["openai_config"]["key"].is_string());
  EXPECT_TRUE(e["azure_openai_config"]["version"].is_string());
  EXPECT_TRUE(e["ollama_config"]["url"].is_string());
  r = Post("/api/v1/retrieval/embedding/update",
           {{"embedding_engine", "word2vec"}, {"embedding_model", "m"}}, Admin().auth());
  EXPECT_EQ(r.status, 422) << r.body;
}

TEST_F(RagKeyword, AnUploadIsSearchableWhenItsStreamCompletes) {
  auto [id, events] = Upload(Alice(), "notes.md", kDocument);
  ASSERT_FALSE(events.empty());
  ASSERT_EQ(events.back(), json({{"status", "completed"}}));
  auto file = Get("/api/v1/files/" + id, Alice().auth()).Json();
  EXPECT_EQ(file["meta"]["collection_name"], "file-" + id);

  // Right after "completed": the chunks are there. Keyword search, and the answer says so.
  json r = Query(Alice(), json::array({"file-" + id}), "where do alpacas graze", {{"k", 1}});
  EXPECT_EQ(r["mode"], "keyword");
  ASSERT_EQ(r["documents"][0].size(), 1u) << r.dump();
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("lpacas"), std::string::npos);
  const json meta = r["metadatas"][0][0];
  EXPECT_EQ(meta["name"], "notes.md");
  EXPECT_EQ(meta["source"], "notes.md");
  EXPECT_EQ(meta["file_id"], id);
  EXPECT_EQ(meta["created_by"], Alice().id);
  EXPECT_EQ(meta["hash"], file["hash"]);
  EXPECT_TRUE(meta["start_index"].is_number());
  EXPECT_EQ(json::parse(meta["embedding_config"].get<std::string>())["engine"], "");

  r = Query(Alice(), json::array({"file-" + id}), "saffron crocus flowers", {{"k", 1}});
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("affron"), std::string::npos);

  auto doc = Post("/api/v1/retrieval/query/doc",
                  {{"collection_name", "file-" + id}, {"query", "compiler warning"}, {"k", 2}},
                  Alice().auth());
  ASSERT_EQ(doc.status, 200) << doc.body;
  ASSERT_GE(doc.Json()["ids"][0].size(), 1u);
  EXPECT_EQ(doc.Json()["ids"][0].size(), doc.Json()["documents"][0].size());
  EXPECT_NE(doc.Json()["documents"][0][0].get<std::string>().find("compiler"), std::string::npos);
}

TEST_F(RagKeyword, AnotherUsersCollectionIsNotFound) {
  auto [id, events] =
      Upload(Alice(), "private.md", "Bob must never read about the secret orchard.");
  ASSERT_EQ(events.back()["status"], "completed");
  json r = Query(Bob(), json::array({"file-" + id}), "secret orchard", {}, 404);
  auto doc = Post("/api/v1/retrieval/query/doc",
                  {{"collection_name", "file-" + id}, {"query", "orchard"}}, Bob().auth());
  EXPECT_EQ(doc.status, 404);
  EXPECT_EQ(doc.Json()["detail"], kNotFound);
  // Reprocessing it, or writing text into its collection (T15, T16).
  EXPECT_EQ(
      Post("/api/v1/retrieval/process/file", {{"file_id", id}, {"content", "poison"}}, Bob().auth())
          .status,
      404);
  EXPECT_EQ(
      Post("/api/v1/retrieval/process/text",
           {{"name", "x"}, {"content", "poison"}, {"collection_name", "file-" + id}}, Bob().auth())
          .status,
      404);
  // Mixed with one of Bob's own: Alice's is left out.
  auto [mine, ev] = Upload(Bob(), "bob.md", "Bob grows tomatoes in the orchard too.");
  ASSERT_EQ(ev.back()["status"], "completed");
  r = Query(Bob(), json::array({"file-" + id, "file-" + mine}), "orchard");
  for (const auto& m : r["metadatas"][0]) EXPECT_EQ(m["file_id"], mine);
  // Alice's file still answers Alice, unchanged.
  r = Query(Alice(), json::array({"file-" + id}), "secret orchard");
  ASSERT_EQ(r["documents"][0].size(), 1u);
  EXPECT_EQ(r["documents"][0][0], "Bob must never read about the secret orchard.");
}

TEST_F(RagKeyword, ProcessTextCollectionsBelongToTheirMaker) {
  auto r =
      Post("/api/v1/retrieval/process/text",
           {{"name", "memo"}, {"content", "The quarterly memo mentions zebras."}}, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string c = r.Json()["collection_name"];
  EXPECT_EQ(c.size(), 64u);
  EXPECT_EQ(Query(Alice(), json::array({c}), "zebras")["documents"][0].size(), 1u);
  Query(Bob(), json::array({c}), "zebras", {}, 404);
  EXPECT_EQ(Post("/api/v1/retrieval/process/text",
                 {{"name", "x"}, {"content", "overwrite"}, {"collection_name", c}}, Bob().auth())
                .status,
            404);
}

TEST_F(RagKeyword, KnowledgeBaseLifecycleInOpenWebUiShapes) {
  auto [fid, events] = Upload(Alice(), "animals.md", kDocument);
  ASSERT_EQ(events.back()["status"], "completed");
  const json kb = CreateKb(Alice(), "Zoo");
  const std::string kid = kb["id"];
  for (const char* k : {"id", "user_id", "name", "description", "data", "meta", "access_control",
                        "created_at", "updated_at"})
    EXPECT_TRUE(kb.contains(k)) << k;
  EXPECT_EQ(kb["data"], json({{"file_ids", json::array()}}));
  EXPECT_EQ(kb["access_control"], json::object()) << "no public sharing permission: private";

  auto r = Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", fid}}, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  json added = r.Json();
  EXPECT_EQ(added["data"]["file_ids"], json::array({fid}));
  ASSERT_EQ(added["files"].size(), 1u);
  EXPECT_EQ(added["files"][0]["id"], fid);
  EXPECT_EQ(added["files"][0]["meta"]["name"], "animals.md");
  EXPECT_TRUE(added["files"][0].contains("created_at"));

  // The same file again: 400 DUPLICATE_CONTENT, single and batch; another file with the same
  // text is not a duplicate.
  r = Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", fid}}, Alice().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], kDuplicate);
  auto [twin, ev] = Upload(Alice(), "copy.md", kDocument);
  ASSERT_EQ(ev.back()["status"], "completed");
  r = Post("/api/v1/knowledge/" + kid + "/files/batch/add",
           json::array({{{"file_id", fid}}, {{"file_id", twin}}}), Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["data"]["file_ids"], json::array({fid, twin}));
  EXPECT_EQ(r.Json()["warnings"]["errors"][0]["file_id"], fid);

  // The knowledge base is searchable by its id.
  json q = Query(Alice(), json::array({kid}), "saffron flowers", {{"k", 1}});
  EXPECT_NE(q["documents"][0][0].get<std::string>().find("affron"), std::string::npos);

  // Lists: bare arrays with files and user.
  auto list = Get("/api/v1/knowledge/", Alice().auth()).Json();
  ASSERT_TRUE(list.is_array());
  auto it = std::find_if(list.begin(), list.end(), [&](const json& k) { return k["id"] == kid; });
  ASSERT_NE(it, list.end());
  EXPECT_EQ((*it)["files"].size(), 2u);
  EXPECT_EQ((*it)["user"]["email"], "alice@example.com");
  EXPECT_TRUE(Get("/api/v1/knowledge/list", Alice().auth()).Json().is_array());
  auto one = Get("/api/v1/knowledge/" + kid, Alice().auth());
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.Json()["files"].size(), 2u);
  EXPECT_EQ(one.Json()["name"], "Zoo");

  // Remove, reset, delete.
  r = Post("/api/v1/knowledge/" + kid + "/file/remove", {{"file_id", twin}}, Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["data"]["file_ids"], json::array({fid}));
  r = Post("/api/v1/knowledge/" + kid + "/reset", json::object(), Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["data"]["file_ids"], json::array());
  EXPECT_FALSE(r.Json().contains("files"));
  EXPECT_TRUE(Query(Alice(), json::array({kid}), "saffron")["documents"][0].empty());
  r = Call("DELETE", "/api/v1/knowledge/" + kid + "/delete", "", Alice().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), true);
  EXPECT_EQ(Get("/api/v1/knowledge/" + kid, Alice().auth()).status, 401);
}

TEST_F(RagKeyword, AnotherUsersKnowledgeBaseIsClosed) {
  auto [fid, events] = Upload(Alice(), "kb.md", "Alice's plans for the lighthouse.");
  ASSERT_EQ(events.back()["status"], "completed");
  const std::string kid = CreateKb(Alice(), "Private")["id"];
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", fid}}, Alice().auth()).status,
      200);
  EXPECT_EQ(Get("/api/v1/knowledge/" + kid, Bob().auth()).status, 401);
  for (const auto& k : Get("/api/v1/knowledge/", Bob().auth()).Json()) EXPECT_NE(k["id"], kid);
  Query(Bob(), json::array({kid}), "lighthouse", {}, 404);
  EXPECT_EQ(Post("/api/v1/knowledge/" + kid + "/reset", json::object(), Bob().auth()).status, 400);
  // Bob cannot pull Alice's file into his own knowledge base (T14).
  const std::string bobs = CreateKb(Bob(), "Bob's")["id"];
  auto r = Post("/api/v1/knowledge/" + bobs + "/file/add", {{"file_id", fid}}, Bob().auth());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["detail"], kNotFound);
  r = Post("/api/v1/knowledge/" + bobs + "/files/batch/add", json::array({{{"file_id", fid}}}),
           Bob().auth());
  EXPECT_EQ(r.Json()["data"]["file_ids"], json::array());
  EXPECT_EQ(Post("/api/v1/retrieval/process/file", {{"file_id", fid}, {"collection_name", bobs}},
                 Bob().auth())
                .status,
            404);
  // Alice's knowledge base is unchanged.
  EXPECT_EQ(Query(Alice(), json::array({kid}), "lighthouse")["documents"][0].size(), 1u);
  // Shared for reading with Bob: he reads it, and still cannot change it.
  ASSERT_EQ(Post("/api/v1/knowledge/" + kid + "/update",
                 {{"access_control",
                   {{"read", {{"user_ids", json::array({Bob().id})}, {"group_ids", json::array()}}},
                    {"write", {{"user_ids", json::array()}}}}}},
                 Alice().auth())
                .status,
            200);
  EXPECT_EQ(Get("/api/v1/knowledge/" + kid, Bob().auth()).status, 200);
  EXPECT_EQ(Query(Bob(), json::array({kid}), "lighthouse")["documents"][0].size(), 1u);
  EXPECT_EQ(Post("/api/v1/knowledge/" + kid + "/reset", json::object(), Bob().auth()).status, 400);
}

TEST_F(RagKeyword, DeletingAFileDropsItsChunksEverywhere) {
  auto [fid, events] = Upload(Alice(), "gone.md", "The ferry leaves at dawn from pier nine.");
  ASSERT_EQ(events.back()["status"], "completed");
  const std::string kid = CreateKb(Alice(), "Ferries")["id"];
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", fid}}, Alice().auth()).status,
      200);
  ASSERT_EQ(Query(Alice(), json::array({kid}), "ferry dawn")["documents"][0].size(), 1u);
  ASSERT_EQ(Call("DELETE", "/api/v1/files/" + fid, "", Alice().auth()).status, 200);
  EXPECT_TRUE(Query(Alice(), json::array({kid}), "ferry dawn")["documents"][0].empty());
  // The knowledge base forgets the file when listed.
  EXPECT_EQ(Get("/api/v1/knowledge/" + kid, Alice().auth()).Json()["files"], json::array());
}

// ---- reset of the upload directory: its own host, as it empties the storage ------------------

class RagResetUploads : public RagSuite<RagResetUploads> {
 public:
  static void Configure(HostProcess::Options& o) { BaseEnv(o); }

 protected:
  static fs::path Uploads() { return fs::path(host().data_dir()) / "uploads"; }
  static std::size_t Entries() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(Uploads())) ++n;
    return n;
  }
};

TEST_F(RagResetUploads, AdminEmptiesTheStorageRowsStayAndUploadsGoOn) {
  auto [id, events] = Upload(Alice(), "herds.md", kDocument);
  ASSERT_EQ(events.back(), json({{"status", "completed"}}));
  const std::string admins = Upload(Admin(), "root.txt", "root's bytes", "text/plain").first;
  // Something else in the directory (Open WebUI empties it whole, directories included).
  fs::create_directories(Uploads() / "leftover" / "inner");
  std::ofstream(Uploads() / "leftover" / "inner" / "x.bin") << "x";
  ASSERT_EQ(Entries(), 3u);

  // Admin only, as get_admin_user: a user gets 401, no credentials 403 ("Not authenticated");
  // nothing is deleted.
  for (const auto& [who, status] : {std::pair{Alice().auth(), 401}, std::pair{HeaderList{}, 403}}) {
    auto r = Post("/api/v1/retrieval/reset/uploads", json::object(), who);
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_TRUE(r.Json().contains("detail")) << r.body;
  }
  EXPECT_EQ(Entries(), 3u);
  ASSERT_EQ(Get("/api/v1/files/" + id + "/content", Alice().auth()).body, kDocument);

  auto r = Post("/api/v1/retrieval/reset/uploads", json::object(), Admin().auth());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json(), json(true));
  // The bytes are gone; the directory itself stays.
  ASSERT_TRUE(fs::is_directory(Uploads()));
  EXPECT_EQ(Entries(), 0u);
  EXPECT_EQ(Get("/api/v1/files/" + id + "/content", Alice().auth()).status, 404);
  EXPECT_EQ(Get("/api/v1/files/" + admins + "/content", Admin().auth()).status, 404);

  // The rows stay whole: listed, with their text, and their chunks still found.
  auto list = Get("/api/v1/files/", Alice().auth());
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json().size(), 1u) << list.body;
  EXPECT_EQ(list.Json()[0]["id"], id);
  EXPECT_EQ(list.Json()[0]["meta"]["name"], "herds.md");
  auto text = Get("/api/v1/files/" + id + "/data/content", Alice().auth());
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_NE(text.Json()["content"].get<std::string>().find("lpacas"), std::string::npos);
  json q = Query(Alice(), json::array({"file-" + id}), "where do alpacas graze", {{"k", 1}});
  ASSERT_EQ(q["documents"][0].size(), 1u) << q.dump();

  // The server goes on: a new upload is stored and served, an old row can still be deleted,
  // and a second reset is harmless.
  auto [fresh, fresh_events] = Upload(Alice(), "after.md", "Written after the reset.");
  EXPECT_EQ(fresh_events.back(), json({{"status", "completed"}}));
  EXPECT_EQ(Get("/api/v1/files/" + fresh + "/content", Alice().auth()).body,
            "Written after the reset.");
  EXPECT_EQ(Call("DELETE", "/api/v1/files/" + id, "", Alice().auth()).status, 200);
  EXPECT_EQ(Get("/api/v1/files/" + id, Alice().auth()).status, 404);
  EXPECT_EQ(Post("/api/v1/retrieval/reset/uploads", json::object(), Admin().auth()).Json(),
            json(true));
  EXPECT_EQ(Get("/api/v1/files/" + fresh + "/content", Alice().auth()).status, 404);
  EXPECT_EQ(Get("/health", {}).status, 200);
}

// ---- an embedding engine (the test upstream): vectors, hybrid, batching ----------------------

// The test upstream serving `models` (embed-bow: a hashed bag of words) as the OpenAI embedding
// engine of the host configured by `o`.
UpstreamDouble* StartEmbedder(HostProcess::Options& o, const std::string& models) {
  auto* upstream = new UpstreamDouble({"--models", models});
  std::string why;
  if (!upstream->Start(&why)) ADD_FAILURE() << why;
  EmbedderEnv(o, upstream->BaseUrl());
  return upstream;
}

class RagVectors : public RagSuite<RagVectors> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    upstream_ = StartEmbedder(o, "embed-bow,rerank-1");
    o.env["RAG_EMBEDDING_BATCH_SIZE"] = "2";
  }
  static void TearDownTestSuite() {
    SharedHostSuite<RagVectors>::TearDownTestSuite();
    delete upstream_;
    upstream_ = nullptr;
  }

 protected:
  static std::size_t EmbeddingCalls() { return upstream_->Requests("/v1/embeddings").size(); }
  static inline UpstreamDouble* upstream_ = nullptr;
};

TEST_F(RagVectors, ChunksAreEmbeddedInBatchesAndFoundByMeaning) {
  const std::size_t before = EmbeddingCalls();
  auto [id, events] = Upload(Alice(), "topics.md", kDocument);
  ASSERT_EQ(events.back(), json({{"status", "completed"}})) << events.back().dump();
  const std::size_t calls = EmbeddingCalls() - before;
  // Every chunk was embedded, two per request.
  json all = Query(Alice(), json::array({"file-" + id}), "alpacas", {{"k", 100}});
  const std::size_t chunks = all["documents"][0].size();
  ASSERT_GE(chunks, 3u);
  EXPECT_EQ(calls, (chunks + 1) / 2);
  for (const auto& r : upstream_->Requests("/v1/embeddings")) {
    const json body = json::parse(r["body"].get<std::string>());
    EXPECT_EQ(body["model"], "embed-bow");
    EXPECT_LE(body["input"].size(), 2u);
    EXPECT_EQ(r["headers"]["authorization"], "Bearer sk-test");
  }

  json r = Query(Alice(), json::array({"file-" + id}), "alpacas graze pastures", {{"k", 1}});
  EXPECT_EQ(r["mode"], "vector");
  ASSERT_EQ(r["documents"][0].size(), 1u);
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("lpacas"), std::string::npos);
  const double score = r["distances"][0][0];
  EXPECT_GT(score, 0.0);
  EXPECT_LE(score, 1.0 + 1e-9);

  r = Query(Alice(), json::array({"file-" + id}), "compiler inline functions",
            {{"k", 1}, {"hybrid", true}, {"k_reranker", 3}});
  EXPECT_EQ(r["mode"], "hybrid");
  ASSERT_EQ(r["documents"][0].size(), 1u);
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("compiler"), std::string::npos)
      << r.dump();
}

TEST_F(RagVectors, AddingToAKnowledgeBaseReusesTheVectors) {
  auto [id, events] = Upload(Alice(), "again.md", kDocument);
  ASSERT_EQ(events.back()["status"], "completed");
  const std::string kid = CreateKb(Alice(), "Reuse")["id"];
  const std::size_t before = EmbeddingCalls();
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", id}}, Alice().auth()).status,
      200);
  EXPECT_EQ(EmbeddingCalls(), before) << "no embedding request for a knowledge base add";
  json r = Query(Alice(), json::array({kid}), "saffron threads", {{"k", 1}});
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("affron"), std::string::npos);
}

TEST_F(RagVectors, AnExternalRerankerScoresHybridResults) {
  auto [id, events] = Upload(Alice(), "rerank.md", kDocument);
  ASSERT_EQ(events.back()["status"], "completed");
  ASSERT_EQ(Post("/api/v1/retrieval/config/update",
                 {{"RAG_RERANKING_ENGINE", "external"},
                  {"RAG_RERANKING_MODEL", "rerank-1"},
                  {"RAG_EXTERNAL_RERANKER_URL", upstream_->BaseUrl() + "/v1/rerank"}},
                 Admin().auth())
                .status,
            200);
  json r = Query(Alice(), json::array({"file-" + id}), "saffron flowers",
                 {{"k", 2}, {"hybrid", true}, {"k_reranker", 2}});
  EXPECT_EQ(r["mode"], "hybrid");
  EXPECT_FALSE(upstream_->Requests("/v1/rerank").empty());
  ASSERT_FALSE(r["documents"][0].empty());
  EXPECT_NE(r["documents"][0][0].get<std::string>().find("affron"), std::string::npos);
  // A dead reranker: hybrid falls back to vector search instead of answering nothing.
  Post("/api/v1/retrieval/config/update",
       {{"RAG_EXTERNAL_RERANKER_URL", "http://127.0.0.1:" + std::to_string(RefusedPort()) + "/x"}},
       Admin().auth());
  r = Query(Alice(), json::array({"file-" + id}), "saffron flowers", {{"k", 1}, {"hybrid", true}});
  EXPECT_EQ(r["mode"], "vector");
  EXPECT_EQ(r["documents"][0].size(), 1u);
  Post("/api/v1/retrieval/config/update", {{"RAG_RERANKING_ENGINE", ""}}, Admin().auth());
}

TEST_F(RagVectors, ADeadEmbeddingServiceFailsTheFileAndTheServerStaysUp) {
  const json good = Get("/api/v1/retrieval/embedding", Admin().auth()).Json();
  json dead = good;
  dead["openai_config"]["url"] = "http://127.0.0.1:" + std::to_string(RefusedPort()) + "/v1";
  ASSERT_EQ(Post("/api/v1/retrieval/embedding/update", dead, Admin().auth()).status, 200);
  auto [id, events] = Upload(Alice(), "lost.md", "Nothing will embed this text.");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["status"], "failed");
  EXPECT_FALSE(events.back().value("error", "").empty());
  EXPECT_EQ(events.back()["error"].get<std::string>().find("127.0.0.1"), std::string::npos);
  EXPECT_EQ(Get("/health", {}).status, 200);
  ASSERT_EQ(Post("/api/v1/retrieval/embedding/update", good, Admin().auth()).status, 200);
  auto [ok, ev] = Upload(Alice(), "back.md", "The service is back.");
  EXPECT_EQ(ev.back()["status"], "completed");
}

// Collections over WEBUI_RAG_HNSW_MIN_CHUNKS are searched through an HNSW index that a background
// thread keeps up to date after every write: it exists (persisted) before any query, a file just
// added is found at once, a removed one never again.
class RagIndexed : public RagSuite<RagIndexed> {
 public:
  static void Configure(HostProcess::Options& o) {
    BaseEnv(o);
    upstream_ = StartEmbedder(o, "embed-bow");
    o.env["WEBUI_RAG_HNSW_MIN_CHUNKS"] = "7";  // the knowledge base over it, each file under
  }
  static void TearDownTestSuite() {
    SharedHostSuite<RagIndexed>::TearDownTestSuite();
    delete upstream_;
    upstream_ = nullptr;
  }

 protected:
  static std::vector<std::filesystem::path> PersistedIndexes() {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(host().data_dir() + "/vector_db", ec))
      if (e.path().extension() == ".hnsw") out.push_back(e.path());
    return out;
  }
  static std::string Top(const std::string& kid, const std::string& q, int k) {
    json r = Query(Alice(), json::array({kid}), q, {{"k", k}});
    EXPECT_EQ(r["mode"], "vector");
    std::string all;
    for (const auto& d : r["documents"][0]) all += d.get<std::string>() + "\n";
    return all;
  }
  static inline UpstreamDouble* upstream_ = nullptr;
};

TEST_F(RagIndexed, TheIndexIsKeptInTheBackgroundAndFollowsEveryChange) {
  const std::string kid = CreateKb(Alice(), "Indexed")["id"];
  const std::string tea =
      "# Tea\n\nTea leaves are withered, rolled and dried. Green tea is steamed or pan-fired "
      "soon after picking, black tea is left to oxidise first, and both are sorted by leaf size."
      "\n\n";
  for (const auto& [name, text] : {std::pair{"one.md", kDocument}, {"two.md", tea + kDocument}}) {
    auto [id, events] = Upload(Alice(), name, text);
    ASSERT_EQ(events.back()["status"], "completed");
    ASSERT_EQ(
        Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", id}}, Alice().auth()).status,
        200);
  }
  // No query has been made: the index was built (and persisted after two quiet seconds) by the
  // background thread. Only the knowledge base is large enough for one.
  bool persisted = false;
  for (int i = 0; i < 100 && !persisted; ++i) {
    persisted = PersistedIndexes().size() == 1;
    if (!persisted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(persisted) << PersistedIndexes().size() << " index files";
  EXPECT_NE(Top(kid, "saffron crocus flowers", 1).find("affron"), std::string::npos);

  // Added, then asked at once: found whether or not the index has caught up yet.
  const std::string volcano =
      "# Volcanoes\n\nLava flows from the volcano after the eruption. Volcanic ash covers the "
      "villages, and the lava cools into black basalt on the slopes of the volcano.\n";
  auto [vid, events] = Upload(Alice(), "volcano.md", volcano);
  ASSERT_EQ(events.back()["status"], "completed");
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kid + "/file/add", {{"file_id", vid}}, Alice().auth()).status,
      200);
  EXPECT_NE(Top(kid, "volcano lava eruption basalt", 1).find("olcano"), std::string::npos);

  // Removed, then asked at once and again later: never found.
  ASSERT_EQ(
      Post("/api/v1/knowledge/" + kid + "/file/remove", {{"file_id", vid}}, Alice().auth()).status,
      200);
  EXPECT_EQ(Top(kid, "volcano lava eruption basalt", 5).find("olcano"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::string later = Top(kid, "volcano lava eruption basalt", 5);
  EXPECT_EQ(later.find("olcano"), std::string::npos);
  EXPECT_NE(later.find("lpacas"), std::string::npos) << "the rest is still found: " << later;

  // Deleting the knowledge base drops its index file.
  ASSERT_EQ(Call("DELETE", "/api/v1/knowledge/" + kid + "/delete", "", Alice().auth()).status, 200);
  bool dropped = false;
  for (int i = 0; i < 100 && !dropped; ++i) {
    dropped = PersistedIndexes().empty();
    if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(dropped) << PersistedIndexes().size() << " index files";
  EXPECT_EQ(Get("/health", {}).status, 200);
}

}  // namespace
}  // namespace webui::testing
