// Discovery (RFC 7644 §4): what this service provider supports, advertised exactly as it
// behaves (filter: `eq`/`and` only, at most kMaxCount per page; no bulk, sort, etag or password
// change). Behind the same bearer as the rest (docs/modules/scim.md says why).
#include "scim_plugin.hpp"

namespace webui::scim {
namespace {

json ServiceProviderConfig(const std::string& base) {
  return {
      {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
      {"documentationUri", "https://github.com/open-webui/open-webui"},
      {"patch", {{"supported", true}}},
      {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
      {"filter", {{"supported", true}, {"maxResults", kMaxCount}}},
      {"changePassword", {{"supported", false}}},
      {"sort", {{"supported", false}}},
      {"etag", {{"supported", false}}},
      {"authenticationSchemes",
       {{{"type", "oauthbearertoken"},
         {"name", "OAuth Bearer Token"},
         {"description", "Authentication using OAuth 2.0 Bearer Token"},
         {"primary", true}}}},
      {"meta",
       {{"resourceType", "ServiceProviderConfig"}, {"location", base + "/ServiceProviderConfig"}}},
  };
}

json ResourceType(const std::string& base, const char* name, const char* endpoint,
                  const char* schema) {
  return {{"schemas", {"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
          {"id", name},
          {"name", name},
          {"endpoint", endpoint},
          {"schema", schema},
          {"meta",
           {{"resourceType", "ResourceType"},
            {"location", base + "/ResourceTypes/" + std::string(name)}}}};
}

json ResourceTypes(const std::string& base) {
  return {ResourceType(base, "User", "/Users", kUserSchema),
          ResourceType(base, "Group", "/Groups", kGroupSchema)};
}

json Attr(const char* name, const char* type, bool multi, bool required, const char* mutability,
          const char* uniqueness = "none", bool case_exact = false) {
  return {{"name", name},
          {"type", type},
          {"multiValued", multi},
          {"required", required},
          {"caseExact", case_exact},
          {"mutability", mutability},
          {"returned", "default"},
          {"uniqueness", uniqueness}};
}

json WithSubs(json attr, json subs) {
  attr["subAttributes"] = std::move(subs);
  return attr;
}

json Schemas(const std::string& base) {
  const json user_attrs = {
      Attr("userName", "string", false, true, "readWrite", "server"),
      Attr("externalId", "string", false, false, "readWrite", "none", true),
      WithSubs(Attr("name", "complex", false, false, "readWrite"),
               {Attr("formatted", "string", false, false, "readWrite"),
                Attr("givenName", "string", false, false, "readWrite"),
                Attr("familyName", "string", false, false, "readWrite")}),
      Attr("displayName", "string", false, false, "readWrite"),
      WithSubs(Attr("emails", "complex", true, false, "readWrite"),
               {Attr("value", "string", false, false, "readWrite"),
                Attr("type", "string", false, false, "readWrite"),
                Attr("primary", "boolean", false, false, "readWrite")}),
      Attr("active", "boolean", false, false, "readWrite"),
      WithSubs(Attr("photos", "complex", true, false, "readWrite"),
               {Attr("value", "reference", false, false, "readWrite")}),
      WithSubs(Attr("groups", "complex", true, false, "readOnly"),
               {Attr("value", "string", false, false, "readOnly"),
                Attr("display", "string", false, false, "readOnly")}),
  };
  const json group_attrs = {
      Attr("displayName", "string", false, true, "readWrite", "server"),
      WithSubs(Attr("members", "complex", true, false, "readWrite"),
               {Attr("value", "string", false, false, "immutable"),
                Attr("display", "string", false, false, "readOnly")}),
  };
  auto schema = [&](const char* id, const char* name, const char* description, json attrs) {
    return json{
        {"schemas", {"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
        {"id", id},
        {"name", name},
        {"description", description},
        {"attributes", std::move(attrs)},
        {"meta", {{"resourceType", "Schema"}, {"location", base + "/Schemas/" + std::string(id)}}}};
  };
  return {schema(kUserSchema, "User", "User Account", user_attrs),
          schema(kGroupSchema, "Group", "Group", group_attrs)};
}

// GET /<collection>/{id}: the item whose "id" matches, or 404.
void SendOne(const Context& ctx, sdk::Response& res, const json& items, std::string_view id,
             const char* what) {
  for (const auto& item : items)
    if (item.value("id", "") == id) return ctx.Send(res, 200, item);
  throw ScimError(404, "", std::string(what) + " " + std::string(id) + " not found");
}

}  // namespace

void AddDiscoveryRoutes(const AddRoute& add) {
  add("GET", "/ServiceProviderConfig",
      [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
        ctx.Send(res, 200, ServiceProviderConfig(ctx.BaseUrl(req)));
      });
  // ListResponse, as RFC 7644 §4 asks (Open WebUI answers a bare array).
  add("GET", "/ResourceTypes", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    const json items = ResourceTypes(ctx.BaseUrl(req));
    ctx.Send(res, 200, ListResponse(items, static_cast<int64_t>(items.size()), 1));
  });
  add("GET", "/ResourceTypes/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    SendOne(ctx, res, ResourceTypes(ctx.BaseUrl(req)), req.PathParam("id").value_or(""),
            "ResourceType");
  });
  add("GET", "/Schemas", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    const json items = Schemas(ctx.BaseUrl(req));
    ctx.Send(res, 200, ListResponse(items, static_cast<int64_t>(items.size()), 1));
  });
  add("GET", "/Schemas/{id}", [](const Context& ctx, sdk::Request& req, sdk::Response& res) {
    SendOne(ctx, res, Schemas(ctx.BaseUrl(req)), req.PathParam("id").value_or(""), "Schema");
  });
}

}  // namespace webui::scim
