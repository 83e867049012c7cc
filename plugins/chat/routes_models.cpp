// GET /api/models, /api/models/base (main.py) and the workspace models of /api/v1/models
// (routers/models.py): provider models merged with the `model` table, filtered by access.
#include <algorithm>

#include "chat_plugin.hpp"

namespace webui::chat {

using sdk::Auth;
using sdk::Request;
using sdk::Response;

namespace {

bool TrueQuery(const Request& req, const char* name) {
  auto v = req.Query(name);
  if (!v) return false;
  const std::string s = LowerAscii(*v);
  return s == "true" || s == "1" || s == "yes" || s == "on";
}

const WorkspaceModel* FindRow(const std::vector<WorkspaceModel>& rows, const std::string& id) {
  for (const auto& r : rows)
    if (r.id == id) return &r;
  return nullptr;
}

// ModelForm: id, name, meta and params are required.
WorkspaceModel ParseModelForm(const json& body) {
  auto str = [&](const char* k) {
    if (!body.contains(k) || !body[k].is_string() || body[k].get<std::string>().empty())
      throw sdk::Unprocessable(std::string(k) + " is required");
    return body[k].get<std::string>();
  };
  WorkspaceModel m;
  m.id = str("id");
  m.name = str("name");
  if (!body.contains("meta") || !body["meta"].is_object())
    throw sdk::Unprocessable("meta must be an object");
  if (!body.contains("params") || !body["params"].is_object())
    throw sdk::Unprocessable("params must be an object");
  m.meta = NormalizeModelMeta(body["meta"]);
  m.params = body["params"];
  if (body.contains("base_model_id") && body["base_model_id"].is_string() &&
      !body["base_model_id"].get<std::string>().empty())
    m.base_model_id = body["base_model_id"].get<std::string>();
  m.access_control =
      body.contains("access_control") ? NormalizeAccessControl(body["access_control"]) : json();
  m.is_active = !body.contains("is_active") || !body["is_active"].is_boolean() ||
                body["is_active"].get<bool>();
  return m;
}
}  // namespace

std::vector<json> ChatPlugin::AllModels(bool refresh) {
  return MergeModels(catalog_->BaseModels(refresh), *store_->ModelRows());
}

bool ChatPlugin::CanRead(const User& user, const WorkspaceModel& m) {
  if (user.IsAdmin() && SettingBool("models.bypass_admin_access_control", true)) return true;
  if (m.user_id == user.id) return true;
  return HasAccess(user.id, "read", m.access_control, store_->GroupIdsOf(user.id));
}

bool ChatPlugin::CanWrite(const User& user, const WorkspaceModel& m) {
  if (user.IsAdmin() || m.user_id == user.id) return true;
  return HasAccess(user.id, "write", m.access_control, store_->GroupIdsOf(user.id));
}

std::vector<json> ChatPlugin::VisibleModels(const User& user, bool refresh) {
  const auto rows = store_->ListModels();
  auto merged = MergeModels(catalog_->BaseModels(refresh), rows);
  std::vector<json> models;
  for (auto& m : merged) {
    // Filter pipelines are not chat models.
    if (m.contains("pipeline") && m["pipeline"].is_object() &&
        m["pipeline"].value("type", "") == "filter")
      continue;
    ApplyModelTags(m);
    models.push_back(std::move(m));
  }
  SortByOrderList(models, Setting("ui.model_order_list", json::array()));
  if (user.role == "user" && !SettingBool("models.bypass_access_control", false)) {
    // A user sees a model only once it has a row in `model` they may read (as upstream: models
    // an admin has not configured stay admin-only).
    const auto groups = store_->GroupIdsOf(user.id);
    std::vector<json> visible;
    for (auto& m : models) {
      const WorkspaceModel* row = FindRow(rows, m.value("id", ""));
      if (row &&
          (row->user_id == user.id || HasAccess(user.id, "read", row->access_control, groups)))
        visible.push_back(std::move(m));
    }
    models.swap(visible);
  }
  return models;
}

ResolvedModel ChatPlugin::Resolve(const json& model_id, const User& user) {
  if (!model_id.is_string()) throw sdk::BadRequest(kModelNotFound);
  const std::string id = model_id;
  const auto rows = store_->ListModels();
  const auto merged = MergeModels(catalog_->BaseModels(false), rows);
  auto it = std::find_if(merged.begin(), merged.end(),
                         [&](const json& m) { return m.value("id", "") == id; });
  if (it == merged.end()) throw sdk::BadRequest(kModelNotFound);
  ResolvedModel rm;
  rm.model = *it;
  if (const WorkspaceModel* row = FindRow(rows, id)) rm.info = *row;
  if (user.role == "user" && !SettingBool("models.bypass_access_control", false)) {
    if (!rm.info ||
        !(rm.info->user_id == user.id ||
          HasAccess(user.id, "read", rm.info->access_control, store_->GroupIdsOf(user.id))))
      throw sdk::BadRequest(kModelNotFound);
  }
  rm.upstream_id = rm.info && rm.info->base_model_id ? *rm.info->base_model_id : id;
  auto provider = catalog_->ProviderFor(rm.upstream_id);
  if (!provider) throw sdk::BadRequest(kModelNotFound);
  rm.provider = *provider;
  return rm;
}

void ChatPlugin::AddModelRoutes() {
  sdk::Host& h = *host_;

  auto models = [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    sdk::Reply(res, json{{"data", VisibleModels(user, TrueQuery(req, "refresh"))}});
  };
  h.Route("GET", "/api/models", Auth::kVerified, models);
  h.Route("GET", "/api/models/", Auth::kVerified, models);
  h.Route("GET", "/api/models/base", Auth::kAdmin, [this](Request& req, Response& res) {
    sdk::Reply(res, json{{"data", catalog_->BaseModels(TrueQuery(req, "refresh"))}});
  });

  // -- workspace models --
  auto with_users = [this](const std::vector<WorkspaceModel>& list) {
    std::set<std::string> ids;
    for (const auto& m : list) ids.insert(m.user_id);
    const json users = store_->UsersByIds(ids);
    json out = json::array();
    for (const auto& m : list) {
      json j = m.ToJson();
      j["user"] = users.contains(m.user_id) ? users[m.user_id] : json();
      out.push_back(std::move(j));
    }
    return out;
  };
  auto writable = [this](const User& user) {
    std::vector<WorkspaceModel> out;
    const bool all = user.IsAdmin() && SettingBool("models.bypass_admin_access_control", true);
    const auto groups = store_->GroupIdsOf(user.id);
    for (auto& m : store_->ListModels()) {
      if (!m.base_model_id) continue;
      if (all || m.user_id == user.id || HasAccess(user.id, "write", m.access_control, groups))
        out.push_back(std::move(m));
    }
    return out;
  };
  auto list = [with_users, writable](Request& req, Response& res) {
    sdk::Reply(res, with_users(writable(CurrentUser(req))));
  };
  h.Route("GET", "/api/v1/models/", Auth::kVerified, list);
  h.Route("GET", "/api/v1/models", Auth::kVerified, list);
  // Newer frontends page through the same list.
  h.Route("GET", "/api/v1/models/list", Auth::kVerified,
          [with_users, writable](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const std::string q = LowerAscii(req.Query("query").value_or(""));
            const std::string view = std::string(req.Query("view_option").value_or(""));
            std::vector<WorkspaceModel> hits;
            for (auto& m : writable(user)) {
              if (!q.empty() && LowerAscii(m.name).find(q) == std::string::npos &&
                  LowerAscii(m.base_model_id.value_or("")).find(q) == std::string::npos)
                continue;
              if (view == "created" && m.user_id != user.id) continue;
              if (view == "shared" && m.user_id == user.id) continue;
              hits.push_back(std::move(m));
            }
            std::reverse(hits.begin(), hits.end());  // newest first
            const int64_t total = static_cast<int64_t>(hits.size());
            constexpr int64_t kLimit = 30;
            if (auto page = IntQuery(req, "page")) {
              const size_t from = static_cast<size_t>((std::max<int64_t>(*page, 1) - 1) * kLimit);
              std::vector<WorkspaceModel> slice;
              for (size_t i = from; i < hits.size() && slice.size() < kLimit; ++i)
                slice.push_back(hits[i]);
              hits.swap(slice);
            }
            sdk::Reply(res, json{{"items", with_users(hits)}, {"total", total}});
          });
  h.Route("GET", "/api/v1/models/base", Auth::kAdmin, [this](Request&, Response& res) {
    json out = json::array();
    for (const auto& m : store_->ListModels())
      if (!m.base_model_id) out.push_back(m.ToJson());
    sdk::Reply(res, out);
  });

  h.Route("POST", "/api/v1/models/create", Auth::kVerified, [this](Request& req, Response& res) {
    const User user = CurrentUser(req);
    if (!HasPermission(user, "workspace.models", false))
      throw sdk::Unauthorized(sdk::messages::kUnauthorized);
    WorkspaceModel m = ParseModelForm(sdk::JsonBody(req));
    if (store_->GetModel(m.id)) throw sdk::Unauthorized(kModelIdTaken);
    m.user_id = user.id;
    m.created_at = m.updated_at = NowSeconds();
    try {
      store_->InsertModel(m);
    } catch (const sdk::Error& e) {
      if (e.status() == WH_UNAVAILABLE) throw;  // an outage is a 503, not "absent"
      throw sdk::Unauthorized(kModelIdTaken);   // created concurrently
    }
    sdk::Reply(res, m.ToJson());
  });

  // The model named by ?id=, 404 when absent or not readable (its existence stays hidden).
  auto readable = [this](Request& req, const User& user) {
    const std::string id(req.Query("id").value_or(""));
    auto m = store_->GetModel(id);
    if (!m || !CanRead(user, *m)) throw sdk::NotFound();
    return *m;
  };
  h.Route("GET", "/api/v1/models/model", Auth::kVerified, [readable](Request& req, Response& res) {
    sdk::Reply(res, readable(req, CurrentUser(req)).ToJson());
  });
  h.Route("POST", "/api/v1/models/model/toggle", Auth::kVerified,
          [this, readable](Request& req, Response& res) {
            const User user = CurrentUser(req);
            WorkspaceModel m = readable(req, user);
            if (!CanWrite(user, m)) throw sdk::Unauthorized(kAccessProhibited);
            m.is_active = !m.is_active;
            m.updated_at = NowSeconds();
            store_->UpdateModel(m);
            sdk::Reply(res, m.ToJson());
          });
  h.Route("POST", "/api/v1/models/model/update", Auth::kVerified,
          [this, readable](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const WorkspaceModel current = readable(req, user);
            if (!CanWrite(user, current)) throw sdk::Unauthorized(kAccessProhibited);
            json body = sdk::JsonBody(req);
            body["id"] = current.id;
            WorkspaceModel m = ParseModelForm(body);
            m.user_id = current.user_id;
            m.created_at = current.created_at;
            m.updated_at = NowSeconds();
            store_->UpdateModel(m);
            sdk::Reply(res, m.ToJson());
          });
  h.Route("DELETE", "/api/v1/models/model/delete", Auth::kVerified,
          [this, readable](Request& req, Response& res) {
            const User user = CurrentUser(req);
            const WorkspaceModel m = readable(req, user);
            if (!CanWrite(user, m)) throw sdk::Unauthorized(kAccessProhibited);
            store_->DeleteModel(m.id);
            sdk::Reply(res, true);
          });
  h.Route("DELETE", "/api/v1/models/delete/all", Auth::kAdmin, [this](Request&, Response& res) {
    store_->DeleteAllModels();
    sdk::Reply(res, true);
  });
}

}  // namespace webui::chat
