// VectorStore over the host's database. The two dialects share the table and the vector search;
// they differ in the keyword index (SQLite FTS5 with bm25(), PostgreSQL tsvector + GIN with
// ts_rank) and its DDL. pgvector is not in Debian 12, so PostgreSQL stores vectors as bytea and
// searches them with the same app-side exact scan / HNSW index as SQLite.
#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>

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

// (collection_name, seq, id): the indexer reads a collection's ids and a query the rows written
// after an index's last update without touching the rows themselves. (collection_name, hash):
// the duplicate check of every /process/text and knowledge-base add.
const char* kSeqIndex =
    "CREATE INDEX IF NOT EXISTS rag_chunk_collection_seq ON rag_chunk (collection_name, seq, "
    "id);\n"
    "CREATE INDEX IF NOT EXISTS rag_chunk_collection_hash ON rag_chunk (collection_name, hash);";

class SqlStore : public VectorStore {
 public:
  SqlStore(sdk::Host& host, StoreOptions options)
      : host_(host), options_(std::move(options)), worker_([this] { RunIndexer(); }) {}
  ~SqlStore() override { Stop(); }

  void Stop() override {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }

  void Migrate() override {
    host_.Migrate({
        {1, "rag_chunk with its full-text index, rag_collection", kSqliteSchema, kPostgresSchema},
        {2, "knowledge (Open WebUI 0.6.32)", kKnowledgeSchema, ""},
        {3, "rag_chunk by collection and seq, and by collection and hash", kSeqIndex, ""},
    });
  }

  void Insert(const std::vector<ChunkRecord>& chunks) override {
    if (chunks.empty()) return;
    auto tx = host_.Begin();
    InsertIn(tx, chunks);
    tx.Commit();
    std::set<std::string> touched;
    for (const auto& c : chunks) touched.insert(c.collection);
    for (const auto& c : touched) Schedule(c);
  }

  void ReplaceFile(const std::string& collection, const std::string& file_id,
                   const std::vector<ChunkRecord>& chunks) override {
    auto tx = host_.Begin();
    tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND file_id = ?",
            {collection, file_id});
    Bump(tx, collection);
    InsertIn(tx, chunks);
    tx.Commit();
    Schedule(collection);
  }

  int64_t DeleteCollection(const std::string& collection) override {
    auto tx = host_.Begin();
    const int64_t n = tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ?", {collection});
    Bump(tx, collection);
    tx.Commit();
    Schedule(collection);
    return n;
  }

  int64_t DeleteFile(const std::string& collection, const std::string& file_id) override {
    auto tx = host_.Begin();
    const int64_t n = tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND file_id = ?",
                              {collection, file_id});
    Bump(tx, collection);
    tx.Commit();
    Schedule(collection);
    return n;
  }

  int64_t DeleteHash(const std::string& collection, const std::string& hash) override {
    auto tx = host_.Begin();
    const int64_t n =
        tx.Exec("DELETE FROM rag_chunk WHERE collection_name = ? AND hash = ?", {collection, hash});
    Bump(tx, collection);
    tx.Commit();
    Schedule(collection);
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
    for (const auto& c : collections) Schedule(c);
    return n;
  }

  void DeleteAll() override {
    auto tx = host_.Begin();
    tx.Exec("DELETE FROM rag_chunk");
    tx.Exec("UPDATE rag_collection SET version = version + 1");
    tx.Commit();
    std::vector<std::string> known;
    {
      std::lock_guard lock(state_mu_);
      for (const auto& [name, state] : states_) known.push_back(name);
    }
    for (const auto& name : known) Schedule(name);
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
    Schedule(to);
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
    const int64_t version = Version(collection);
    std::shared_ptr<HnswIndex> index;
    bool checked = false;
    {
      std::lock_guard lock(state_mu_);
      auto& state = states_[collection];
      index = state.index;
      checked = state.checked_version == version;
    }
    if (!index || index->dim() != query.size()) {
      // Small, or its index is still being built: exact. The indexer decides which (once per
      // version; every write has already asked it).
      if (!checked) Schedule(collection);
      return SearchVectorExact(collection, query, k);
    }
    // A few more than k from the index: rows deleted since its last sync are dropped by Fill.
    auto ranked = index->Search(query, k + kDeletedSlack);
    if (index->version() != version) {
      // Rows written since the last sync are not in the index yet: scored exactly (the indexer
      // is catching up in the background, so this set is small).
      Schedule(collection);
      auto fresh = ScoreExact("collection_name = ? AND seq > ?",
                              {collection, static_cast<int64_t>(index->max_seq())}, query, k);
      ranked.insert(ranked.end(), fresh.begin(), fresh.end());
      std::stable_sort(ranked.begin(), ranked.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
    }
    auto hits = Fill(ranked);
    if (hits.size() > k) hits.resize(k);
    return hits;
  }

  std::vector<Hit> SearchVectorExact(const std::string& collection, const std::vector<float>& query,
                                     std::size_t k) override {
    if (k == 0 || query.empty()) return {};
    return Fill(ScoreExact("collection_name = ?", {collection}, query, k));
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

  // ---- the HNSW indexes, kept by one background thread ----
  //
  // Every write asks the indexer to look at its collection again; so does a query that finds no
  // index. The indexer reads the collection's version, then its rows' ids, and brings the index
  // to them: new rows added, removed rows marked deleted, the whole thing rebuilt only when it
  // has no index yet, when the embedding dimension changed, or when more of it is deleted than
  // alive. Queries never build: they use the index as it is and score the rows it has not seen
  // yet exactly. A collection below hnsw_min_chunks has no index (exact search is cheaper).
  struct CollectionState {
    std::shared_ptr<HnswIndex> index;
    int64_t checked_version = -1;  // the version the indexer last brought this collection to
    bool tried_file = false;       // the persisted index was looked for
    bool dirty = false;            // changed since it was last persisted
  };

  void Schedule(const std::string& collection) {
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_ || !queued_.insert(collection).second) return;
      queue_.push_back(collection);
    }
    queue_cv_.notify_one();
  }

  void RunIndexer() {
    std::unique_lock lock(queue_mu_);
    while (!stopping_) {
      // Two quiet seconds persist what changed: not during a stream of uploads.
      if (!queue_cv_.wait_for(lock, std::chrono::seconds(2),
                              [&] { return stopping_ || !queue_.empty(); })) {
        lock.unlock();
        PersistDirty();
        lock.lock();
        continue;
      }
      if (stopping_) break;
      const std::string collection = std::move(queue_.front());
      queue_.pop_front();
      queued_.erase(collection);
      lock.unlock();
      try {
        Sync(collection);
      } catch (const std::exception& e) {
        host_.Warn(std::string("rag: could not update the vector index of a collection: ") +
                   e.what());
      }
      lock.lock();
    }
  }

  bool Stopping() {
    std::lock_guard lock(queue_mu_);
    return stopping_;
  }

  std::filesystem::path IndexBase(const std::string& collection) const {
    return options_.index_dir / Sha256Hex(collection);
  }

  void Sync(const std::string& collection) {
    const int64_t version = Version(collection);  // before the rows: a later write re-syncs
    std::shared_ptr<HnswIndex> index;
    bool try_file = false;
    {
      std::lock_guard lock(state_mu_);
      auto& state = states_[collection];
      if (state.checked_version == version) return;
      index = state.index;
      try_file = !index && !state.tried_file;
      state.tried_file = true;
    }
    if (try_file) {
      index = HnswIndex::Load(IndexBase(collection));
      if (index && index->version() == version) {
        Publish(collection, index, version, /*dirty=*/false);  // as persisted: nothing to do
        return;
      }
    }

    // The newest row says whether the collection has vectors now and their dimension (the
    // embedding model may have changed; without an engine there are none).
    std::size_t dim = 0;
    host_.Exec("SELECT vector FROM rag_chunk WHERE collection_name = ? ORDER BY seq DESC LIMIT 1",
               {collection}, [&](const sdk::Row& r) {
                 if (!r.IsNull(0)) dim = r.Text(0).size() / sizeof(float);
                 return false;
               });
    // Its rows (ids only, from the index on (collection_name, seq, id)).
    std::unordered_map<std::string, int64_t> rows;
    int64_t max_seq = 0;
    if (dim > 0) {
      host_.Exec("SELECT id, seq FROM rag_chunk WHERE collection_name = ?", {collection},
                 [&](const sdk::Row& r) {
                   const int64_t seq = r.Int(1);
                   max_seq = std::max(max_seq, seq);
                   rows.emplace(r.Text(0), seq);
                   return true;
                 });
    }
    auto& vectorless = vectorless_[collection];  // rows found without a vector (indexer only)
    if (dim == 0 || rows.size() < options_.hnsw_min_chunks + vectorless.size()) {
      vectorless_.erase(collection);
      Publish(collection, nullptr, version);
      std::error_code ec;
      std::filesystem::remove(IndexBase(collection).string() + ".hnsw", ec);
      std::filesystem::remove(IndexBase(collection).string() + ".ids", ec);
      return;
    }
    for (auto it = vectorless.begin(); it != vectorless.end();)
      it = rows.erase(*it) ? std::next(it) : vectorless.erase(it);
    if (index && (index->dim() != dim || index->deleted() > index->size())) index = nullptr;
    const bool fresh = !index;
    if (fresh) index = HnswIndex::Create(dim, rows.size() + rows.size() / 4);

    std::vector<std::string> gone;
    if (!fresh) {
      for (auto& id : index->Ids()) {
        auto it = rows.find(id);
        if (it == rows.end())
          gone.push_back(std::move(id));
        else
          rows.erase(it);  // already in: what is left of `rows` is missing
      }
    }
    std::vector<std::pair<int64_t, std::string>> missing;
    missing.reserve(rows.size());
    for (auto& [id, seq] : rows) missing.emplace_back(seq, id);
    std::sort(missing.begin(), missing.end());
    // Vectors in batches. An index queries already use takes a few at a time (searches wait for
    // at most that many insertions, about a millisecond each at 768 dimensions); a fresh one is
    // not searched until it is published.
    const std::size_t batch_size = fresh ? 256 : 8;
    for (std::size_t from = 0; from < missing.size(); from += batch_size) {
      if (Stopping()) return;  // a half-updated index stays unpublished or marked stale
      std::vector<std::string> ids;
      for (std::size_t i = from; i < std::min(missing.size(), from + batch_size); ++i)
        ids.push_back(missing[i].second);
      auto vectors = Vectors(ids);
      std::vector<std::pair<std::string, std::vector<float>>> batch;
      for (auto& id : ids) {
        auto it = vectors.find(id);
        if (it != vectors.end()) batch.emplace_back(id, std::move(it->second));
      }
      for (const auto& id : ids)
        if (!vectors.count(id)) vectorless.insert(id);
      index->Add(batch);
    }
    index->Remove(gone);
    index->MarkSynced(version, max_seq);
    Publish(collection, index, version);
  }

  void Publish(const std::string& collection, std::shared_ptr<HnswIndex> index, int64_t version,
               bool dirty = true) {
    std::lock_guard lock(state_mu_);
    auto& state = states_[collection];
    state.dirty = dirty && index != nullptr;
    state.index = std::move(index);
    state.checked_version = version;
  }

  void PersistDirty() {
    std::vector<std::pair<std::string, std::shared_ptr<HnswIndex>>> dirty;
    {
      std::lock_guard lock(state_mu_);
      for (auto& [name, state] : states_)
        if (state.dirty && state.index) {
          dirty.emplace_back(name, state.index);
          state.dirty = false;
        }
    }
    for (const auto& [name, index] : dirty) {
      if (Stopping()) return;
      if (!index->Save(IndexBase(name)))
        host_.Warn("rag: could not persist the HNSW index of a collection");
    }
  }

  // (chunk id, cosine) of the best k rows of `where` (on rag_chunk, with `params`), best first.
  // Scores first, text only later for the winners: a large collection's text never leaves the
  // database.
  std::vector<std::pair<std::string, double>> ScoreExact(const std::string& where,
                                                         const std::vector<sdk::Param>& params,
                                                         const std::vector<float>& query,
                                                         std::size_t k) {
    std::vector<std::pair<double, std::string>> scored;
    host_.Exec("SELECT id, vector FROM rag_chunk WHERE " + where + " AND vector IS NOT NULL",
               params, [&](const sdk::Row& r) {
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
    return top;
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

  static constexpr std::size_t kDeletedSlack = 8;

  sdk::Host& host_;
  StoreOptions options_;
  std::mutex state_mu_;
  std::map<std::string, CollectionState> states_;
  std::map<std::string, std::set<std::string>> vectorless_;  // touched by the indexer only
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::string> queue_;
  std::set<std::string> queued_;
  bool stopping_ = false;
  std::thread worker_;  // last: it starts once everything above exists
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
