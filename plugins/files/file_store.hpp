// The `file` table (Open WebUI 0.6.32's columns, models/files.py): the files plugin is its only
// writer. Rows cross into handlers and files.v1 as FileRow; ToModel gives Open WebUI's shapes.
#pragma once

#include <webui_host/sdk.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace webui::files {

using nlohmann::json;

struct FileRow {
  std::string id;
  std::string user_id;
  std::optional<std::string> hash;
  std::string filename;
  std::optional<std::string> path;
  json data = json::object();
  json meta = json::object();
  json access_control;  // null: private to the owner (and admins)
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;

  // data.status, "" when absent (a legacy row).
  std::string Status() const;
};

// FileModel (with path and access_control) or FileModelResponse (without); `with_content`
// false drops data.content (GET /?content=false).
json ToModel(const FileRow& row, bool full, bool with_content = true);

std::int64_t NowSeconds();

// obj[key] when it is a string, else `fallback` (rows written by others may hold null or numbers).
std::string StringField(const json& obj, const char* key, const std::string& fallback = "");

class FileStore {
 public:
  explicit FileStore(sdk::Host& host) : host_(host) {}

  // The table, on SQLite and PostgreSQL (IF NOT EXISTS: a database Open WebUI made is kept).
  void Migrate();

  void Insert(const FileRow& row);
  std::optional<FileRow> Get(const std::string& id);
  std::vector<FileRow> List(const std::optional<std::string>& user_id);
  // Writes hash, data, meta, access_control and updated_at of `row`; false when it is gone.
  bool Save(const FileRow& row);
  // The new data of `id` (data.status and friends) only; false when it is gone.
  bool SaveData(const std::string& id, const json& data, const std::optional<std::string>& hash,
                const json& meta);
  bool Delete(const std::string& id);

 private:
  sdk::Host& host_;
};

}  // namespace webui::files
