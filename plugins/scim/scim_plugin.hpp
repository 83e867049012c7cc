// SCIM 2.0 provisioning (RFC 7643/7644) at /api/v1/scim/v2, for Okta, Entra ID and other
// identity providers. Users and groups are read and changed only through the auth plugin's
// users.v1 and groups.v1 services; the plugin has no tables of its own.
#pragma once

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "protocol.hpp"

namespace webui::scim {

using nlohmann::json;

inline constexpr std::string_view kBasePath = "/api/v1/scim/v2";

// The {id} path parameter of a resource route.
inline std::string IdOf(const sdk::Request& req) {
  return std::string(req.PathParam("id").value_or(""));
}

// What a handler needs from the plugin: the host, the URLs of resources and the wire format.
class Context {
 public:
  explicit Context(sdk::Host& host) : host_(host) {}
  sdk::Host& host() const { return host_; }
  // "<scheme>://<host>/api/v1/scim/v2": WEBUI_URL when set, else the request's Host header.
  std::string BaseUrl(const sdk::Request& req) const;
  // The request body as a JSON object, or 400 invalidSyntax.
  json Body(const sdk::Request& req) const;
  // `application/scim+json` with the status.
  void Send(sdk::Response& res, int status, const json& body) const;

 private:
  sdk::Host& host_;
};

using Handler = std::function<void(const Context&, sdk::Request&, sdk::Response&)>;
using AddRoute = std::function<void(std::string_view method, std::string_view path, Handler)>;

// Route tables of each resource (users.cpp, groups.cpp, discovery.cpp); paths are relative to
// kBasePath.
void AddUserRoutes(const AddRoute& add);
void AddGroupRoutes(const AddRoute& add);
void AddDiscoveryRoutes(const AddRoute& add);

// Shared by users and groups.
std::string IsoTime(int64_t epoch_seconds);
// A resource's `meta` (RFC 7643 §3.1) from a users.v1/groups.v1 object's created_at/updated_at.
json ResourceMeta(const char* resource_type, const json& row, const std::string& location);
json ListResponse(const json& resources, int64_t total, int64_t start_index);
Projection ProjectionOf(const sdk::Request& req);

}  // namespace webui::scim
