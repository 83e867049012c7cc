#include "rag_plugin.hpp"

#include <webui_host/sdk/services.hpp>

#include "settings.hpp"

namespace webui::rag {

using nlohmann::json;
using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {
std::filesystem::path IndexDir(const sdk::Host& host) {
  auto data_dir = host.Env("DATA_DIR");
  return std::filesystem::path(data_dir && !data_dir->empty() ? *data_dir : std::string("./data")) /
         "vector_db";
}
}  // namespace

void RagPlugin::Init(sdk::Host& host) {
  host_ = &host;
  DeclareSettings(host);
  StoreOptions options;
  options.index_dir = IndexDir(host);
  options.hnsw_min_chunks =
      static_cast<std::size_t>(std::max<int64_t>(1, ReadInt(host, keys::kHnswMinChunks, 2000)));
  store_ = MakeVectorStore(host, options);
  store_->Migrate();
  embedder_ = std::make_unique<Embedder>(host);
  repo_ = std::make_unique<KnowledgeRepo>(host);
  AddConfigRoutes();
  AddRetrievalRoutes();
  AddKnowledgeRoutes();
  AddWebRoutes();
  OfferFileProcessor();
  OfferRetrieval();
  OfferWebSearch();
}

void RagPlugin::Shutdown() {
  stopping_ = true;
  if (store_) store_->Stop();
}

void RagPlugin::AddConfigRoutes() {
  sdk::Host& host = *host_;
  host.Route("GET", "/api/v1/retrieval/", Auth::kPublic,
             [this](Request&, Response& res) { sdk::Reply(res, StatusForm(*host_)); });
  host.Route("GET", "/api/v1/retrieval/config", Auth::kAdmin,
             [this](Request&, Response& res) { sdk::Reply(res, ConfigForm(*host_)); });
  host.Route("POST", "/api/v1/retrieval/config/update", Auth::kAdmin,
             [this](Request& req, Response& res) {
               SaveConfigForm(*host_, sdk::JsonBody(req));
               sdk::Reply(res, ConfigForm(*host_));
             });
  host.Route("GET", "/api/v1/retrieval/embedding", Auth::kAdmin,
             [this](Request&, Response& res) { sdk::Reply(res, EmbeddingForm(*host_)); });
  host.Route("POST", "/api/v1/retrieval/embedding/update", Auth::kAdmin,
             [this](Request& req, Response& res) {
               SaveEmbeddingForm(*host_, sdk::JsonBody(req));
               sdk::Reply(res, EmbeddingForm(*host_));
             });
  // The chat input and the knowledge page enforce these limits in the browser; the chat's
  // Integrations menu offers "Web Search" when enable_web_search is true (get_app_config).
  sdk::OfferApiConfigJson(host, [this](Request& req) {
    const auto caller = req.GetCaller();
    if (!caller || (caller->role != "user" && !caller->IsAdmin())) return json::object();
    const json web_on = WebForm(*host_).value("ENABLE_WEB_SEARCH", json(false));
    return json{{"file", FileApiConfig(*host_)},
                {"features", {{"enable_web_search", web_on.is_boolean() && web_on.get<bool>()}}}};
  });
}

}  // namespace webui::rag

WEBUI_HOST_PLUGIN_WITH_DEPS(webui::rag::RagPlugin, "rag", "1.0.0",
                            "Documents and knowledge bases: extraction, embeddings, retrieval",
                            "auth", "files")
