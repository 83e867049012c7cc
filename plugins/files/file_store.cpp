#include "file_store.hpp"

#include <webui_host/sdk/json.hpp>

#include <chrono>

namespace webui::files {

namespace {

constexpr const char* kColumns =
    "id, user_id, hash, filename, path, data, meta, access_control, created_at, updated_at";

// A JSON column: its text parsed, `fallback` when NULL or unreadable (another writer's row).
json JsonColumn(const sdk::Row& r, std::size_t i, json fallback) {
  if (r.IsNull(i)) return fallback;
  auto parsed = sdk::json::Parse(r.Text(i));
  return parsed ? std::move(*parsed) : fallback;
}

FileRow FromRow(const sdk::Row& r) {
  FileRow f;
  f.id = r.Text(0);
  f.user_id = r.IsNull(1) ? "" : r.Text(1);
  f.hash = r.OptText(2);
  f.filename = r.IsNull(3) ? "" : r.Text(3);
  f.path = r.OptText(4);
  f.data = JsonColumn(r, 5, json::object());
  if (!f.data.is_object()) f.data = json::object();
  f.meta = JsonColumn(r, 6, json::object());
  if (!f.meta.is_object()) f.meta = json::object();
  f.access_control = JsonColumn(r, 7, json());
  f.created_at = r.IsNull(8) ? 0 : r.Int(8);
  f.updated_at = r.IsNull(9) ? 0 : r.Int(9);
  return f;
}

std::optional<std::string> AccessControlText(const json& ac) {
  if (ac.is_null()) return std::nullopt;
  return sdk::json::Dump(ac);
}

}  // namespace

std::string FileRow::Status() const {
  auto it = data.find("status");
  return it != data.end() && it->is_string() ? it->get<std::string>() : "";
}

json ToModel(const FileRow& row, bool full, bool with_content) {
  json data = row.data;
  if (!with_content) data.erase("content");
  json out{{"id", row.id},
           {"user_id", row.user_id},
           {"hash", row.hash ? json(*row.hash) : json()},
           {"filename", row.filename},
           {"data", std::move(data)},
           {"meta", row.meta},
           {"created_at", row.created_at},
           {"updated_at", row.updated_at}};
  if (full) {
    out["path"] = row.path ? json(*row.path) : json();
    out["access_control"] = row.access_control;
  }
  return out;
}

std::string StringField(const json& obj, const char* key, const std::string& fallback) {
  if (!obj.is_object()) return fallback;
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void FileStore::Migrate() {
  host_.Migrate({
      {1, "file table (Open WebUI 0.6.32)",
       "CREATE TABLE IF NOT EXISTS file (\n"
       "  id TEXT NOT NULL PRIMARY KEY,\n"
       "  user_id TEXT,\n"
       "  hash TEXT,\n"
       "  filename TEXT,\n"
       "  path TEXT,\n"
       "  data JSON,\n"
       "  meta JSON,\n"
       "  access_control JSON,\n"
       "  created_at BIGINT,\n"
       "  updated_at BIGINT\n"
       ");\n"
       "CREATE INDEX IF NOT EXISTS files_file_user_id ON file (user_id);",
       ""},
  });
}

void FileStore::Insert(const FileRow& row) {
  host_.Exec(
      "INSERT INTO file (" + std::string(kColumns) + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {row.id, row.user_id, row.hash, row.filename, row.path, sdk::json::Dump(row.data),
       sdk::json::Dump(row.meta), AccessControlText(row.access_control), row.created_at,
       row.updated_at});
}

std::optional<FileRow> FileStore::Get(const std::string& id) {
  auto r = host_.QueryOne("SELECT " + std::string(kColumns) + " FROM file WHERE id = ?", {id});
  if (!r) return std::nullopt;
  return FromRow(*r);
}

std::vector<FileRow> FileStore::List(const std::optional<std::string>& user_id) {
  std::vector<FileRow> out;
  const std::string select = "SELECT " + std::string(kColumns) + " FROM file";
  const auto collect = [&](const sdk::Row& r) {
    out.push_back(FromRow(r));
    return true;
  };
  if (user_id) {
    host_.Exec(select + " WHERE user_id = ? ORDER BY created_at, id", {*user_id}, collect);
  } else {
    host_.Exec(select + " ORDER BY created_at, id", std::initializer_list<sdk::Param>{}, collect);
  }
  return out;
}

bool FileStore::Save(const FileRow& row) {
  return host_.Exec(
             "UPDATE file SET hash = ?, data = ?, meta = ?, access_control = ?, updated_at = ? "
             "WHERE id = ?",
             {row.hash, sdk::json::Dump(row.data), sdk::json::Dump(row.meta),
              AccessControlText(row.access_control), NowSeconds(), row.id}) > 0;
}

bool FileStore::SaveData(const std::string& id, const json& data,
                         const std::optional<std::string>& hash, const json& meta) {
  return host_.Exec("UPDATE file SET hash = ?, data = ?, meta = ?, updated_at = ? WHERE id = ?",
                    {hash, sdk::json::Dump(data), sdk::json::Dump(meta), NowSeconds(), id}) > 0;
}

bool FileStore::Delete(const std::string& id) {
  return host_.Exec("DELETE FROM file WHERE id = ?", {id}) > 0;
}

}  // namespace webui::files
