// VectorStore over the host's database. The two dialects share the table and the vector search;
// they differ in the keyword index (SQLite FTS5 with bm25(), PostgreSQL tsvector + GIN with
// ts_rank) and its DDL. pgvector is not in Debian 12, so PostgreSQL stores vectors as bytea and
// searches them with the same app-side exact scan / HNSW index as SQLite.
#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <mutex>
#include <random>

#include "../util.hpp"
#include "hnsw_index.hpp"
#include "vector_store.hpp"

namespace webui::rag {
namespace {

using nlohmann::json;

// The words of a query: runs of ASCII letters and digits, and of UTF-8 bytes (letters of other
// scripts). Nothing else reaches the full-text query language, so no user text is an operator.
std::vector<std::string> Words(const std::string& text, bool lower) {
  std::vector<std::string> out;
  std::string cur;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c >= 0x80) {
      cur.push_back(lower && c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.size() > 64) out.resize(64);  // a bound on the query's cost
  return out;
}

json ParseMeta(const std::string& text) {
  auto parsed = sdk::json::Parse(text);
  return parsed && parsed->is_object() ? std::move(*parsed) : json::object();
}

constexpr const char* kChunkColumns =
    "id, collection_name, file_id, text, metadata, hash, vector, created_at";

const char* kSqliteSchema =
    "CREATE TABLE IF NOT EXISTS rag_chunk (\n"
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  id TEXT NOT NULL UNIQUE,\n"
    "  collection_name TEXT NOT NULL,\n"
    "  file_id TEXT,\n"
    "  text TEXT NOT NULL,\n"
    "  metadata TEXT,\n"
    "  hash TEXT,\n"
    "  vector BLOB,\n"
    "  created_at BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_collection ON rag_chunk (collection_name, file_id);\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_file ON rag_chunk (file_id);\n"
    "CREATE VIRTUAL TABLE IF NOT EXISTS rag_chunk_fts USING fts5(text, content='rag_chunk', "
    "content_rowid='seq');\n"
    "CREATE TRIGGER IF NOT EXISTS rag_chunk_fts_insert AFTER INSERT ON rag_chunk BEGIN\n"
    "  INSERT INTO rag_chunk_fts (rowid, text) VALUES (new.seq, new.text);\n"
    "END;\n"
    "CREATE TRIGGER IF NOT EXISTS rag_chunk_fts_delete AFTER DELETE ON rag_chunk BEGIN\n"
    "  INSERT INTO rag_chunk_fts (rag_chunk_fts, rowid, text) VALUES ('delete', old.seq, "
    "old.text);\n"
    "END;\n"
    "CREATE TABLE IF NOT EXISTS rag_collection (name TEXT NOT NULL PRIMARY KEY, version BIGINT "
    "NOT NULL, user_id TEXT);";

const char* kPostgresSchema =
    "CREATE TABLE IF NOT EXISTS rag_chunk (\n"
    "  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "  id TEXT NOT NULL UNIQUE,\n"
    "  collection_name TEXT NOT NULL,\n"
    "  file_id TEXT,\n"
    "  text TEXT NOT NULL,\n"
    "  metadata TEXT,\n"
    "  hash TEXT,\n"
    "  vector BYTEA,\n"
    "  created_at BIGINT NOT NULL,\n"
    "  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_collection ON rag_chunk (collection_name, file_id);\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_file ON rag_chunk (file_id);\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_tsv ON rag_chunk USING GIN (tsv);\n"
    "CREATE TABLE IF NOT EXISTS rag_collection (name TEXT NOT NULL PRIMARY KEY, version BIGINT "
    "NOT NULL, user_id TEXT);";

// Open WebUI 0.6.32's knowledge table (membership in data.file_ids).
const char* kKnowledgeSchema =
    "CREATE TABLE IF NOT EXISTS knowledge (\n"
    "  id TEXT NOT NULL PRIMARY KEY,\n"
    "  user_id TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  description TEXT,\n"
    "  data JSON,\n"
    "  meta JSON,\n"
    "  access_control JSON,\n"
    "  created_at BIGINT NOT NULL,\n"
    "  updated_at BIGINT NOT NULL\n"
    ");\n"
    "CREATE INDEX IF NOT EXISTS rag_knowledge_user ON knowledge (user_id);";

class SqlStore : public VectorStore {
 public:
  SqlStore(sdk::Host& host, StoreOptions options) : host_(host), options_(std::move(options)) {}

  void Migrate() override {
    host_.Migrate({
        {1, "rag_chunk with its full-text index, rag_collection", kSqliteSchema, kPostgresSchema},
        {2, "knowledge (Open WebUI 0.6.32)", kKnowledgeSchema, ""},
    });
  }

  void Insert(const std::vector<ChunkRecord>& chunks) override {
    if (chunks.empty()) return;
    auto tx = host_.Begin();
    InsertIn(tx, chunks);
    tx.Commit();
  }

  void ReplaceFile(const std::string& collection, const std::string& file_id,
                   const std::vector<ChunkRecord>& chunks) override {
    auto tx = host_.Begin();
    tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND file_id = ?",
            {collection, file_id});
    Bump(tx, collection);
    InsertIn(tx, chunks);
    tx.Commit();
  }

  int64_t DeleteCollection(const std::string& collection) override {
    auto tx = host_.Begin();
    const int64_t n = tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ?", {collection});
    Bump(tx, collection);
    tx.Commit();
    return n;
  }

  int64_t DeleteFile(const std::string& collection, const std::string& file_id) override {
    auto tx = host_.Begin();
    const int64_t n = tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND file_id = ?",
                              {collection, file_id});
    Bump(tx, collection);
    tx.Commit();
    return n;
  }

  int64_t DeleteHash(const std::string& collection, const std::string& hash) override {
    auto tx = host_.Begin();
    const int64_t n =
        tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND hash = ?", {collection, hash});
    Bump(tx, collection);
    tx.Commit();
    return n;
  }

  int64_t DeleteFileEverywhere(const std::string& file_id) override {
    auto tx = host_.Begin();
    std::vector<std::string> collections;
    tx.Exec("SELECT DISTINCT collection_name FROM rag_chunk WHERE file_id = ?", {file_id},
            [&](const sdk::Row& r) {
              collections.push_back(r.Text(0));
              return true;
            });
    const int64_t n = tx.Exec("DELETE FROM rag_chunk WHERE file_id = ?", {file_id});
    for (const auto& c : collections) Bump(tx, c);
    tx.Commit();
    return n;
  }

  void DeleteAll() override {
    auto tx = host_.Begin();
    tx.Exec("DELETE FROM rag_chunk");
    tx.Exec("UPDATE rag_collection SET version = version + 1");
    tx.Commit();
    std::lock_guard lock(cache_mu_);
    cache_.clear();
  }

  bool HashExists(const std::string& collection, const std::string& hash,
                  const std::string& except_file_id) override {
    return host_
        .QueryOne(
            "SELECT 1 FROM rag_chunk WHERE collection_name = ? AND hash = ? AND "
            "(file_id IS NULL OR file_id <> ?) LIMIT 1",
            {collection, hash, except_file_id})
        .has_value();
  }

  bool FileIn(const std::string& collection, const std::string& file_id) override {
    return host_
        .QueryOne("SELECT 1 FROM rag_chunk WHERE collection_name = ? AND file_id = ? LIMIT 1",
                  {collection, file_id})
        .has_value();
  }

  int64_t CopyFile(const std::string& from, const std::string& to,
                   const std::string& file_id) override {
    auto tx = host_.Begin();
    std::vector<ChunkRecord> rows;
    tx.Exec(
        "SELECT text, metadata, hash, vector FROM rag_chunk WHERE collection_name = ? AND "
        "file_id = ? ORDER BY seq",
        {from, file_id}, [&](const sdk::Row& r) {
          ChunkRecord c;
          c.id = NewUuid();
          c.collection = to;
          c.file_id = file_id;
          c.text = r.Text(0);
          c.metadata = ParseMeta(r.Text(1));
          c.hash = r.Text(2);
          if (!r.IsNull(3)) c.vector = UnpackVector(r.Text(3));
          rows.push_back(std::move(c));
          return true;
        });
    tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND file_id = ?", {to, file_id});
    Bump(tx, to);
    InsertIn(tx, rows);
    tx.Commit();
    return static_cast<int64_t>(rows.size());
  }

  std::optional<std::string> Owner(const std::string& collection) override {
    auto r = host_.QueryOne("SELECT user_id FROM rag_collection WHERE name = ?", {collection});
    if (!r || r->IsNull(0)) return std::nullopt;
    return r->Text(0);
  }

  void SetOwnerIfNone(const std::string& collection, const std::string& user_id) override {
    host_.Exec(
        "INSERT INTO rag_collection (name, version, user_id) VALUES (?, 1, ?) ON CONFLICT (name) "
        "DO UPDATE SET user_id = COALESCE(rag_collection.user_id, excluded.user_id)",
        {collection, user_id});
  }

  std::map<std::string, std::vector<float>> Vectors(const std::vector<std::string>& ids) override {
    std::map<std::string, std::vector<float>> out;
    if (ids.empty()) return out;
    std::string sql = "SELECT id, vector FROM rag_chunk WHERE vector IS NOT NULL AND id IN (";
    std::vector<sdk::Param> params;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.emplace_back(ids[i]);
    }
    sql += ")";
    host_.Exec(sql, params, [&](const sdk::Row& r) {
      out[r.Text(0)] = UnpackVector(r.Text(1));
      return true;
    });
    return out;
  }

  int64_t Count(const std::string& collection) override {
    auto r =
        host_.QueryOne("SELECT COUNT(*) FROM rag_chunk WHERE collection_name = ?", {collection});
    return r ? r->Int(0) : 0;
  }

  std::vector<Hit> All(const std::string& collection) override {
    std::vector<Hit> out;
    host_.Exec("SELECT id, text, metadata FROM rag_chunk WHERE collection_name = ? ORDER BY seq",
               {collection}, [&](const sdk::Row& r) {
                 out.push_back({r.Text(0), r.Text(1), ParseMeta(r.Text(2)), 1.0});
                 return true;
               });
    return out;
  }

  std::vector<Hit> SearchVector(const std::string& collection, const std::vector<float>& query,
                                std::size_t k) override {
    if (k == 0 || query.empty()) return {};
    if (Count(collection) < static_cast<int64_t>(options_.hnsw_min_chunks))
      return SearchVectorExact(collection, query, k);
    auto index = IndexFor(collection);
    if (!index || index->dim() != query.size()) return SearchVectorExact(collection, query, k);
    return Fill(index->Search(query, k));
  }

  std::vector<Hit> SearchVectorExact(const std::string& collection, const std::vector<float>& query,
                                     std::size_t k) override {
    if (k == 0 || query.empty()) return {};
    // Scores first, text only for the winners: a large collection's text never leaves the DB.
    std::vector<std::pair<double, std::string>> scored;
    host_.Exec("SELECT id, vector FROM rag_chunk WHERE collection_name = ? AND vector IS NOT NULL",
               {collection}, [&](const sdk::Row& r) {
                 const std::string bytes = r.Text(1);
                 if (bytes.size() != query.size() * sizeof(float)) return true;
                 scored.emplace_back(DotBytes(bytes, query), r.Text(0));
                 return true;
               });
    const std::size_t n = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                      [](const auto& a, const auto& b) {
                        return a.first != b.first ? a.first > b.first : a.second < b.second;
                      });
    std::vector<std::pair<std::string, double>> top;
    for (std::size_t i = 0; i < n; ++i) top.emplace_back(scored[i].second, scored[i].first);
    return Fill(top);
  }

  std::vector<Hit> SearchKeyword(const std::string& collection, const std::string& query,
                                 std::size_t k) override {
    std::vector<Hit> out;
    if (k == 0) return out;
    const auto words = Words(query, host_.IsPostgres());
    if (words.empty()) return out;
    std::string match;
    const std::string limit = std::to_string(std::min<std::size_t>(k, 10000));
    const auto collect = [&](const sdk::Row& r) {
      out.push_back({r.Text(0), r.Text(1), ParseMeta(r.Text(2)), r.Real(3)});
      return true;
    };
    if (host_.IsPostgres()) {
      for (const auto& w : words) match += (match.empty() ? "'" : " | '") + w + "'";
      host_.Exec(
          "SELECT c.id, c.text, c.metadata, ts_rank(c.tsv, q) AS score FROM rag_chunk c, "
          "to_tsquery('simple', ?) q WHERE c.collection_name = ? AND c.tsv @@ q "
          "ORDER BY score DESC, c.seq LIMIT " +
              limit,
          {match, collection}, collect);
    } else {
      for (const auto& w : words) match += (match.empty() ? "\"" : " OR \"") + w + "\"";
      // bm25() is lower-is-better (negative): negated so higher is better, as everywhere here.
      host_.Exec(
          "SELECT c.id, c.text, c.metadata, -bm25(rag_chunk_fts) AS score FROM rag_chunk_fts "
          "JOIN rag_chunk c ON c.seq = rag_chunk_fts.rowid WHERE rag_chunk_fts MATCH ? AND "
          "c.collection_name = ? ORDER BY score DESC, c.seq LIMIT " +
              limit,
          {match, collection}, collect);
    }
    return out;
  }

 private:
  void InsertIn(sdk::Transaction& tx, const std::vector<ChunkRecord>& chunks) {
    const int64_t now = NowSeconds();
    std::vector<std::string> bumped;
    for (const auto& c : chunks) {
      std::optional<sdk::Blob> vector;
      if (!c.vector.empty()) vector = sdk::Blob{PackVector(c.vector)};
      // Params borrow their strings: every one must outlive the statement.
      const std::string id = c.id.empty() ? NewUuid() : c.id;
      const std::string metadata = sdk::json::Dump(c.metadata);
      std::vector<sdk::Param> params{
          id,
          c.collection,
          c.file_id.empty() ? sdk::Param(nullptr) : sdk::Param(c.file_id),
          c.text,
          metadata,
          c.hash,
          vector ? sdk::Param(*vector) : sdk::Param(nullptr),
          now};
      tx.Exec("INSERT INTO rag_chunk (" + std::string(kChunkColumns) +
                  ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              params);
      if (std::find(bumped.begin(), bumped.end(), c.collection) == bumped.end()) {
        Bump(tx, c.collection);
        bumped.push_back(c.collection);
      }
    }
  }

  // Every change to a collection moves its version on, in the same transaction: an HNSW index
  // built from an older version (here or on another instance) is stale.
  static void Bump(sdk::Transaction& tx, const std::string& collection) {
    tx.Exec(
        "INSERT INTO rag_collection (name, version) VALUES (?, 1) ON CONFLICT (name) DO UPDATE "
        "SET version = rag_collection.version + 1",
        {collection});
  }

  int64_t Version(const std::string& collection) {
    auto r = host_.QueryOne("SELECT version FROM rag_collection WHERE name = ?", {collection});
    return r ? r->Int(0) : 0;
  }

  static double DotBytes(const std::string& bytes, const std::vector<float>& q) {
    double s = 0;
    for (std::size_t i = 0; i < q.size(); ++i) {
      float f;
      std::memcpy(&f, bytes.data() + i * sizeof(float), sizeof f);
      s += static_cast<double>(f) * q[i];
    }
    return s;
  }

  std::shared_ptr<HnswIndex> IndexFor(const std::string& collection) {
    const int64_t version = Version(collection);
    {
      std::lock_guard lock(cache_mu_);
      auto it = cache_.find(collection);
      if (it != cache_.end() && it->second->version() == version) return it->second;
    }
    // One build at a time: two queries of a stale collection build it once.
    std::lock_guard build(build_mu_);
    {
      std::lock_guard lock(cache_mu_);
      auto it = cache_.find(collection);
      if (it != cache_.end() && it->second->version() == version) return it->second;
    }
    const std::filesystem::path base = options_.index_dir / Sha256Hex(collection);
    std::shared_ptr<HnswIndex> index = HnswIndex::Load(base, version);
    if (!index) {
      std::vector<std::string> ids;
      std::vector<std::vector<float>> vectors;
      std::size_t dim = 0;
      host_.Exec(
          "SELECT id, vector FROM rag_chunk WHERE collection_name = ? AND vector IS NOT NULL "
          "ORDER BY seq",
          {collection}, [&](const sdk::Row& r) {
            auto v = UnpackVector(r.Text(1));
            if (dim == 0) dim = v.size();
            ids.push_back(r.Text(0));
            vectors.push_back(std::move(v));
            return true;
          });
      if (dim == 0) return nullptr;
      index = HnswIndex::Build(dim, ids, vectors, version);
      if (!index->Save(base)) host_.Warn("rag: could not persist the HNSW index of a collection");
    }
    std::lock_guard lock(cache_mu_);
    cache_[collection] = index;
    return index;
  }

  // The rows of the ranked ids, in rank order (ids deleted meanwhile are left out).
  std::vector<Hit> Fill(const std::vector<std::pair<std::string, double>>& ranked) {
    std::vector<Hit> out;
    if (ranked.empty()) return out;
    std::string sql = "SELECT id, text, metadata FROM rag_chunk WHERE id IN (";
    std::vector<sdk::Param> params;
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      sql += i ? ", ?" : "?";
      params.emplace_back(ranked[i].first);
    }
    sql += ")";
    std::map<std::string, Hit> found;
    host_.Exec(sql, params, [&](const sdk::Row& r) {
      found[r.Text(0)] = Hit{r.Text(0), r.Text(1), ParseMeta(r.Text(2)), 0};
      return true;
    });
    for (const auto& [id, score] : ranked) {
      auto it = found.find(id);
      if (it == found.end()) continue;
      it->second.score = score;
      out.push_back(std::move(it->second));
    }
    return out;
  }

  sdk::Host& host_;
  StoreOptions options_;
  std::mutex cache_mu_, build_mu_;
  std::map<std::string, std::shared_ptr<HnswIndex>> cache_;
};

}  // namespace

std::unique_ptr<VectorStore> MakeVectorStore(sdk::Host& host, const StoreOptions& options) {
  return std::make_unique<SqlStore>(host, options);
}

std::string PackVector(const std::vector<float>& v) {
  std::string out(v.size() * sizeof(float), '\0');
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<float> UnpackVector(const std::string& bytes) {
  std::vector<float> v(bytes.size() / sizeof(float));
  if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

void Normalise(std::vector<float>& v) {
  double n = 0;
  for (float f : v) n += static_cast<double>(f) * f;
  if (n <= 0 || !std::isfinite(n)) return;
  const double inv = 1.0 / std::sqrt(n);
  for (float& f : v) f = static_cast<float>(f * inv);
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    s += static_cast<double>(a[i]) * b[i];
  return s;
}

}  // namespace webui::rag
