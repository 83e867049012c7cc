// The "workspace" plugin: owns Open WebUI's tool, function, channel and prompt tables and serves
// /api/v1/{tools,functions,channels,prompts}. Tools and functions are Python code upstream, which
// this server cannot run: existing rows are listed, read and deleted, creating one is refused.
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/users.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include "access.hpp"

namespace webui::workspace {

using sdk::Auth;
using sdk::Param;
using sdk::Request;
using sdk::Response;
using sdk::Row;

// The caller as the access rules see it (outside the anonymous namespace: the plugin class
// below holds one).
struct User {
  std::string id;
  std::string role;
  bool IsAdmin() const { return role == "admin"; }
};

namespace {

// Open WebUI's columns (models/{tools,functions,channels,prompts}.py). IF NOT EXISTS keeps an
// existing Open WebUI database as it is.
constexpr const char* kSchemaV1 = R"SQL(
CREATE TABLE IF NOT EXISTS tool (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id VARCHAR(255),
  name TEXT,
  content TEXT,
  specs JSON,
  meta JSON,
  valves JSON,
  access_control JSON,
  updated_at BIGINT,
  created_at BIGINT
);
CREATE TABLE IF NOT EXISTS function (
  id VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id VARCHAR(255),
  name TEXT,
  type TEXT,
  content TEXT,
  meta JSON,
  valves JSON,
  is_active BOOLEAN,
  is_global BOOLEAN,
  updated_at BIGINT,
  created_at BIGINT
);
CREATE TABLE IF NOT EXISTS channel (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT,
  type TEXT,
  name TEXT,
  description TEXT,
  data JSON,
  meta JSON,
  access_control JSON,
  created_at BIGINT,
  updated_at BIGINT
);
CREATE TABLE IF NOT EXISTS prompt (
  command VARCHAR(255) NOT NULL PRIMARY KEY,
  user_id VARCHAR(255),
  title TEXT,
  content TEXT,
  timestamp BIGINT,
  access_control JSON
);
)SQL";

constexpr const char* kCommandTaken =
    "Uh-oh! This command is already registered. Please choose another command string.";
constexpr const char* kCannotRunCode =
    "This server cannot run Python tools or functions; existing ones can be listed, read and "
    "deleted only.";

User CurrentUser(const Request& req) {
  auto c = req.RequireCaller();
  return User{std::string(c.id), std::string(c.role)};
}

std::string PathString(const Request& req, const char* name) {
  auto v = req.PathParam(name);
  if (!v) throw sdk::NotFound();
  return std::string(*v);
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

json OptJson(const Row& r, size_t i, json fallback) {
  return r.IsNull(i) ? fallback : ParseJsonOr(r.Text(i), fallback);
}

json OptText(const Row& r, size_t i) { return r.IsNull(i) ? json() : json(r.Text(i)); }

constexpr const char* kToolCols =
    "id, user_id, name, meta, access_control, updated_at, created_at, content, specs";
json ToolJson(const Row& r, bool full) {
  json out{{"id", r.Text(0)},
           {"user_id", r.Text(1)},
           {"name", r.Text(2)},
           {"meta", OptJson(r, 3, json::object())},
           {"access_control", AccessControlOf(r.Text(4), r.IsNull(4))},
           {"updated_at", r.Int(5)},
           {"created_at", r.Int(6)}};
  if (full) {
    out["content"] = OptText(r, 7);
    out["specs"] = OptJson(r, 8, json::array());
  }
  return out;
}

constexpr const char* kFunctionCols =
    "id, user_id, type, name, meta, is_active, is_global, updated_at, created_at, content";
json FunctionJson(const Row& r, bool full) {
  json out{{"id", r.Text(0)},
           {"user_id", r.Text(1)},
           {"type", r.Text(2)},
           {"name", r.Text(3)},
           {"meta", OptJson(r, 4, json::object())},
           {"is_active", !r.IsNull(5) && r.Bool(5)},
           {"is_global", !r.IsNull(6) && r.Bool(6)},
           {"updated_at", r.Int(7)},
           {"created_at", r.Int(8)}};
  if (full) out["content"] = OptText(r, 9);
  return out;
}

constexpr const char* kChannelCols =
    "id, user_id, type, name, description, data, meta, access_control, created_at, updated_at";
json ChannelJson(const Row& r) {
  return json{{"id", r.Text(0)},
              {"user_id", r.Text(1)},
              {"type", OptText(r, 2)},
              {"name", r.Text(3)},
              {"description", OptText(r, 4)},
              {"data", OptJson(r, 5, json())},
              {"meta", OptJson(r, 6, json())},
              {"access_control", AccessControlOf(r.Text(7), r.IsNull(7))},
              {"created_at", r.Int(8)},
              {"updated_at", r.Int(9)}};
}

constexpr const char* kPromptCols = "command, user_id, title, content, timestamp, access_control";
json PromptJson(const Row& r) {
  return json{{"command", r.Text(0)},  {"user_id", r.Text(1)},
              {"title", r.Text(2)},    {"content", r.Text(3)},
              {"timestamp", r.Int(4)}, {"access_control", AccessControlOf(r.Text(5), r.IsNull(5))}};
}

// PromptForm: command, title, content (strings), access_control (optional object or null).
struct PromptForm {
  std::string command;
  std::string title;
  std::string content;
  json access_control;
};

PromptForm ParsePromptForm(const Request& req) {
  json body = sdk::JsonBody(req);
  if (!body.is_object()) throw sdk::Unprocessable("body must be a JSON object");
  PromptForm f;
  for (auto [field, out] : {std::pair{"command", &f.command}, std::pair{"title", &f.title},
                            std::pair{"content", &f.content}}) {
    auto it = body.find(field);
    if (it == body.end() || !it->is_string())
      throw sdk::Unprocessable(std::string(field) + " must be a string");
    *out = it->get<std::string>();
  }
  if (auto it = body.find("access_control"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) throw sdk::Unprocessable("access_control must be an object or null");
    f.access_control = *it;
  }
  return f;
}

}  // namespace

class WorkspacePlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    host_ = &host;
    host.Migrate(
        {{1, "tool, function, channel and prompt tables (Open WebUI schema)", kSchemaV1, ""}});
    try {
      host.DeclareConfig("workspace.bypass_admin_access_control", "BYPASS_ADMIN_ACCESS_CONTROL",
                         "true", false);
    } catch (const sdk::Error& e) {
      if (e.status() != WH_CONFLICT) throw;
    }
    AddToolRoutes();
    AddFunctionRoutes();
    AddChannelRoutes();
    AddPromptRoutes();
  }

 private:
  // Group ids through the groups.v1 service. Without that service no group grants anything
  // (closed, never open); its failures propagate as 5xx.
  std::set<std::string> GroupIdsOf(const std::string& user_id) const {
    std::set<std::string> out;
    json ids;
    try {
      ids = sdk::Groups(*host_).GroupsOf(user_id);
    } catch (const sdk::Error& e) {
      if (e.status() != WH_NOT_FOUND) throw;
      return out;
    }
    if (ids.is_array())
      for (const auto& g : ids) {
        if (g.is_string())
          out.insert(g.get<std::string>());
        else if (g.is_object() && g.contains("id") && g["id"].is_string())
          out.insert(g["id"].get<std::string>());
      }
    return out;
  }

  // One caller's view of access rules within a request: group ids are fetched once, on the
  // first item that needs them.
  class Viewer {
   public:
    Viewer(const WorkspacePlugin& plugin, User user)
        : plugin_(plugin),
          user_(std::move(user)),
          bypass_(
              user_.IsAdmin() &&
              sdk::Setting<bool>(*plugin.host_, "workspace.bypass_admin_access_control", true)) {}
    const User& user() const { return user_; }
    // The owner, an admin (when bypassing) or an access_control grant of `type`.
    bool Allows(const json& item, const char* type) {
      if (bypass_ || item["user_id"] == user_.id) return true;
      if (!groups_) groups_ = plugin_.GroupIdsOf(user_.id);
      return HasAccess(user_.id, type, item["access_control"], *groups_);
    }

   private:
    const WorkspacePlugin& plugin_;
    User user_;
    bool bypass_;
    std::optional<std::set<std::string>> groups_;
  };

  // USER_PERMISSIONS (declared by the users feature); admins always pass.
  bool HasPermission(const User& user, const std::string& section, const std::string& name,
                     bool fallback) const {
    if (user.IsAdmin()) return true;
    json perms = sdk::Setting<json>(*host_, "user.permissions", json::object());
    if (!perms.is_object() || !perms.contains(section) || !perms[section].is_object())
      return fallback;
    const json& s = perms[section];
    if (!s.contains(name) || !s[name].is_boolean()) return fallback;
    return s[name].get<bool>();
  }

  // ---- tools ----------------------------------------------------------------------------------
  void AddToolRoutes() {
    sdk::Host& h = *host_;
    h.Route("GET", "/api/v1/tools/", Auth::kVerified, [this](Request& req, Response& res) {
      Viewer viewer(*this, CurrentUser(req));
      json out = json::array();
      for (const auto& r : host_->Query(std::string("SELECT ") + kToolCols +
                                        " FROM tool ORDER BY updated_at DESC")) {
        json t = ToolJson(r, false);
        if (viewer.Allows(t, "read")) out.push_back(std::move(t));
      }
      sdk::Reply(res, out);
    });
    h.Route("GET", "/api/v1/tools/id/{id}", Auth::kVerified,
            [this](Request& req, Response& res) { sdk::Reply(res, ReadableTool(req, "read")); });
    h.Route("DELETE", "/api/v1/tools/id/{id}/delete", Auth::kVerified,
            [this](Request& req, Response& res) {
              json t = ReadableTool(req, "write");
              host_->Exec("DELETE FROM tool WHERE id = ?", {t["id"].get<std::string>()});
              sdk::Reply(res, true);
            });
    h.Route("POST", "/api/v1/tools/create", Auth::kVerified,
            [](Request&, Response&) { throw sdk::HttpError(501, kCannotRunCode); });
  }

  // A tool the caller may `type`; others' private tools answer 404 like missing ones.
  json ReadableTool(const Request& req, const char* type) {
    Viewer viewer(*this, CurrentUser(req));
    auto row = host_->QueryOne(std::string("SELECT ") + kToolCols + " FROM tool WHERE id = ?",
                               {PathString(req, "id")});
    if (!row) throw sdk::NotFound();
    json t = ToolJson(*row, true);
    if (!viewer.Allows(t, "read")) throw sdk::NotFound();
    if (!viewer.Allows(t, type)) throw sdk::Unauthorized(sdk::messages::kAccessProhibited);
    return t;
  }

  // ---- functions (admin-managed upstream; the list is what the chat UI reads) ----------------
  void AddFunctionRoutes() {
    sdk::Host& h = *host_;
    h.Route("GET", "/api/v1/functions/", Auth::kVerified, [this](Request&, Response& res) {
      json out = json::array();
      for (const auto& r : host_->Query(std::string("SELECT ") + kFunctionCols +
                                        " FROM function ORDER BY updated_at DESC"))
        out.push_back(FunctionJson(r, false));
      sdk::Reply(res, out);
    });
    h.Route("GET", "/api/v1/functions/id/{id}", Auth::kAdmin,
            [this](Request& req, Response& res) { sdk::Reply(res, AdminFunction(req)); });
    h.Route("DELETE", "/api/v1/functions/id/{id}/delete", Auth::kAdmin,
            [this](Request& req, Response& res) {
              json f = AdminFunction(req);
              host_->Exec("DELETE FROM function WHERE id = ?", {f["id"].get<std::string>()});
              sdk::Reply(res, true);
            });
    h.Route("POST", "/api/v1/functions/create", Auth::kAdmin,
            [](Request&, Response&) { throw sdk::HttpError(501, kCannotRunCode); });
  }

  json AdminFunction(const Request& req) {
    auto row =
        host_->QueryOne(std::string("SELECT ") + kFunctionCols + " FROM function WHERE id = ?",
                        {PathString(req, "id")});
    if (!row) throw sdk::NotFound();
    return FunctionJson(*row, true);
  }

  // ---- channels -------------------------------------------------------------------------------
  void AddChannelRoutes() {
    sdk::Host& h = *host_;
    h.Route("GET", "/api/v1/channels/", Auth::kVerified, [this](Request& req, Response& res) {
      Viewer viewer(*this, CurrentUser(req));
      json out = json::array();
      for (const auto& r : host_->Query(std::string("SELECT ") + kChannelCols +
                                        " FROM channel ORDER BY created_at")) {
        json c = ChannelJson(r);
        if (viewer.Allows(c, "read")) out.push_back(std::move(c));
      }
      sdk::Reply(res, out);
    });
    h.Route("GET", "/api/v1/channels/{id}", Auth::kVerified, [this](Request& req, Response& res) {
      Viewer viewer(*this, CurrentUser(req));
      auto row =
          host_->QueryOne(std::string("SELECT ") + kChannelCols + " FROM channel WHERE id = ?",
                          {PathString(req, "id")});
      if (!row) throw sdk::NotFound();
      json c = ChannelJson(*row);
      if (!viewer.Allows(c, "read")) throw sdk::NotFound();
      sdk::Reply(res, c);
    });
  }

  // ---- prompts --------------------------------------------------------------------------------
  void AddPromptRoutes() {
    sdk::Host& h = *host_;
    // "/" lists what the caller may read (the chat's "/" command), "/list" what it may edit.
    for (auto [path, type] :
         {std::pair{"/api/v1/prompts/", "read"}, std::pair{"/api/v1/prompts/list", "write"}}) {
      h.Route("GET", path, Auth::kVerified, [this, type = type](Request& req, Response& res) {
        Viewer viewer(*this, CurrentUser(req));
        json out = json::array();
        for (const auto& r : host_->Query(std::string("SELECT ") + kPromptCols +
                                          " FROM prompt ORDER BY timestamp DESC, command")) {
          json p = PromptJson(r);
          if (viewer.Allows(p, type)) out.push_back(std::move(p));
        }
        sdk::Reply(res, out);
      });
    }
    h.Route("POST", "/api/v1/prompts/create", Auth::kVerified, [this](Request& req, Response& res) {
      const User user = CurrentUser(req);
      if (!HasPermission(user, "workspace", "prompts", false))
        throw sdk::Unauthorized(sdk::messages::kUnauthorized);
      const PromptForm f = ParsePromptForm(req);
      if (f.command.empty()) throw sdk::BadRequest(sdk::messages::Default());
      if (PromptRow(f.command)) throw sdk::BadRequest(kCommandTaken);
      const int64_t n = host_->Exec(
          "INSERT INTO prompt (command, user_id, title, content, timestamp, access_control) "
          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (command) DO NOTHING",
          {f.command, user.id, f.title, f.content, NowSeconds(),
           f.access_control.is_null() ? Param(nullptr) : Param(Dump(f.access_control))});
      // A concurrent create of the same command lost the race: same answer as the check above.
      if (n == 0) throw sdk::BadRequest(kCommandTaken);
      sdk::Reply(res, *PromptRow(f.command));
    });
    h.Route(
        "GET", "/api/v1/prompts/command/{command}", Auth::kVerified,
        [this](Request& req, Response& res) { sdk::Reply(res, AccessiblePrompt(req, "read")); });
    h.Route("POST", "/api/v1/prompts/command/{command}/update", Auth::kVerified,
            [this](Request& req, Response& res) {
              json p = AccessiblePrompt(req, "write");
              const PromptForm f = ParsePromptForm(req);
              // As upstream: the command itself is the key and does not change here.
              host_->Exec(
                  "UPDATE prompt SET title = ?, content = ?, access_control = ?, timestamp = ? "
                  "WHERE command = ?",
                  {f.title, f.content,
                   f.access_control.is_null() ? Param(nullptr) : Param(Dump(f.access_control)),
                   NowSeconds(), p["command"].get<std::string>()});
              auto updated = PromptRow(p["command"].get<std::string>());
              if (!updated) throw sdk::NotFound();
              sdk::Reply(res, *updated);
            });
    h.Route("DELETE", "/api/v1/prompts/command/{command}/delete", Auth::kVerified,
            [this](Request& req, Response& res) {
              json p = AccessiblePrompt(req, "write");
              host_->Exec("DELETE FROM prompt WHERE command = ?",
                          {p["command"].get<std::string>()});
              sdk::Reply(res, true);
            });
  }

  std::optional<json> PromptRow(const std::string& command) {
    auto row = host_->QueryOne(
        std::string("SELECT ") + kPromptCols + " FROM prompt WHERE command = ?", {command});
    if (!row) return std::nullopt;
    return PromptJson(*row);
  }

  // Stored commands carry their leading "/" (the path segment does not). Prompts the caller
  // cannot read answer 404 like missing ones; readable but not writable ones 401 as upstream.
  json AccessiblePrompt(const Request& req, const char* type) {
    Viewer viewer(*this, CurrentUser(req));
    auto p = PromptRow("/" + PathString(req, "command"));
    if (!p || !viewer.Allows(*p, "read")) throw sdk::NotFound();
    if (!viewer.Allows(*p, type)) throw sdk::Unauthorized(sdk::messages::kAccessProhibited);
    return *p;
  }

  sdk::Host* host_ = nullptr;
};

}  // namespace webui::workspace

WEBUI_HOST_PLUGIN(webui::workspace::WorkspacePlugin, "workspace", "0.1.0",
                  "Workspace tools, functions, channels and prompts")
