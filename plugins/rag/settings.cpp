#include "settings.hpp"

#include <webui_host/sdk/json.hpp>

#include <string_view>

#include "extract/utf8.hpp"

namespace webui::rag {
namespace {

using nlohmann::json;

std::string Quoted(std::string_view s) { return json(std::string(s)).dump(); }

// The env value of the first name set, as Open WebUI's `os.environ.get(a, os.environ.get(b))`.
std::optional<std::string> FirstEnv(const sdk::Host& host,
                                    std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (auto v = host.Env(n)) return v;
  return std::nullopt;
}

// The admin pages' Web Search keys whose values the page calls .join() on: always arrays.
constexpr const char* kWebArrayKeys[] = {"WEB_SEARCH_DOMAIN_FILTER_LIST",
                                         "YOUTUBE_LOADER_LANGUAGE"};

json DefaultWebForm() {
  return {{"ENABLE_WEB_SEARCH", false},
          {"WEB_SEARCH_ENGINE", ""},
          {"WEB_SEARCH_TRUST_ENV", false},
          {"WEB_SEARCH_RESULT_COUNT", 3},
          {"WEB_SEARCH_CONCURRENT_REQUESTS", 10},
          {"WEB_LOADER_CONCURRENT_REQUESTS", 10},
          {"WEB_SEARCH_DOMAIN_FILTER_LIST", json::array()},
          {"BYPASS_WEB_SEARCH_EMBEDDING_AND_RETRIEVAL", false},
          {"BYPASS_WEB_SEARCH_WEB_LOADER", false},
          {"SEARXNG_QUERY_URL", ""},
          {"YACY_QUERY_URL", ""},
          {"YACY_USERNAME", ""},
          {"YACY_PASSWORD", ""},
          {"GOOGLE_PSE_API_KEY", ""},
          {"GOOGLE_PSE_ENGINE_ID", ""},
          {"BRAVE_SEARCH_API_KEY", ""},
          {"KAGI_SEARCH_API_KEY", ""},
          {"MOJEEK_SEARCH_API_KEY", ""},
          {"BOCHA_SEARCH_API_KEY", ""},
          {"SERPSTACK_API_KEY", ""},
          {"SERPSTACK_HTTPS", true},
          {"SERPER_API_KEY", ""},
          {"SERPLY_API_KEY", ""},
          {"TAVILY_API_KEY", ""},
          {"TAVILY_EXTRACT_DEPTH", "basic"},
          {"SEARCHAPI_API_KEY", ""},
          {"SEARCHAPI_ENGINE", ""},
          {"SERPAPI_API_KEY", ""},
          {"SERPAPI_ENGINE", ""},
          {"JINA_API_KEY", ""},
          {"BING_SEARCH_V7_ENDPOINT", "https://api.bing.microsoft.com/v7.0/search"},
          {"BING_SEARCH_V7_SUBSCRIPTION_KEY", ""},
          {"EXA_API_KEY", ""},
          {"PERPLEXITY_API_KEY", ""},
          {"PERPLEXITY_MODEL", "sonar"},
          {"PERPLEXITY_SEARCH_CONTEXT_USAGE", "medium"},
          {"SOUGOU_API_SID", ""},
          {"SOUGOU_API_SK", ""},
          {"WEB_LOADER_ENGINE", ""},
          {"ENABLE_WEB_LOADER_SSL_VERIFICATION", true},
          {"PLAYWRIGHT_WS_URL", ""},
          {"PLAYWRIGHT_TIMEOUT", 10000},
          {"FIRECRAWL_API_KEY", ""},
          {"FIRECRAWL_API_BASE_URL", "https://api.firecrawl.dev"},
          {"EXTERNAL_WEB_SEARCH_URL", ""},
          {"EXTERNAL_WEB_SEARCH_API_KEY", ""},
          {"EXTERNAL_WEB_LOADER_URL", ""},
          {"EXTERNAL_WEB_LOADER_API_KEY", ""},
          {"YOUTUBE_LOADER_LANGUAGE", json::array({"en"})},
          {"YOUTUBE_LOADER_PROXY_URL", ""},
          {"YOUTUBE_LOADER_TRANSLATION", nullptr}};
}

// Open WebUI's comma-separated list variables (the host's own list syntax is ';'): items
// stripped, empty ones dropped.
json CommaList(std::string_view text) {
  json list = json::array();
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = utf8::Strip(text.substr(0, comma));
    if (!item.empty()) list.push_back(std::string(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return list;
}

// The Web Search page's defaults with Open WebUI's environment variables (named as the keys)
// over them: booleans "true"/"false", numbers, comma-separated lists.
json EnvWebForm(const sdk::Host& host) {
  json form = DefaultWebForm();
  for (auto it = form.begin(); it != form.end(); ++it) {
    const auto env = host.Env(it.key());
    if (!env) continue;
    json& v = it.value();
    if (v.is_boolean()) {
      v = sdk::LowerAscii(*env) == "true";
    } else if (v.is_number_integer()) {
      if (auto n = sdk::json::Parse(*env); n && n->is_number_integer()) v = *n;
    } else if (v.is_array()) {
      v = CommaList(*env);
    } else {
      v = *env;
    }
  }
  return form;
}

const char* TypeName(KeyType t) {
  switch (t) {
    case KeyType::kBool:
      return "bool_type";
    case KeyType::kInt:
    case KeyType::kOptInt:
      return "int_type";
    case KeyType::kNumber:
    case KeyType::kOptNumber:
      return "float_type";
    case KeyType::kString:
      return "string_type";
    case KeyType::kStringList:
      return "list_type";
    case KeyType::kObject:
      return "dict_type";
  }
  return "type_error";
}

const char* TypeMessage(KeyType t) {
  switch (t) {
    case KeyType::kBool:
      return "Input should be a valid boolean";
    case KeyType::kInt:
    case KeyType::kOptInt:
      return "Input should be a valid integer";
    case KeyType::kNumber:
    case KeyType::kOptNumber:
      return "Input should be a valid number";
    case KeyType::kString:
      return "Input should be a valid string";
    case KeyType::kStringList:
      return "Input should be a valid list of strings";
    case KeyType::kObject:
      return "Input should be a valid dictionary";
  }
  return "Invalid value";
}

bool Fits(const json& v, KeyType t) {
  switch (t) {
    case KeyType::kBool:
      return v.is_boolean();
    case KeyType::kInt:
    case KeyType::kOptInt:
      return v.is_number_integer() ||
             (v.is_number_float() &&
              v.get<double>() == static_cast<double>(static_cast<int64_t>(v.get<double>())));
    case KeyType::kNumber:
    case KeyType::kOptNumber:
      return v.is_number();
    case KeyType::kString:
      return v.is_string();
    case KeyType::kStringList:
      if (!v.is_array()) return false;
      for (const auto& e : v)
        if (!e.is_string()) return false;
      return true;
    case KeyType::kObject:
      return v.is_object();
  }
  return false;
}

json Normalised(const json& v, KeyType t) {
  if ((t == KeyType::kInt || t == KeyType::kOptInt) && v.is_number_float())
    return static_cast<int64_t>(v.get<double>());
  return v;
}

}  // namespace

const char* const kDefaultRagTemplate =
    "### Task:\nRespond to the user query using the provided context, incorporating inline "
    "citations in the format [id] **only when the <source> tag includes an explicit id "
    "attribute** (e.g., <source id=\"1\">).\n\n### Guidelines:\n- If you don't know the answer, "
    "clearly state that.\n- If uncertain, ask the user for clarification.\n- Respond in the same "
    "language as the user's query.\n- If the context is unreadable or of poor quality, inform the "
    "user and provide the best possible answer.\n- If the answer isn't present in the context but "
    "you possess the knowledge, explain this to the user and provide the answer using your own "
    "understanding.\n- **Only include inline citations using [id] (e.g., [1], [2]) when the "
    "<source> tag includes an id attribute.**\n- Do not cite if the <source> tag does not contain "
    "an id attribute.\n- Do not use XML tags in your response.\n- Ensure citations are concise and "
    "directly related to the information provided.\n\n### Example of Citation:\nIf the user asks "
    "about a specific topic and the information is found in a source with a provided id "
    "attribute, the response should include the citation like in the following example:\n* "
    "\"According to the study, the proposed method increases efficiency by 20% [1].\"\n\n### "
    "Output:\nProvide a clear and direct response to the user's query, including inline "
    "citations in the format [id] only when the <source> tag with id attribute is present in the "
    "context.\n\n<context>\n{{CONTEXT}}\n</context>\n\n<user_query>\n{{QUERY}}\n</user_query>\n";

const std::vector<ConfigKey>& ConfigKeys() {
  using K = KeyType;
  static const std::vector<ConfigKey> k = {
      {"RAG_TEMPLATE", keys::kTemplate, "RAG_TEMPLATE", nullptr, K::kString},
      {"TOP_K", keys::kTopK, "RAG_TOP_K", "3", K::kInt},
      {"BYPASS_EMBEDDING_AND_RETRIEVAL", keys::kBypass, "BYPASS_EMBEDDING_AND_RETRIEVAL", "false",
       K::kBool},
      {"RAG_FULL_CONTEXT", keys::kFullContext, "RAG_FULL_CONTEXT", "false", K::kBool},
      {"ENABLE_RAG_HYBRID_SEARCH", keys::kHybrid, "ENABLE_RAG_HYBRID_SEARCH", "false", K::kBool},
      {"TOP_K_RERANKER", keys::kTopKReranker, "RAG_TOP_K_RERANKER", "3", K::kInt},
      {"RELEVANCE_THRESHOLD", keys::kRelevanceThreshold, "RAG_RELEVANCE_THRESHOLD", "0.0",
       K::kNumber},
      {"HYBRID_BM25_WEIGHT", keys::kHybridBm25Weight, "RAG_HYBRID_BM25_WEIGHT", "0.5",
       K::kOptNumber},
      {"RAG_RERANKING_ENGINE", keys::kRerankingEngine, "RAG_RERANKING_ENGINE", R"("")", K::kString},
      {"RAG_RERANKING_MODEL", keys::kRerankingModel, "RAG_RERANKING_MODEL", R"("")", K::kString},
      {"RAG_EXTERNAL_RERANKER_URL", keys::kRerankerUrl, "RAG_EXTERNAL_RERANKER_URL", R"("")",
       K::kString},
      {"RAG_EXTERNAL_RERANKER_API_KEY", keys::kRerankerKey, "RAG_EXTERNAL_RERANKER_API_KEY",
       R"("")", K::kString},
      {"TEXT_SPLITTER", keys::kTextSplitter, "RAG_TEXT_SPLITTER", R"("")", K::kString},
      {"CHUNK_SIZE", keys::kChunkSize, "CHUNK_SIZE", "1000", K::kInt},
      {"CHUNK_OVERLAP", keys::kChunkOverlap, "CHUNK_OVERLAP", "100", K::kInt},
      {"FILE_MAX_SIZE", keys::kFileMaxSize, "RAG_FILE_MAX_SIZE", "null", K::kOptNumber},
      {"FILE_MAX_COUNT", keys::kFileMaxCount, "RAG_FILE_MAX_COUNT", "null", K::kOptInt},
      {"FILE_IMAGE_COMPRESSION_WIDTH", keys::kImageWidth, "FILE_IMAGE_COMPRESSION_WIDTH", "null",
       K::kOptInt},
      {"FILE_IMAGE_COMPRESSION_HEIGHT", keys::kImageHeight, "FILE_IMAGE_COMPRESSION_HEIGHT", "null",
       K::kOptInt},
      // Comma-separated in the environment: read by DeclareSettings itself.
      {"ALLOWED_FILE_EXTENSIONS", keys::kAllowedExtensions, "", "[]", K::kStringList},
      {"ENABLE_GOOGLE_DRIVE_INTEGRATION", "google_drive.enable", "ENABLE_GOOGLE_DRIVE_INTEGRATION",
       "false", K::kBool},
      {"ENABLE_ONEDRIVE_INTEGRATION", "onedrive.enable", "ENABLE_ONEDRIVE_INTEGRATION", "false",
       K::kBool},
      {"CONTENT_EXTRACTION_ENGINE", keys::kExtractionEngine, "CONTENT_EXTRACTION_ENGINE", R"("")",
       K::kString},
      {"PDF_EXTRACT_IMAGES", "rag.pdf_extract_images", "PDF_EXTRACT_IMAGES", "false", K::kBool},
      {"EXTERNAL_DOCUMENT_LOADER_URL", keys::kExternalLoaderUrl, "EXTERNAL_DOCUMENT_LOADER_URL",
       R"("")", K::kString},
      {"EXTERNAL_DOCUMENT_LOADER_API_KEY", keys::kExternalLoaderKey,
       "EXTERNAL_DOCUMENT_LOADER_API_KEY", R"("")", K::kString},
      {"TIKA_SERVER_URL", keys::kTikaUrl, "TIKA_SERVER_URL", R"("http://tika:9998")", K::kString},
      {"DOCLING_SERVER_URL", "rag.docling_server_url", "DOCLING_SERVER_URL",
       R"("http://docling:5001")", K::kString},
      {"DOCLING_DO_OCR", "rag.docling_do_ocr", "DOCLING_DO_OCR", "true", K::kBool},
      {"DOCLING_FORCE_OCR", "rag.docling_force_ocr", "DOCLING_FORCE_OCR", "false", K::kBool},
      {"DOCLING_OCR_ENGINE", "rag.docling_ocr_engine", "DOCLING_OCR_ENGINE", R"("tesseract")",
       K::kString},
      {"DOCLING_OCR_LANG", "rag.docling_ocr_lang", "DOCLING_OCR_LANG", R"("eng,fra,deu,spa")",
       K::kString},
      {"DOCLING_PDF_BACKEND", "rag.docling_pdf_backend", "DOCLING_PDF_BACKEND", R"("dlparse_v4")",
       K::kString},
      {"DOCLING_TABLE_MODE", "rag.docling_table_mode", "DOCLING_TABLE_MODE", R"("accurate")",
       K::kString},
      {"DOCLING_PIPELINE", "rag.docling_pipeline", "DOCLING_PIPELINE", R"("standard")", K::kString},
      {"DOCLING_DO_PICTURE_DESCRIPTION", "rag.docling_do_picture_description",
       "DOCLING_DO_PICTURE_DESCRIPTION", "false", K::kBool},
      {"DOCLING_PICTURE_DESCRIPTION_MODE", "rag.docling_picture_description_mode",
       "DOCLING_PICTURE_DESCRIPTION_MODE", R"("")", K::kString},
      {"DOCLING_PICTURE_DESCRIPTION_LOCAL", "rag.docling_picture_description_local",
       "DOCLING_PICTURE_DESCRIPTION_LOCAL", "{}", K::kObject},
      {"DOCLING_PICTURE_DESCRIPTION_API", "rag.docling_picture_description_api",
       "DOCLING_PICTURE_DESCRIPTION_API", "{}", K::kObject},
      {"DATALAB_MARKER_API_KEY", "rag.datalab_marker_api_key", "DATALAB_MARKER_API_KEY", R"("")",
       K::kString},
      {"DATALAB_MARKER_API_BASE_URL", "rag.datalab_marker_api_base_url",
       "DATALAB_MARKER_API_BASE_URL", R"("")", K::kString},
      {"DATALAB_MARKER_ADDITIONAL_CONFIG", "rag.datalab_marker_additional_config",
       "DATALAB_MARKER_ADDITIONAL_CONFIG", R"("")", K::kString},
      {"DATALAB_MARKER_SKIP_CACHE", "rag.datalab_marker_skip_cache", "DATALAB_MARKER_SKIP_CACHE",
       "false", K::kBool},
      {"DATALAB_MARKER_FORCE_OCR", "rag.datalab_marker_force_ocr", "DATALAB_MARKER_FORCE_OCR",
       "false", K::kBool},
      {"DATALAB_MARKER_PAGINATE", "rag.datalab_marker_paginate", "DATALAB_MARKER_PAGINATE", "false",
       K::kBool},
      {"DATALAB_MARKER_STRIP_EXISTING_OCR", "rag.datalab_marker_strip_existing_ocr",
       "DATALAB_MARKER_STRIP_EXISTING_OCR", "false", K::kBool},
      {"DATALAB_MARKER_DISABLE_IMAGE_EXTRACTION", "rag.datalab_marker_disable_image_extraction",
       "DATALAB_MARKER_DISABLE_IMAGE_EXTRACTION", "false", K::kBool},
      {"DATALAB_MARKER_FORMAT_LINES", "rag.datalab_marker_format_lines",
       "DATALAB_MARKER_FORMAT_LINES", "false", K::kBool},
      {"DATALAB_MARKER_USE_LLM", "rag.datalab_marker_use_llm", "DATALAB_MARKER_USE_LLM", "false",
       K::kBool},
      {"DATALAB_MARKER_OUTPUT_FORMAT", "rag.datalab_marker_output_format",
       "DATALAB_MARKER_OUTPUT_FORMAT", R"("markdown")", K::kString},
      {"DOCUMENT_INTELLIGENCE_ENDPOINT", "rag.document_intelligence_endpoint",
       "DOCUMENT_INTELLIGENCE_ENDPOINT", R"("")", K::kString},
      {"DOCUMENT_INTELLIGENCE_KEY", "rag.document_intelligence_key", "DOCUMENT_INTELLIGENCE_KEY",
       R"("")", K::kString},
      {"MISTRAL_OCR_API_KEY", "rag.mistral_ocr_api_key", "MISTRAL_OCR_API_KEY", R"("")",
       K::kString},
  };
  return k;
}

void DeclareSettings(sdk::Host& host) {
  for (const auto& k : ConfigKeys()) {
    std::string def = k.default_json ? k.default_json : Quoted(kDefaultRagTemplate);
    if (std::string_view(k.path) == keys::kAllowedExtensions) {
      // Open WebUI splits RAG_ALLOWED_FILE_EXTENSIONS on commas (the host's list syntax is ';').
      const auto env = FirstEnv(host, {"RAG_ALLOWED_FILE_EXTENSIONS", "ALLOWED_FILE_EXTENSIONS"});
      def = (env ? CommaList(*env) : json::array()).dump();
    }
    host.DeclareConfig(k.path, k.env, def);
  }
  host.DeclareConfig(keys::kWeb, "", EnvWebForm(host).dump());

  host.DeclareConfig(keys::kEmbeddingEngine, "RAG_EMBEDDING_ENGINE", R"("")");
  host.DeclareConfig(keys::kEmbeddingModel, "RAG_EMBEDDING_MODEL",
                     R"("sentence-transformers/all-MiniLM-L6-v2")");
  host.DeclareConfig(keys::kEmbeddingBatchSize, "RAG_EMBEDDING_BATCH_SIZE",
                     host.Env("RAG_EMBEDDING_OPENAI_BATCH_SIZE").value_or("1"));
  host.DeclareConfig(keys::kOpenAiUrl, "RAG_OPENAI_API_BASE_URL",
                     Quoted(host.Env("OPENAI_API_BASE_URL").value_or("https://api.openai.com/v1")));
  host.DeclareConfig(keys::kOpenAiKey, "RAG_OPENAI_API_KEY",
                     Quoted(host.Env("OPENAI_API_KEY").value_or("")));
  host.DeclareConfig(keys::kOllamaUrl, "RAG_OLLAMA_BASE_URL",
                     Quoted(host.Env("OLLAMA_BASE_URL").value_or("http://localhost:11434")));
  host.DeclareConfig(keys::kOllamaKey, "RAG_OLLAMA_API_KEY", R"("")");
  host.DeclareConfig(keys::kAzureUrl, "RAG_AZURE_OPENAI_BASE_URL", R"("")");
  host.DeclareConfig(keys::kAzureKey, "RAG_AZURE_OPENAI_API_KEY", R"("")");
  host.DeclareConfig(keys::kAzureVersion, "RAG_AZURE_OPENAI_API_VERSION", R"("")");

  host.DeclareConfig(keys::kHnswMinChunks, "WEBUI_RAG_HNSW_MIN_CHUNKS", "2000", false);
  host.DeclareConfig(keys::kEmbeddingConcurrency, "WEBUI_RAG_EMBEDDING_CONCURRENCY", "4", false);
}

json Read(const sdk::Host& host, const char* path) {
  if (auto text = host.ConfigJson(path)) {
    if (auto parsed = sdk::json::Parse(*text)) return std::move(*parsed);
  }
  return nullptr;
}
std::string ReadString(const sdk::Host& host, const char* path, const char* fallback) {
  const json v = Read(host, path);
  return v.is_string() ? v.get<std::string>() : std::string(fallback);
}
int64_t ReadInt(const sdk::Host& host, const char* path, int64_t fallback) {
  const json v = Read(host, path);
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return static_cast<int64_t>(v.get<double>());
  return fallback;
}
double ReadNumber(const sdk::Host& host, const char* path, double fallback) {
  const json v = Read(host, path);
  return v.is_number() ? v.get<double>() : fallback;
}
bool ReadBool(const sdk::Host& host, const char* path, bool fallback) {
  const json v = Read(host, path);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

json ConfigForm(const sdk::Host& host) {
  json out = {{"status", true}};
  for (const auto& k : ConfigKeys()) out[k.form_key] = Read(host, k.path);
  out["web"] = WebForm(host);
  return out;
}

json WebForm(const sdk::Host& host) {
  json web = EnvWebForm(host);
  const json stored = Read(host, keys::kWeb);
  if (stored.is_object()) web.update(stored);
  for (const char* a : kWebArrayKeys)
    if (!web[a].is_array()) web[a] = json::array();
  return web;
}

void SaveConfigForm(sdk::Host& host, const json& form) {
  // Every check before any write: a 422 leaves the settings as they were.
  for (const auto& k : ConfigKeys()) {
    auto it = form.find(k.form_key);
    if (it == form.end() || it->is_null()) continue;
    if (!Fits(*it, k.type))
      throw sdk::Unprocessable(TypeName(k.type), k.form_key, TypeMessage(k.type));
  }
  const json* web = nullptr;
  if (auto it = form.find("web"); it != form.end() && !it->is_null()) {
    if (!it->is_object())
      throw sdk::Unprocessable("dict_type", "web", "Input should be a valid dictionary");
    for (const char* a : kWebArrayKeys) {
      auto v = it->find(a);
      if (v != it->end() && !v->is_null() && !Fits(*v, KeyType::kStringList))
        throw sdk::Unprocessable("list_type", a, "Input should be a valid list");
    }
    web = &*it;
  }
  for (const auto& k : ConfigKeys()) {
    auto it = form.find(k.form_key);
    if (it == form.end() || it->is_null()) continue;
    host.SetConfig(k.path, Normalised(*it, k.type).dump());
  }
  if (web) {
    json merged = Read(host, keys::kWeb);
    if (!merged.is_object()) merged = DefaultWebForm();
    for (auto it = web->begin(); it != web->end(); ++it)
      if (!it.value().is_null()) merged[it.key()] = it.value();
    host.SetConfig(keys::kWeb, merged.dump());
  }
}

json EmbeddingForm(const sdk::Host& host) {
  return {
      {"status", true},
      {"embedding_engine", ReadString(host, keys::kEmbeddingEngine)},
      {"embedding_model", ReadString(host, keys::kEmbeddingModel)},
      {"embedding_batch_size", ReadInt(host, keys::kEmbeddingBatchSize, 1)},
      {"openai_config",
       {{"url", ReadString(host, keys::kOpenAiUrl)}, {"key", ReadString(host, keys::kOpenAiKey)}}},
      {"ollama_config",
       {{"url", ReadString(host, keys::kOllamaUrl)}, {"key", ReadString(host, keys::kOllamaKey)}}},
      {"azure_openai_config",
       {{"url", ReadString(host, keys::kAzureUrl)},
        {"key", ReadString(host, keys::kAzureKey)},
        {"version", ReadString(host, keys::kAzureVersion)}}}};
}

namespace {
std::optional<std::string> FormString(const json& form, const char* field, bool required) {
  auto it = form.find(field);
  if (it == form.end() || it->is_null()) {
    if (required) throw sdk::Unprocessable("missing", field, "Field required");
    return std::nullopt;
  }
  if (!it->is_string())
    throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return it->get<std::string>();
}
const json* FormObject(const json& form, const char* field) {
  auto it = form.find(field);
  if (it == form.end() || it->is_null()) return nullptr;
  if (!it->is_object())
    throw sdk::Unprocessable("dict_type", field, "Input should be a valid dictionary");
  for (auto v = it->begin(); v != it->end(); ++v)
    if (!v.value().is_string() && !v.value().is_null())
      throw sdk::Unprocessable("string_type", field, "Input should be a valid string");
  return &*it;
}
void SetFromObject(sdk::Host& host, const json* obj, const char* field, const char* path) {
  if (!obj) return;
  auto it = obj->find(field);
  if (it != obj->end() && it->is_string()) host.SetConfig(path, it->dump());
}
}  // namespace

void SaveEmbeddingForm(sdk::Host& host, const json& form) {
  const auto engine = FormString(form, "embedding_engine", true);
  const auto model = FormString(form, "embedding_model", true);
  if (*engine != "" && *engine != "openai" && *engine != "ollama" && *engine != "azure_openai")
    throw sdk::Unprocessable("literal_error", "embedding_engine",
                             "Input should be '', 'openai', 'ollama' or 'azure_openai'");
  std::optional<int64_t> batch;
  if (auto it = form.find("embedding_batch_size"); it != form.end() && !it->is_null()) {
    if (!Fits(*it, KeyType::kInt) || Normalised(*it, KeyType::kInt).get<int64_t>() < 1)
      throw sdk::Unprocessable("int_type", "embedding_batch_size",
                               "Input should be a valid integer");
    batch = Normalised(*it, KeyType::kInt).get<int64_t>();
  }
  const json* openai = FormObject(form, "openai_config");
  const json* ollama = FormObject(form, "ollama_config");
  const json* azure = FormObject(form, "azure_openai_config");

  host.SetConfig(keys::kEmbeddingEngine, json(*engine).dump());
  host.SetConfig(keys::kEmbeddingModel, json(*model).dump());
  // Open WebUI keeps the remote settings only for a remote engine.
  if (engine->empty()) return;
  if (batch) host.SetConfig(keys::kEmbeddingBatchSize, json(*batch).dump());
  SetFromObject(host, openai, "url", keys::kOpenAiUrl);
  SetFromObject(host, openai, "key", keys::kOpenAiKey);
  SetFromObject(host, ollama, "url", keys::kOllamaUrl);
  SetFromObject(host, ollama, "key", keys::kOllamaKey);
  SetFromObject(host, azure, "url", keys::kAzureUrl);
  SetFromObject(host, azure, "key", keys::kAzureKey);
  SetFromObject(host, azure, "version", keys::kAzureVersion);
}

json StatusForm(const sdk::Host& host) {
  const std::string engine = ReadString(host, keys::kEmbeddingEngine);
  return {{"status", true},
          {"chunk_size", ReadInt(host, keys::kChunkSize, 1000)},
          {"chunk_overlap", ReadInt(host, keys::kChunkOverlap, 100)},
          {"template", ReadString(host, keys::kTemplate, kDefaultRagTemplate)},
          {"embedding_engine", engine},
          {"embedding_model", ReadString(host, keys::kEmbeddingModel)},
          {"reranking_model", ReadString(host, keys::kRerankingModel)},
          {"embedding_batch_size", ReadInt(host, keys::kEmbeddingBatchSize, 1)},
          // This server's addition: with no embedding engine there are no vectors.
          {"retrieval_mode", engine.empty() ? "keyword" : "vector"}};
}

json FileApiConfig(const sdk::Host& host) {
  return {{"max_size", Read(host, keys::kFileMaxSize)},
          {"max_count", Read(host, keys::kFileMaxCount)},
          {"image_compression",
           {{"width", Read(host, keys::kImageWidth)}, {"height", Read(host, keys::kImageHeight)}}}};
}

}  // namespace webui::rag
