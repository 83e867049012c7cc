// retrieval.v1 (sdk/include/webui_host/services/retrieval.h): the sources of a chat completion,
// item by item as Open WebUI 0.6.32's get_sources_from_files, with one difference it lacks:
// every file and knowledge base is read only if the caller may read it (docs/security.md
// T12-T15); anything else contributes nothing, as if it did not exist.
#include <webui_host/services/retrieval.h>
#include <webui_host/sdk/files.hpp>

#include <algorithm>
#include <set>

#include "rag_plugin.hpp"
#include "settings.hpp"

namespace webui::rag {

using nlohmann::json;

namespace {

// A chat payload names a handful of items and one to three queries; anything beyond these is
// not a web UI's request and is ignored rather than searched.
constexpr std::size_t kMaxItems = 64;
constexpr std::size_t kMaxRetrievalQueries = 8;

std::string TextOf(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsTrue(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

// One item's result before it becomes a source (Open WebUI's query_result).
struct Found {
  json documents = json::array();
  json metadatas = json::array();
  json distances;  // null: none (full context)
  bool any() const { return !documents.empty(); }
};

void AddHits(Found& f, const std::vector<Hit>& hits, bool with_scores) {
  if (with_scores) f.distances = json::array();
  for (const auto& h : hits) {
    f.documents.push_back(h.text);
    f.metadatas.push_back(h.metadata.is_object() ? h.metadata : json::object());
    if (with_scores) f.distances.push_back(h.score);
  }
}

// The whole text of a stored file, as 0.6.32 reads it for full context.
void AddFileContent(Found& f, const json& file, const std::string& file_id) {
  const std::string name = TextOf(file, "filename");
  const json data = file.value("data", json::object());
  f.documents.push_back(TextOf(data, "content"));
  f.metadatas.push_back({{"file_id", file_id}, {"name", name}, {"source", name}});
}

}  // namespace

json RagPlugin::Sources(Viewer& viewer, const json& items,
                        const std::vector<std::string>& queries) {
  sdk::Files files(*host_);
  const bool bypass = ReadBool(*host_, keys::kBypass, false);
  bool all_full = !items.empty();
  for (const auto& item : items)
    if (TextOf(item, "context") != "full") all_full = false;
  const bool full_context = all_full || ReadBool(*host_, keys::kFullContext, false);

  QueryOptions o;
  o.k = static_cast<std::size_t>(std::clamp<int64_t>(ReadInt(*host_, keys::kTopK, 3), 0, 1000));
  o.k_reranker = static_cast<std::size_t>(
      std::clamp<int64_t>(ReadInt(*host_, keys::kTopKReranker, 3), 0, 1000));
  o.r = ReadNumber(*host_, keys::kRelevanceThreshold, 0.0);
  o.hybrid = ReadBool(*host_, keys::kHybrid, false);
  o.bm25_weight = ReadNumber(*host_, keys::kHybridBm25Weight, 0.5);

  auto readable_file = [&](const std::string& id) -> std::optional<json> {
    if (id.empty()) return std::nullopt;
    auto ok = files.CheckAccess(viewer.id(), viewer.role(), id, "read");
    if (!ok || !*ok) return std::nullopt;
    return files.Get(id);
  };

  std::set<std::string> searched;  // a collection is searched once per completion
  json sources = json::array();
  std::size_t seen = 0;
  for (const auto& raw : items) {
    if (!raw.is_object() || ++seen > kMaxItems) continue;
    const std::string type = TextOf(raw, "type");
    const std::string id = TextOf(raw, "id");
    Found found;
    if (raw.contains("docs") && raw["docs"].is_array()) {
      // Results the caller was already given (a web search with retrieval bypassed).
      for (const auto& d : raw["docs"]) {
        if (!d.is_object()) continue;
        found.documents.push_back(TextOf(d, "content"));
        found.metadatas.push_back(d.value("metadata", json::object()));
      }
    } else if (type == "text" && TextOf(raw, "context") == "full") {
      // The caller's own text (a temporary chat's upload): nothing stored is read.
      const json file = raw.value("file", json());
      if (file.is_object() && file.value("data", json()).is_object()) {
        found.documents.push_back(TextOf(file["data"], "content"));
        found.metadatas.push_back(file["data"].value("meta", json::object()));
      } else {
        found.documents.push_back(TextOf(raw, "content"));
        found.metadatas.push_back({{"file_id", id}, {"name", TextOf(raw, "name")}});
      }
    } else if (type == "note" || type == "chat") {
      continue;  // notes and chats as context are not part of this server
    } else if ((TextOf(raw, "context") == "full" || bypass) &&
               (type == "collection" || !id.empty())) {
      // A file or a knowledge base whole. Items naming only a collection (a web search's) are
      // read below, as 0.6.32 reads them whatever the bypass.
      if (type == "collection") {
        // The knowledge base's own file list, not the one the browser sent (T13).
        auto kb = repo_->Get(id);
        if (!kb || !viewer.Can(*kb, "read")) continue;
        for (const auto& file_id : kb->FileIds())
          if (auto file = files.Get(file_id)) AddFileContent(found, *file, file_id);
      } else {
        auto file = readable_file(id);
        if (!file) continue;
        AddFileContent(found, *file, id);
      }
    } else {
      std::vector<std::string> names;
      if (type == "collection") {
        if (IsTrue(raw, "legacy") && raw.value("collection_names", json()).is_array()) {
          for (const auto& n : raw["collection_names"])
            if (n.is_string()) names.push_back(n.get<std::string>());
        } else if (!id.empty()) {
          names.push_back(id);
        }
      } else if (!TextOf(raw, "collection_name").empty()) {
        names.push_back(TextOf(raw, "collection_name"));
      } else if (!id.empty()) {
        names.push_back(IsTrue(raw, "legacy") ? id : "file-" + id);
      }
      std::vector<std::string> readable;
      for (const auto& n : names) {
        if (!searched.insert(n).second) continue;
        // Decided on the resource the name belongs to, never on its prefix (T15).
        if (CanUseCollection(*host_, *store_, *repo_, viewer, n, "read")) readable.push_back(n);
      }
      if (readable.empty()) continue;
      try {
        if (full_context) {
          std::vector<Hit> all;
          for (const auto& n : readable) {
            auto hits = store_->All(n);
            all.insert(all.end(), std::make_move_iterator(hits.begin()),
                       std::make_move_iterator(hits.end()));
          }
          AddHits(found, all, false);
        } else {
          std::vector<Hit> all;
          for (const auto& q : queries) {
            auto r = Query(readable, q, o);
            all.insert(all.end(), std::make_move_iterator(r.hits.begin()),
                       std::make_move_iterator(r.hits.end()));
          }
          AddHits(found, MergeByText(std::move(all), o.k), true);
        }
      } catch (const std::exception& e) {
        // As Open WebUI: a failed search leaves this item without context, the answer goes on.
        host_->Warn(std::string("rag: retrieval for a chat completion failed: ") + e.what());
        continue;
      }
    }
    if (!found.any()) continue;
    json source = raw;
    source.erase("data");
    json s = {{"source", source}, {"document", found.documents}, {"metadata", found.metadatas}};
    if (!found.distances.is_null()) s["distances"] = found.distances;
    sources.push_back(std::move(s));
  }
  return sources;
}

namespace {

void Reason(wh_str_sink sink, void* sink_user, std::string_view text) {
  if (sink) sink(sink_user, sdk::ToWh(text));
}

wh_status Retrieve(void* self, wh_str user_id, wh_str role, wh_str request_json, wh_str_sink sink,
                   void* sink_user) {
  auto* plugin = static_cast<RagPlugin*>(self);
  try {
    const auto request = sdk::json::Parse(sdk::FromWh(request_json));
    if (!request || !request->is_object() || !(*request)["files"].is_array()) {
      Reason(sink, sink_user, "the request must be {\"files\": [...], \"queries\": [...]}");
      return WH_INVALID;
    }
    std::vector<std::string> queries;
    if ((*request)["queries"].is_array())
      for (const auto& q : (*request)["queries"])
        if (q.is_string() && !q.get<std::string>().empty() && queries.size() < kMaxRetrievalQueries)
          queries.push_back(q.get<std::string>());
    const std::string uid(sdk::FromWh(user_id));
    const std::string urole(sdk::FromWh(role));
    const sdk::Caller caller{uid, urole, {}, {}};
    Viewer viewer(*plugin->host(), caller);
    const json answer = {{"sources", plugin->Sources(viewer, (*request)["files"], queries)},
                         {"template", plugin->RagTemplate()}};
    Reason(sink, sink_user, sdk::json::Dump(answer));
    return WH_OK;
  } catch (const std::exception& e) {
    Reason(sink, sink_user, e.what());
    return WH_UNAVAILABLE;
  } catch (...) {
    return WH_ERROR;
  }
}

}  // namespace

std::string RagPlugin::RagTemplate() const {
  // Open WebUI's rag_template: a blank template is the default one.
  std::string t = ReadString(*host_, keys::kTemplate, kDefaultRagTemplate);
  if (t.find_first_not_of(" \t\r\n") == std::string::npos) t = kDefaultRagTemplate;
  return t;
}

void RagPlugin::OfferRetrieval() {
  static const wh_retrieval_v1 vtable = {sizeof(wh_retrieval_v1), &Retrieve, {}};
  host_->OfferService(WH_SERVICE_RETRIEVAL_V1, &vtable, this);
}

}  // namespace webui::rag
