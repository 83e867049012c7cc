// file_processor.v1 for the files plugin, and what /process/file, /process/text and the
// knowledge base routes share: extract, split, embed, store. A file is reported processed only
// once its chunks (and vectors) are committed, so the upload's status stream never says
// "completed" before a query can find the file (Open WebUI issue: empty context right after an
// upload).
#include <webui_host/services/file_processor.h>
#include <webui_host/sdk/transcription.hpp>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "extract/split.hpp"
#include "rag_plugin.hpp"
#include "settings.hpp"

namespace webui::rag {

using nlohmann::json;

namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("The file's bytes could not be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Str(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

RagPlugin::Slot::Slot(RagPlugin& p, const std::function<bool()>& cancelled) : p_(p) {
  std::unique_lock lock(p_.slots_mu_);
  while (p_.slots_free_ == 0) {
    if (p_.stopping_ || (cancelled && cancelled())) return;
    p_.slots_cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
  --p_.slots_free_;
  acquired_ = true;
}

RagPlugin::Slot::~Slot() {
  if (!acquired_) return;
  {
    std::lock_guard lock(p_.slots_mu_);
    ++p_.slots_free_;
  }
  p_.slots_cv_.notify_one();
}

std::vector<Document> RagPlugin::Extract(const json& file, const std::string& path,
                                         const std::function<bool()>& cancelled) {
  const json meta = file.value("meta", json::object());
  const std::string filename = Str(file, "filename");
  const std::string content_type = meta.is_object() ? Str(meta, "content_type") : "";
  const std::string engine = ReadString(*host_, keys::kExtractionEngine);
  if (cancelled && cancelled()) throw std::runtime_error("Cancelled");

  // Open WebUI transcribes an audio upload (and webm, which recorders label video) into its
  // text, through the audio module (transcription.v1) with its engine and allow-list.
  if (content_type.rfind("audio/", 0) == 0 || content_type.rfind("video/webm", 0) == 0) {
    const sdk::Transcription stt(*host_);
    if (!stt.Available())
      throw std::runtime_error("Audio files need the audio module for speech to text");
    const json data = meta.is_object() ? meta.value("data", json::object()) : json::object();
    const std::string language = data.is_object() ? Str(data, "language") : "";
    return {Document{stt.Transcribe(path, content_type, language), json::object()}};
  }

  if (engine == "tika" || engine == "external") {
    sdk::FetchRequest rq;
    rq.method = "PUT";
    rq.body = ReadAll(path);
    rq.connect_timeout_ms = 10'000;
    rq.total_timeout_ms = 300'000;
    if (engine == "tika") {
      rq.url = TrimSlash(ReadString(*host_, keys::kTikaUrl)) + "/tika/text";
      rq.headers = {{"Accept", "application/json"}};
      if (!content_type.empty()) rq.headers.emplace_back("Content-Type", content_type);
    } else {
      rq.url = TrimSlash(ReadString(*host_, keys::kExternalLoaderUrl)) + "/process";
      rq.headers = {{"X-Filename", PercentEncode(filename)}};
      if (!content_type.empty()) rq.headers.emplace_back("Content-Type", content_type);
      const std::string key = ReadString(*host_, keys::kExternalLoaderKey);
      if (!key.empty()) rq.headers.emplace_back("Authorization", "Bearer " + key);
    }
    auto r = host_->Fetch(rq);
    if (!r.ok()) throw std::runtime_error("The content extraction service could not be reached");
    if (r.http_status < 200 || r.http_status >= 300)
      throw std::runtime_error("The content extraction service answered HTTP " +
                               std::to_string(r.http_status));
    auto parsed = sdk::json::Parse(r.body);
    if (!parsed) throw std::runtime_error("The content extraction service returned invalid JSON");
    std::vector<Document> docs;
    if (engine == "tika") {
      docs.push_back({Str(*parsed, "X-TIKA:content"), json::object()});
    } else {
      // Open WebUI's ExternalDocumentLoader: one {page_content, metadata} or a list of them.
      const json items = parsed->is_array() ? *parsed : json::array({*parsed});
      for (const auto& item : items) {
        if (!item.is_object()) continue;
        json m = item.value("metadata", json::object());
        docs.push_back({Str(item, "page_content"), m.is_object() ? m : json::object()});
      }
    }
    return docs;
  }

  Extracted out = ExtractFile(path, filename, content_type, ExtractLimits{});
  if (!out.ok()) throw std::runtime_error(out.error);
  return std::move(out.documents);
}

std::vector<ChunkRecord> RagPlugin::MakeChunks(const std::vector<Document>& documents,
                                               const std::string& collection, const json& base_meta,
                                               const std::string& hash,
                                               const std::function<bool()>& cancelled) {
  SplitOptions split;
  split.splitter = ReadString(*host_, keys::kTextSplitter);
  const int64_t size = ReadInt(*host_, keys::kChunkSize, 1000);
  const int64_t overlap = ReadInt(*host_, keys::kChunkOverlap, 100);
  if (size <= 0 || overlap < 0 || overlap >= size)
    throw std::runtime_error("CHUNK_OVERLAP must be smaller than CHUNK_SIZE");
  split.chunk_size = static_cast<std::size_t>(size);
  split.chunk_overlap = static_cast<std::size_t>(overlap);
  const EmbedConfig embed = embedder_->Current();

  std::vector<ChunkRecord> records;
  for (const auto& doc : documents) {
    for (auto& chunk : Split(doc.text, split)) {
      ChunkRecord c;
      c.collection = collection;
      c.file_id = Str(base_meta, "file_id");
      c.hash = hash;
      c.metadata = base_meta;
      if (doc.metadata.is_object())
        for (auto it = doc.metadata.begin(); it != doc.metadata.end(); ++it)
          c.metadata[it.key()] = it.value();
      c.metadata["start_index"] = chunk.start_index;
      c.metadata["hash"] = hash;
      c.metadata["embedding_config"] = embed.Describe();
      if (!chunk.headings.empty()) c.metadata["headings"] = chunk.headings;
      c.text = std::move(chunk.text);
      records.push_back(std::move(c));
    }
  }
  if (records.empty()) throw std::runtime_error(kEmptyContent);
  if (embed.enabled()) {
    std::vector<std::string> texts;
    texts.reserve(records.size());
    for (const auto& r : records) texts.push_back(r.text);
    auto vectors = embedder_->EmbedDocuments(embed, texts, cancelled);
    for (std::size_t i = 0; i < records.size(); ++i) records[i].vector = std::move(vectors[i]);
  }
  return records;
}

json RagPlugin::ProcessFile(const json& file, const std::string& path,
                            const std::optional<std::string>& content,
                            const std::function<bool()>& cancelled) {
  const std::string id = Str(file, "id");
  if (id.empty()) throw std::runtime_error("The file has no id");
  const json meta = file.value("meta", json::object());
  std::string filename = meta.is_object() ? Str(meta, "name") : "";
  if (filename.empty()) filename = Str(file, "filename");

  std::vector<Document> docs;
  if (content) {
    docs.push_back({*content, json::object()});
  } else {
    docs = Extract(file, path, cancelled);
  }
  std::string text;
  for (std::size_t i = 0; i < docs.size(); ++i) text += (i ? " " : "") + docs[i].text;
  if (ReadBool(*host_, keys::kBypass, false)) return {{"content", text}, {"meta", json::object()}};

  const std::string collection = "file-" + id;
  const json base = {{"name", filename},
                     {"source", filename},
                     {"file_id", id},
                     {"created_by", Str(file, "user_id")}};
  Slot slot(*this, cancelled);
  if (!slot.acquired()) throw std::runtime_error("Cancelled");
  auto records = MakeChunks(docs, collection, base, Sha256Hex(text), cancelled);
  if (cancelled && cancelled()) throw std::runtime_error("Cancelled");
  store_->ReplaceFile(collection, id, records);
  return {{"content", text}, {"meta", {{"collection_name", collection}}}};
}

namespace {

wh_status Process(void* self, wh_str file_json, wh_str path, wh_str options_json,
                  int (*cancelled)(void*), void* cancel_user, wh_str_sink sink, void* sink_user) {
  auto* plugin = static_cast<RagPlugin*>(self);
  const auto is_cancelled = [&] { return cancelled != nullptr && cancelled(cancel_user) != 0; };
  std::string error;
  try {
    auto file = sdk::json::Parse(sdk::FromWh(file_json));
    auto options = sdk::json::Parse(sdk::FromWh(options_json));
    if (!file || !file->is_object()) throw std::runtime_error("Invalid file");
    std::optional<std::string> content;
    if (options && options->is_object() && (*options)["content"].is_string())
      content = (*options)["content"].get<std::string>();
    const json out =
        plugin->ProcessFile(*file, std::string(sdk::FromWh(path)), content, is_cancelled);
    const std::string text = sdk::json::Dump(out);
    sink(sink_user, sdk::ToWh(text));
    return WH_OK;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "Processing failed";
  }
  if (is_cancelled()) return WH_ABORTED;
  sink(sink_user, sdk::ToWh(error));
  return WH_ERROR;
}

}  // namespace

void RagPlugin::OfferFileProcessor() {
  static const wh_file_processor_v1 vtable = {
      sizeof(wh_file_processor_v1),
      &Process,
      [](void* self, wh_str file_id) {
        try {
          static_cast<RagPlugin*>(self)->store_->DeleteFileEverywhere(
              std::string(sdk::FromWh(file_id)));
        } catch (...) {
          // The database is down: the chunks stay until the collection is reset.
        }
      },
      {}};
  host_->OfferService(WH_SERVICE_FILE_PROCESSOR_V1, &vtable, this);
}

}  // namespace webui::rag
