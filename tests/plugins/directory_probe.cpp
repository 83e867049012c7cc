// "directory_probe": exposes the users.v1 / groups.v1 typed clients (sdk/users.hpp) as admin
// routes, so the integration tests drive the auth plugin's services through the real binary the
// way an ldap or scim plugin would.
#include <webui_host/sdk.hpp>
#include <webui_host/sdk/users.hpp>

#include <nlohmann/json.hpp>

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {
constexpr const char* kBase = "/api/v1/directory_probe";

std::string PathOf(const char* tail) { return std::string(kBase) + tail; }

void Answer(Response& res, const std::optional<json>& j) {
  if (!j) throw webui::sdk::HttpError(404, "not found");
  res.Json(j->dump());
}
}  // namespace

class DirectoryProbe : public webui::sdk::Plugin {
 public:
  void Init(webui::sdk::Host& host) override {
    const webui::sdk::Users users(host);
    const webui::sdk::Groups groups(host);
    // Public on purpose (test plugin only): the first-admin race needs callers on an empty db.
    host.Route("POST", PathOf("/users").c_str(), Auth::kPublic,
               [users](Request& req, Response& res) {
                 res.Json(users.Create(json::parse(req.Body())).dump());
               });
    host.Route("POST", PathOf("/users/{id}/update").c_str(), Auth::kAdmin,
               [users](Request& req, Response& res) {
                 Answer(res, users.Update(*req.PathParam("id"), json::parse(req.Body())));
               });
    host.Route("POST", PathOf("/users/{id}/token").c_str(), Auth::kAdmin,
               [users](Request& req, Response& res) {
                 Answer(res, users.IssueToken(*req.PathParam("id")));
               });
    host.Route("GET", PathOf("/users/by_email").c_str(), Auth::kAdmin,
               [users](Request& req, Response& res) {
                 Answer(res, users.GetByEmail(req.Query("email").value_or("")));
               });
    host.Route("POST", PathOf("/groups").c_str(), Auth::kAdmin,
               [groups](Request& req, Response& res) {
                 const auto caller = req.RequireCaller();
                 res.Json(groups.Create(caller.id, json::parse(req.Body())).dump());
               });
    host.Route("POST", PathOf("/groups/{id}/add").c_str(), Auth::kAdmin,
               [groups](Request& req, Response& res) {
                 groups.AddUsers(*req.PathParam("id"), json::parse(req.Body()));
                 res.Json("true");
               });
    host.Route("POST", PathOf("/groups/{id}/remove").c_str(), Auth::kAdmin,
               [groups](Request& req, Response& res) {
                 groups.RemoveUsers(*req.PathParam("id"), json::parse(req.Body()));
                 res.Json("true");
               });
    host.Route("GET", PathOf("/groups_of/{id}").c_str(), Auth::kAdmin,
               [groups](Request& req, Response& res) {
                 res.Json(groups.GroupsOf(*req.PathParam("id")).dump());
               });
  }
};

WEBUI_HOST_PLUGIN_WITH_DEPS(DirectoryProbe, "directory_probe", "0.1.0",
                            "Drives users.v1 / groups.v1 for the tests", "auth")
