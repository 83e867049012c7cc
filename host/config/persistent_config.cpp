#include "config/persistent_config.hpp"

#include <spdlog/spdlog.h>
#include <webui_host/sdk/json.hpp>

namespace webui::config {

using nlohmann::json;

const json* FindPath(const json& tree, std::string_view dotted) {
  const json* node = &tree;
  for (const auto& part : SplitTrim(dotted, '.')) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(part);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

void SetPath(json& tree, std::string_view dotted, json value) {
  json* node = &tree;
  for (const auto& part : SplitTrim(dotted, '.')) {
    if (!node->is_object()) *node = json::object();
    node = &(*node)[part];
  }
  *node = std::move(value);
}

json EnvToJson(std::string_view env_name, const std::string& raw, const json& like) {
  const std::string name(env_name);
  if (like.is_boolean()) {
    bool b = false;
    if (!ParseBool(raw, &b))
      throw ConfigError(name + ": expected true or false, got '" + raw + "'");
    return b;
  }
  if (like.is_number_integer()) {
    try {
      size_t used = 0;
      long long v = std::stoll(raw, &used);
      if (used == raw.size()) return v;
    } catch (...) {
    }
    throw ConfigError(name + ": expected an integer, got '" + raw + "'");
  }
  if (like.is_number()) {
    try {
      size_t used = 0;
      double v = std::stod(raw, &used);
      if (used == raw.size()) return v;
    } catch (...) {
    }
    throw ConfigError(name + ": expected a number, got '" + raw + "'");
  }
  if (like.is_string()) return raw;
  // Arrays, objects and untyped (null) defaults: JSON text; arrays also accept "a;b;c".
  json parsed = sdk::json::Parse(raw).value_or(json(json::value_t::discarded));
  if (!parsed.is_discarded() && (like.is_null() || parsed.type() == like.type())) return parsed;
  if (like.is_array()) {
    json arr = json::array();
    for (auto& item : SplitTrim(raw, ';')) arr.push_back(item);
    return arr;
  }
  if (like.is_null()) return raw;
  throw ConfigError(name + ": expected JSON " + std::string(like.type_name()) + ", got '" + raw +
                    "'");
}

PersistentConfig::PersistentConfig(storage::Database& db, const Settings& settings,
                                   bool persistence_enabled)
    : db_(db), settings_(settings), persistence_enabled_(persistence_enabled) {}

json PersistentConfig::ReadStoredTree() {
  std::string text;
  db_.Exec("SELECT data FROM config ORDER BY id ASC LIMIT 1", {}, [&](const storage::Row& row) {
    if (auto s = std::get_if<std::string>(&row.at(0))) text = *s;
    return false;
  });
  if (text.empty()) return json::object();
  json tree = sdk::json::Parse(text).value_or(json(json::value_t::discarded));
  if (tree.is_discarded() || !tree.is_object()) {
    spdlog::warn("config table holds invalid JSON; ignoring stored settings");
    return json::object();
  }
  return tree;
}

void PersistentConfig::Load() {
  json tree = ReadStoredTree();
  std::lock_guard lock(mu_);
  stored_ = std::move(tree);
}

void PersistentConfig::Reload() {
  // A snapshot read while a local Set() was committing may predate it: applying it would undo
  // that change until the next announcement. Apply only a snapshot no local write overlapped.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::uint64_t before;
    {
      std::lock_guard lock(mu_);
      before = local_writes_;
    }
    json tree = ReadStoredTree();
    std::lock_guard lock(mu_);
    if (local_writes_ != before) continue;
    stored_ = std::move(tree);
    for (auto& [key, e] : entries_)
      if (e.persistent) e.value = ResolveLocked(key, e);
    return;
  }
  // Local writes kept coming: each announces itself, and a later reload catches up.
}

json PersistentConfig::ResolveLocked(const std::string& key, const Entry& e) const {
  if (e.persistent && persistence_enabled_) {
    if (const json* stored = FindPath(stored_, key)) return *stored;
  }
  if (!e.env_name.empty()) {
    if (auto raw = settings_.Get(e.env_name)) return EnvToJson(e.env_name, *raw, e.default_value);
  }
  return e.default_value;
}

PersistentConfig::Result PersistentConfig::Declare(std::string_view owner, std::string_view key,
                                                   std::string_view env_name,
                                                   std::string_view default_json, bool persistent) {
  if (key.empty()) return Result::kInvalid;
  json def = sdk::json::Parse(default_json.empty() ? std::string_view("null") : default_json)
                 .value_or(json(json::value_t::discarded));
  if (def.is_discarded()) return Result::kInvalid;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(key); it != entries_.end())
    return it->second.owner == owner ? Result::kOk : Result::kConflict;
  Entry e{std::string(owner), std::string(env_name), std::move(def), persistent, nullptr};
  e.value = ResolveLocked(std::string(key), e);  // may throw ConfigError
  entries_.emplace(std::string(key), std::move(e));
  return Result::kOk;
}

std::optional<json> PersistentConfig::GetJson(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.value;
}

std::optional<std::string> PersistentConfig::OwnerOf(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  return it->second.owner;
}

std::optional<std::string> PersistentConfig::Get(std::string_view key) const {
  auto v = GetJson(key);
  if (!v) return std::nullopt;
  return v->dump();
}

void PersistentConfig::WriteStored(const std::string& key, const json& value) {
  const bool pg = db_.dialect() == storage::Dialect::kPostgres;
  auto tx = db_.Begin();
  std::optional<std::int64_t> id;
  std::string text;
  tx->Exec(pg ? "SELECT id, data::text FROM config ORDER BY id ASC LIMIT 1 FOR UPDATE"
              : "SELECT id, data FROM config ORDER BY id ASC LIMIT 1",
           {}, [&](const storage::Row& row) {
             if (auto i = std::get_if<std::int64_t>(&row.at(0))) id = *i;
             if (auto s = std::get_if<std::string>(&row.at(1))) text = *s;
             return false;
           });
  json tree = text.empty() ? json::object()
                           : sdk::json::Parse(text).value_or(json(json::value_t::discarded));
  if (tree.is_discarded() || !tree.is_object()) tree = json::object();
  if (!tree.contains("version")) tree["version"] = 0;
  SetPath(tree, key, value);
  const std::string data = tree.dump();
  if (id) {
    const storage::Value params[] = {data, *id};
    tx->Exec(pg ? "UPDATE config SET data = CAST(? AS json), updated_at = now() WHERE id = ?"
                : "UPDATE config SET data = ?, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
             params);
  } else {
    const storage::Value params[] = {data};
    tx->Exec(pg ? "INSERT INTO config (data, version) VALUES (CAST(? AS json), 0)"
                : "INSERT INTO config (data, version) VALUES (?, 0)",
             params);
  }
  tx->Commit();
  std::lock_guard lock(mu_);
  stored_ = std::move(tree);
}

PersistentConfig::Result PersistentConfig::Set(std::string_view owner, std::string_view key,
                                               std::string_view value_json) {
  json value = sdk::json::Parse(value_json).value_or(json(json::value_t::discarded));
  if (value.is_discarded()) return Result::kInvalid;
  bool persistent = false;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return Result::kNotFound;
    if (it->second.owner != owner) return Result::kDenied;
    persistent = it->second.persistent;
  }
  // Open WebUI saves admin changes even when ENABLE_PERSISTENT_CONFIG is false; they are only
  // ignored at the next start. Do the same.
  if (persistent) WriteStored(std::string(key), value);
  {
    std::lock_guard lock(mu_);
    entries_.find(key)->second.value = std::move(value);
    ++local_writes_;
  }
  if (persistent && on_change_) on_change_(std::string(key));
  return Result::kOk;
}

}  // namespace webui::config
