#include "embedder.hpp"

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "../settings.hpp"
#include "../store/vector_store.hpp"
#include "../util.hpp"

namespace webui::rag {
namespace {

using nlohmann::json;

constexpr int kMaxAttempts = 5;
constexpr int kMaxRetryAfterSeconds = 30;

std::string HeaderValue(const sdk::Headers& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (sdk::IEquals(k, name)) return v;
  return "";
}

// Sleeps up to `seconds`, waking early when cancelled.
void Wait(double seconds, const std::function<bool()>& cancelled) {
  const auto until = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled && cancelled()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::vector<float> ToVector(const json& v) {
  if (!v.is_array() || v.empty()) throw EmbedError("The embedding service returned no vector");
  std::vector<float> out;
  out.reserve(v.size());
  for (const auto& x : v) {
    if (!x.is_number()) throw EmbedError("The embedding service returned an invalid vector");
    out.push_back(x.get<float>());
  }
  Normalise(out);
  return out;
}

}  // namespace

std::string EmbedConfig::Describe() const {
  return json{{"engine", engine}, {"model", model}}.dump();
}

EmbedConfig Embedder::Current() const {
  EmbedConfig c;
  c.engine = ReadString(host_, keys::kEmbeddingEngine);
  c.model = ReadString(host_, keys::kEmbeddingModel);
  c.batch_size = static_cast<std::size_t>(
      std::clamp<int64_t>(ReadInt(host_, keys::kEmbeddingBatchSize, 1), 1, 2048));
  c.concurrency = static_cast<std::size_t>(
      std::clamp<int64_t>(ReadInt(host_, keys::kEmbeddingConcurrency, 4), 1, 64));
  if (c.engine == "openai") {
    c.url = ReadString(host_, keys::kOpenAiUrl);
    c.key = ReadString(host_, keys::kOpenAiKey);
  } else if (c.engine == "ollama") {
    c.url = ReadString(host_, keys::kOllamaUrl);
    c.key = ReadString(host_, keys::kOllamaKey);
  } else if (c.engine == "azure_openai") {
    c.url = ReadString(host_, keys::kAzureUrl);
    c.key = ReadString(host_, keys::kAzureKey);
    c.azure_version = ReadString(host_, keys::kAzureVersion);
  }
  c.query_prefix = host_.Env("RAG_EMBEDDING_QUERY_PREFIX").value_or("");
  c.content_prefix = host_.Env("RAG_EMBEDDING_CONTENT_PREFIX").value_or("");
  c.prefix_field = host_.Env("RAG_EMBEDDING_PREFIX_FIELD_NAME").value_or("");
  return c;
}

std::vector<std::vector<float>> Embedder::Batch(const EmbedConfig& config,
                                                const std::vector<std::string>& inputs,
                                                const std::string& prefix,
                                                const std::function<bool()>& cancelled) {
  json body = {{"input", json::array()}};
  for (const auto& text : inputs) {
    // Open WebUI embeds the text with newlines as spaces; a prefix goes in front of it, or into
    // its own field when RAG_EMBEDDING_PREFIX_FIELD_NAME names one.
    std::string in = text;
    std::replace(in.begin(), in.end(), '\n', ' ');
    if (!prefix.empty() && config.prefix_field.empty()) in = prefix + in;
    body["input"].push_back(std::move(in));
  }
  if (!prefix.empty() && !config.prefix_field.empty()) body[config.prefix_field] = prefix;

  sdk::FetchRequest rq;
  rq.method = "POST";
  rq.headers = {{"Content-Type", "application/json"}};
  const std::string base = TrimSlash(config.url);
  if (config.engine == "openai") {
    rq.url = base + "/embeddings";
    body["model"] = config.model;
    rq.headers.emplace_back("Authorization", "Bearer " + config.key);
  } else if (config.engine == "ollama") {
    rq.url = base + "/api/embed";
    body["model"] = config.model;
    rq.headers.emplace_back("Authorization", "Bearer " + config.key);
  } else if (config.engine == "azure_openai") {
    rq.url = base + "/openai/deployments/" + config.model +
             "/embeddings?api-version=" + config.azure_version;
    rq.headers.emplace_back("api-key", config.key);
  } else {
    throw EmbedError("Unknown embedding engine");
  }
  rq.body = sdk::json::Dump(body);
  rq.connect_timeout_ms = 10'000;
  rq.read_timeout_ms = 120'000;
  rq.total_timeout_ms = 300'000;

  for (int attempt = 1;; ++attempt) {
    if (cancelled && cancelled()) throw EmbedError("Cancelled");
    sdk::FetchResult r = host_.Fetch(rq);
    if (!r.ok()) throw EmbedError("The embedding service could not be reached");
    if (r.http_status == 429 && attempt < kMaxAttempts) {
      double wait = static_cast<double>(1 << (attempt - 1));
      const std::string after = HeaderValue(r.headers, "Retry-After");
      if (!after.empty() && after.find_first_not_of("0123456789.") == std::string::npos)
        wait = std::stod(after);
      Wait(std::min<double>(wait, kMaxRetryAfterSeconds), cancelled);
      continue;
    }
    if (r.http_status < 200 || r.http_status >= 300)
      throw EmbedError("The embedding service answered HTTP " + std::to_string(r.http_status));
    auto parsed = sdk::json::Parse(r.body);
    if (!parsed || !parsed->is_object())
      throw EmbedError("The embedding service returned invalid JSON");
    std::vector<std::vector<float>> out;
    if (config.engine == "ollama") {
      auto it = parsed->find("embeddings");
      if (it == parsed->end() || !it->is_array())
        throw EmbedError("The embedding service returned no embeddings");
      for (const auto& v : *it) out.push_back(ToVector(v));
    } else {
      auto it = parsed->find("data");
      if (it == parsed->end() || !it->is_array())
        throw EmbedError("The embedding service returned no embeddings");
      out.resize(it->size());
      std::size_t pos = 0;
      for (const auto& item : *it) {
        std::size_t at = pos++;
        if (item.contains("index") && item["index"].is_number_unsigned())
          at = item["index"].get<std::size_t>();
        if (at >= out.size() || !item.is_object())
          throw EmbedError("The embedding service returned an invalid item");
        out[at] = ToVector(item.value("embedding", json()));
      }
    }
    if (out.size() != inputs.size())
      throw EmbedError("The embedding service returned " + std::to_string(out.size()) +
                       " vectors for " + std::to_string(inputs.size()) + " texts");
    return out;
  }
}

std::vector<std::vector<float>> Embedder::EmbedDocuments(const EmbedConfig& config,
                                                         const std::vector<std::string>& texts,
                                                         const std::function<bool()>& cancelled) {
  std::vector<std::vector<float>> out(texts.size());
  if (texts.empty()) return out;
  const std::size_t batches = (texts.size() + config.batch_size - 1) / config.batch_size;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mu;
  std::string error;
  const auto worker = [&] {
    for (;;) {
      const std::size_t b = next++;
      if (b >= batches || failed) return;
      const std::size_t from = b * config.batch_size;
      const std::size_t to = std::min(texts.size(), from + config.batch_size);
      try {
        auto vectors =
            Batch(config, std::vector<std::string>(texts.begin() + from, texts.begin() + to),
                  config.content_prefix, [&] { return failed || (cancelled && cancelled()); });
        for (std::size_t i = 0; i < vectors.size(); ++i) out[from + i] = std::move(vectors[i]);
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mu);
        if (!failed) error = e.what();
        failed = true;
        return;
      }
    }
  };
  const std::size_t threads = std::min(config.concurrency, batches);
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failed) throw EmbedError(error);
  return out;
}

std::vector<float> Embedder::EmbedQuery(const EmbedConfig& config, const std::string& query) {
  auto v = Batch(config, {query}, config.query_prefix, {});
  return std::move(v.front());
}

}  // namespace webui::rag
