// /api/v1/retrieval: processing on demand (/process/file, /process/text), search (/query/doc,
// /query/collection: BM25, vector or hybrid), and the admin resets. A caller searches or writes
// only collections whose resource they may read or change (knowledge_store.hpp).
#include <webui_host/sdk/files.hpp>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "rag_plugin.hpp"
#include "settings.hpp"

namespace webui::rag {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

constexpr double kRrfK = 60.0;

std::string RequiredString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null())
    throw sdk::Unprocessable("missing", field, "Field required");
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

std::optional<std::string> OptionalString(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}

std::optional<double> OptionalNumber(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_number())
    throw sdk::Unprocessable("float_type", field, "Input should be a valid number");
  return it->get<double>();
}

std::optional<bool> OptionalBool(const json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean())
    throw sdk::Unprocessable("bool_type", field, "Input should be a valid boolean");
  return it->get<bool>();
}

std::size_t Count(std::optional<double> v, int64_t fallback) {
  const double n = v.value_or(static_cast<double>(fallback));
  return static_cast<std::size_t>(std::clamp(n, 0.0, 1000.0));
}

json Lists(const std::vector<Hit>& hits, bool with_ids) {
  json ids = json::array(), distances = json::array(), documents = json::array(),
       metadatas = json::array();
  for (const auto& h : hits) {
    ids.push_back(h.id);
    distances.push_back(h.score);
    documents.push_back(h.text);
    metadatas.push_back(h.metadata);
  }
  json out = {{"distances", json::array({distances})},
              {"documents", json::array({documents})},
              {"metadatas", json::array({metadatas})}};
  if (with_ids) out["ids"] = json::array({ids});
  return out;
}

std::string UserText(const std::exception& e) { return e.what(); }

}  // namespace

std::vector<Hit> MergeByText(std::vector<Hit> hits, std::size_t k) {
  std::map<std::string, Hit> best;
  for (auto& h : hits) {
    auto it = best.find(h.text);
    if (it == best.end() || h.score > it->second.score) best[h.text] = std::move(h);
  }
  std::vector<Hit> out;
  for (auto& [text, h] : best) out.push_back(std::move(h));
  std::stable_sort(out.begin(), out.end(),
                   [](const Hit& a, const Hit& b) { return a.score > b.score; });
  if (out.size() > k) out.resize(k);
  return out;
}

RagPlugin::QueryResult RagPlugin::Query(const std::vector<std::string>& collections,
                                        const std::string& query, const QueryOptions& o) {
  QueryResult result;
  const EmbedConfig embed = embedder_->Current();
  std::vector<Hit> all;
  if (!embed.enabled()) {
    // No embedding engine: no vectors exist; BM25 is the whole search, and the answer says so.
    result.mode = "keyword";
    for (const auto& c : collections) {
      auto hits = store_->SearchKeyword(c, query, o.k);
      all.insert(all.end(), hits.begin(), hits.end());
    }
    result.hits = MergeByText(std::move(all), o.k);
    return result;
  }
  const std::vector<float> qv = embedder_->EmbedQuery(embed, query);
  if (o.hybrid) {
    try {
      for (const auto& c : collections) {
        auto hits = Hybrid(c, query, qv, o);
        all.insert(all.end(), hits.begin(), hits.end());
      }
      result.mode = "hybrid";
      result.hits = MergeByText(std::move(all), std::min(o.k, o.k_reranker));
      return result;
    } catch (const std::exception& e) {
      // Open WebUI 0.6.32 answers nothing when hybrid search fails; the vector search still can.
      host_->Warn(std::string("rag: hybrid search failed, answering from vector search: ") +
                  e.what());
      all.clear();
    }
  }
  result.mode = "vector";
  for (const auto& c : collections) {
    auto hits = store_->SearchVector(c, qv, o.k);
    all.insert(all.end(), hits.begin(), hits.end());
  }
  result.hits = MergeByText(std::move(all), o.k);
  return result;
}

std::vector<Hit> RagPlugin::Hybrid(const std::string& collection, const std::string& query,
                                   const std::vector<float>& qv, const QueryOptions& o) {
  const double w = std::clamp(o.bm25_weight, 0.0, 1.0);
  std::vector<Hit> keyword, vector;
  if (w > 0) keyword = store_->SearchKeyword(collection, query, o.k);
  if (w < 1) vector = store_->SearchVector(collection, qv, o.k);
  // Weighted reciprocal-rank fusion, one entry per distinct text.
  std::map<std::string, Hit> fused;
  const auto add = [&](const std::vector<Hit>& ranked, double weight) {
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      auto [it, fresh] = fused.try_emplace(ranked[i].text, ranked[i]);
      if (fresh) it->second.score = 0;
      it->second.score += weight / (static_cast<double>(i + 1) + kRrfK);
    }
  };
  add(keyword, w);
  add(vector, 1 - w);
  std::vector<Hit> candidates;
  for (auto& [text, h] : fused) candidates.push_back(std::move(h));
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Hit& a, const Hit& b) { return a.score > b.score; });
  candidates = Rerank(query, std::move(candidates), qv);
  if (o.r > 0)
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const Hit& h) { return h.score < o.r; }),
                     candidates.end());
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Hit& a, const Hit& b) { return a.score > b.score; });
  const std::size_t keep = std::min(o.k_reranker, o.k < o.k_reranker ? o.k : o.k_reranker);
  if (candidates.size() > keep) candidates.resize(keep);
  return candidates;
}

std::vector<Hit> RagPlugin::Rerank(const std::string& query, std::vector<Hit> hits,
                                   const std::vector<float>& qv) {
  if (hits.empty()) return hits;
  const std::string engine = ReadString(*host_, keys::kRerankingEngine);
  const std::string model = ReadString(*host_, keys::kRerankingModel);
  const std::string url = ReadString(*host_, keys::kRerankerUrl);
  if (engine == "external" && !model.empty() && !url.empty()) {
    json documents = json::array();
    for (const auto& h : hits) documents.push_back(h.text);
    sdk::FetchRequest rq;
    rq.method = "POST";
    rq.url = url;
    rq.headers = {{"Content-Type", "application/json"}};
    const std::string key = ReadString(*host_, keys::kRerankerKey);
    if (!key.empty()) rq.headers.emplace_back("Authorization", "Bearer " + key);
    rq.body = sdk::json::Dump(
        {{"model", model}, {"query", query}, {"documents", documents}, {"top_n", hits.size()}});
    rq.connect_timeout_ms = 10'000;
    rq.total_timeout_ms = 60'000;
    auto r = host_->Fetch(rq);
    if (!r.ok() || r.http_status < 200 || r.http_status >= 300)
      throw std::runtime_error("the reranker failed");
    auto parsed = sdk::json::Parse(r.body);
    if (!parsed || !parsed->is_object() || !(*parsed)["results"].is_array())
      throw std::runtime_error("the reranker returned no results");
    std::vector<Hit> out;
    for (const auto& item : (*parsed)["results"]) {
      if (!item.is_object() || !item["index"].is_number_unsigned() ||
          !item["relevance_score"].is_number())
        continue;
      const std::size_t i = item["index"].get<std::size_t>();
      if (i >= hits.size()) continue;
      Hit h = hits[i];
      h.score = item["relevance_score"].get<double>();
      out.push_back(std::move(h));
    }
    return out;
  }
  // No reranker: the cosine of the query with each candidate's stored vector, as Open WebUI's
  // fallback scores them (it embeds the candidates again; the vectors are already here).
  std::vector<std::string> ids;
  for (const auto& h : hits) ids.push_back(h.id);
  const auto vectors = store_->Vectors(ids);
  for (auto& h : hits) {
    auto it = vectors.find(h.id);
    h.score = it == vectors.end() ? 0.0 : Dot(qv, it->second);
  }
  return hits;
}

void RagPlugin::AddRetrievalRoutes() {
  sdk::Host& host = *host_;

  host.Route("POST", "/api/v1/retrieval/process/file", Auth::kVerified,
             [this](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               const std::string file_id = RequiredString(body, "file_id");
               const auto content = OptionalString(body, "content");
               const auto collection = OptionalString(body, "collection_name");
               Viewer viewer(*host_, req.RequireCaller());
               sdk::Files files(*host_);
               // Reprocessing rewrites the file's chunks: the write grant (T16), else not found.
               auto allowed = files.CheckAccess(viewer.id(), viewer.role(), file_id, "write");
               if (!allowed || !*allowed) throw sdk::NotFound();
               auto file = files.Get(file_id);
               if (!file) throw sdk::NotFound();
               const std::string own = "file-" + file_id;
               json out;
               try {
                 if (collection && *collection != own) {
                   // Into another collection: a knowledge base the caller may change (T14).
                   if (!CanUseCollection(*host_, *store_, *repo_, viewer, *collection, "write") ||
                       !repo_->Get(*collection))
                     throw sdk::NotFound();
                   if (!store_->Exists(own)) {
                     auto path = files.LocalPath(file_id);
                     ProcessFile(*file, path.value_or(""), std::nullopt, {});
                   }
                   // A duplicate is this same file again, not another file with equal text.
                   if (store_->FileIn(*collection, file_id))
                     throw sdk::BadRequest(kDuplicateContent);
                   store_->CopyFile(own, *collection, file_id);
                   out = {{"content", (*file)["data"].value("content", "")}};
                 } else {
                   auto path = files.LocalPath(file_id);
                   out = ProcessFile(*file, path.value_or(""), content, {});
                   json patch = {{"meta", out.value("meta", json::object())}};
                   if (content) {
                     patch["data"] = {{"content", out["content"]}, {"status", "completed"}};
                     patch["hash"] = Sha256Hex(out["content"].get<std::string>());
                   }
                   files.Update(file_id, patch);
                 }
               } catch (const sdk::HttpError&) {
                 throw;
               } catch (const sdk::Error&) {
                 throw;
               } catch (const std::exception& e) {
                 throw sdk::BadRequest(UserText(e));
               }
               const bool bypass = ReadBool(*host_, keys::kBypass, false);
               sdk::Reply(res, {{"status", true},
                                {"collection_name",
                                 bypass ? json(nullptr) : json(collection.value_or(own))},
                                {"filename", (*file).value("filename", "")},
                                {"content", out.value("content", "")}});
             });

  host.Route(
      "POST", "/api/v1/retrieval/process/text", Auth::kVerified,
      [this](Request& req, Response& res) {
        const json body = sdk::JsonBody(req);
        const std::string name = RequiredString(body, "name");
        const std::string content = RequiredString(body, "content");
        Viewer viewer(*host_, req.RequireCaller());
        const std::string collection =
            OptionalString(body, "collection_name").value_or(Sha256Hex(content));
        // A name that is a file's or a knowledge base's, or another user's text, is not
        // the caller's to write (T15); a fresh name becomes theirs.
        const bool taken = collection.rfind("file-", 0) == 0 ||
                           repo_->Get(collection).has_value() ||
                           store_->Owner(collection).has_value();
        if (taken && !CanUseCollection(*host_, *store_, *repo_, viewer, collection, "write"))
          throw sdk::NotFound();
        if (!taken) store_->SetOwnerIfNone(collection, viewer.id());
        const std::string hash = Sha256Hex(content);
        try {
          if (!store_->HashExists(collection, hash, "")) {
            const json base = {{"name", name}, {"source", name}, {"created_by", viewer.id()}};
            store_->Insert(MakeChunks({{content, json::object()}}, collection, base, hash, {}));
          }
        } catch (const sdk::Error&) {
          throw;
        } catch (const std::exception& e) {
          throw sdk::HttpError(500, sdk::messages::Default(UserText(e)));
        }
        sdk::Reply(res, {{"status", true}, {"collection_name", collection}, {"content", content}});
      });

  const auto query_options = [this](const json& body) {
    QueryOptions o;
    o.k = Count(OptionalNumber(body, "k"), ReadInt(*host_, keys::kTopK, 3));
    o.k_reranker =
        Count(OptionalNumber(body, "k_reranker"), ReadInt(*host_, keys::kTopKReranker, 3));
    o.r = OptionalNumber(body, "r").value_or(ReadNumber(*host_, keys::kRelevanceThreshold, 0.0));
    o.hybrid = OptionalBool(body, "hybrid").value_or(ReadBool(*host_, keys::kHybrid, false));
    o.bm25_weight = OptionalNumber(body, "hybrid_bm25_weight")
                        .value_or(ReadNumber(*host_, keys::kHybridBm25Weight, 0.5));
    return o;
  };

  host.Route("POST", "/api/v1/retrieval/query/doc", Auth::kVerified,
             [this, query_options](Request& req, Response& res) {
               const json body = sdk::JsonBody(req);
               const std::string collection = RequiredString(body, "collection_name");
               const std::string query = RequiredString(body, "query");
               const QueryOptions o = query_options(body);
               Viewer viewer(*host_, req.RequireCaller());
               if (!CanUseCollection(*host_, *store_, *repo_, viewer, collection, "read"))
                 throw sdk::NotFound();
               QueryResult r;
               try {
                 r = Query({collection}, query, o);
               } catch (const EmbedError& e) {
                 throw sdk::BadRequest(sdk::messages::Default(e.what()));
               }
               json out = Lists(r.hits, true);
               out["mode"] = r.mode;
               sdk::Reply(res, out);
             });

  host.Route(
      "POST", "/api/v1/retrieval/query/collection", Auth::kVerified,
      [this, query_options](Request& req, Response& res) {
        const json body = sdk::JsonBody(req);
        auto names = body.find("collection_names");
        if (names == body.end() || !names->is_array())
          throw sdk::Unprocessable("list_type", "collection_names", "Input should be a valid list");
        const std::string query = RequiredString(body, "query");
        const QueryOptions o = query_options(body);
        Viewer viewer(*host_, req.RequireCaller());
        std::vector<std::string> readable;
        for (const auto& n : *names) {
          if (!n.is_string())
            throw sdk::Unprocessable("string_type", "collection_names",
                                     "Input should be a valid string");
          // Collections the caller may not read are left out, as if they did not exist.
          if (CanUseCollection(*host_, *store_, *repo_, viewer, n.get<std::string>(), "read"))
            readable.push_back(n.get<std::string>());
        }
        if (readable.empty() && !names->empty()) throw sdk::NotFound();
        QueryResult r;
        try {
          r = Query(readable, query, o);
        } catch (const EmbedError& e) {
          throw sdk::BadRequest(sdk::messages::Default(e.what()));
        }
        json out = Lists(r.hits, false);
        out["mode"] = r.mode;
        sdk::Reply(res, out);
      });

  host.Route("POST", "/api/v1/retrieval/delete", Auth::kAdmin, [this](Request& req, Response& res) {
    const json body = sdk::JsonBody(req);
    const std::string collection = RequiredString(body, "collection_name");
    const std::string file_id = RequiredString(body, "file_id");
    auto file = sdk::Files(*host_).Get(file_id);
    if (!file || !(*file)["hash"].is_string()) {
      sdk::Reply(res, {{"status", false}});
      return;
    }
    store_->DeleteHash(collection, (*file)["hash"].get<std::string>());
    sdk::Reply(res, {{"status", true}});
  });

  host.Route("POST", "/api/v1/retrieval/reset/db", Auth::kAdmin, [this](Request&, Response& res) {
    // Open WebUI drops every collection and every knowledge base.
    store_->DeleteAll();
    repo_->DeleteAll();
    sdk::Reply(res, nullptr);
  });

  host.Route("POST", "/api/v1/retrieval/reset/uploads", Auth::kAdmin,
             [this](Request&, Response& res) {
               // Open WebUI empties UPLOAD_DIR and answers true whatever happened (it logs what
               // it could not delete). The uploads belong to the files plugin, so it does the
               // deleting (files.v1 remove_all_bytes) and decides about the rows: they stay.
               try {
                 sdk::Files(*host_).RemoveAllBytes();
               } catch (const sdk::Error& e) {
                 // No files plugin (or one too old for the call): there is nothing of ours to
                 // delete. A storage failure was logged by the files plugin.
                 if (e.status() == WH_UNAVAILABLE) throw;
                 host_->Warn(std::string("reset uploads: ") + e.what());
               }
               sdk::Reply(res, true);
             });
}

}  // namespace webui::rag
