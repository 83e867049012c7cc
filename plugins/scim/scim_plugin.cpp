// The plugin: enabled by SCIM_ENABLED / ENABLE_SCIM at start (otherwise it registers nothing, so
// /api/v1/scim/v2 answers 404 and nothing else changes), one bearer token (SCIM_TOKEN) for every
// route, and SCIM error bodies for every failure.
#include "scim_plugin.hpp"

#include <ctime>

#include "filter.hpp"

namespace webui::scim {

std::string Context::BaseUrl(const sdk::Request& req) const {
  std::string root;
  if (auto url = host_.ConfigJson("webui.url")) {
    const auto parsed = sdk::json::Parse(*url);
    if (parsed && parsed->is_string()) root = parsed->get<std::string>();
  }
  if (root.empty()) {
    // Behind a TLS-terminating proxy the original scheme arrives in X-Forwarded-Proto.
    const bool https = sdk::LowerAscii(req.Header("X-Forwarded-Proto").value_or("")) == "https";
    root =
        std::string(https ? "https://" : "http://") + std::string(req.Header("Host").value_or(""));
  }
  while (!root.empty() && root.back() == '/') root.pop_back();
  return root + std::string(kBasePath);
}

json Context::Body(const sdk::Request& req) const {
  auto body = sdk::json::Parse(req.Body());
  if (!body) throw ScimError(400, "invalidSyntax", "The request body is not valid JSON");
  if (!body->is_object())
    throw ScimError(400, "invalidSyntax", "The request body must be an object");
  return std::move(*body);
}

void Context::Send(sdk::Response& res, int status, const json& body) const {
  res.Status(status).Header("Content-Type", kMediaType);
  res.Send(body.is_null() ? std::string() : sdk::json::Dump(body));
}

std::string IsoTime(int64_t epoch_seconds) {
  const std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
  return buf;
}

json ResourceMeta(const char* resource_type, const json& row, const std::string& location) {
  return {{"resourceType", resource_type},
          {"created", IsoTime(row.value("created_at", int64_t{0}))},
          {"lastModified", IsoTime(row.value("updated_at", int64_t{0}))},
          {"location", location}};
}

json ListResponse(const json& resources, int64_t total, int64_t start_index) {
  return {{"schemas", {kListSchema}},
          {"totalResults", total},
          {"itemsPerPage", resources.size()},
          {"startIndex", start_index},
          {"Resources", resources}};
}

Projection ProjectionOf(const sdk::Request& req) {
  Projection p;
  if (auto a = req.Query("attributes")) p.attributes = std::string(*a);
  if (auto e = req.Query("excludedAttributes")) p.excluded = std::string(*e);
  return p;
}

namespace {

bool Truthy(std::optional<std::string> v) {
  if (!v) return false;
  const std::string s = sdk::LowerAscii(*v);
  return s == "true" || s == "1" || s == "yes" || s == "on";
}

class ScimPlugin : public sdk::Plugin {
 public:
  void Init(sdk::Host& host) override {
    host_ = &host;
    // Newer Open WebUI reads ENABLE_SCIM and falls back to 0.6.x's SCIM_ENABLED.
    auto enabled = host.Env("ENABLE_SCIM");
    if (!enabled || enabled->empty()) enabled = host.Env("SCIM_ENABLED");
    if (!Truthy(enabled)) {
      host.Info("SCIM is disabled (ENABLE_SCIM / SCIM_ENABLED): no routes registered");
      return;
    }
    token_ = host.Env("SCIM_TOKEN").value_or("");
    if (token_.empty()) host.Warn("SCIM is enabled but SCIM_TOKEN is empty: every call gets 401");
    context_ = std::make_unique<Context>(host);
    const AddRoute add = [this](std::string_view method, std::string_view path, Handler handler) {
      // Auth::kPlugin: the host's identity chain never sees the SCIM token (a JWT is not a SCIM
      // credential and the SCIM token is not a session), the handler checks it.
      host_->Route(
          method, std::string(kBasePath) + std::string(path), sdk::Auth::kPlugin,
          [this, handler](sdk::Request& req, sdk::Response& res) { Serve(handler, req, res); });
    };
    AddDiscoveryRoutes(add);
    AddUserRoutes(add);
    AddGroupRoutes(add);
  }

 private:
  void Serve(const Handler& handler, sdk::Request& req, sdk::Response& res) const {
    const Context& ctx = *context_;
    try {
      if (auto refusal = BearerRefusal(req.Header("Authorization"), token_)) {
        res.Header("WWW-Authenticate", "Bearer");
        ctx.Send(res, 401, ErrorBody(401, "", *refusal));
        return;
      }
      handler(ctx, req, res);
    } catch (const ScimError& e) {
      Fail(res, e.status(), e.scim_type(), e.what());
    } catch (const FilterError& e) {
      Fail(res, 400, "invalidFilter", e.what());
    } catch (const sdk::Error& e) {
      // A database outage is an honest 503, never "not found" or a 401.
      if (e.status() == WH_UNAVAILABLE) {
        Fail(res, 503, "", "Service unavailable");
      } else {
        host_->Warn(std::string("scim: ") + e.what());
        Fail(res, 500, "", "Internal Server Error");
      }
    } catch (const std::exception& e) {
      host_->Warn(std::string("scim: ") + e.what());
      Fail(res, 500, "", "Internal Server Error");
    }
  }

  void Fail(sdk::Response& res, int status, const std::string& type,
            const std::string& detail) const {
    if (res.started()) return;
    try {
      context_->Send(res, status, ErrorBody(status, type, detail));
    } catch (const std::exception&) {
      // The host refused the answer (client gone): nothing left to tell anyone.
    }
  }

  sdk::Host* host_ = nullptr;
  std::string token_;
  std::unique_ptr<Context> context_;
};

}  // namespace
}  // namespace webui::scim

WEBUI_HOST_PLUGIN_WITH_DEPS(webui::scim::ScimPlugin, "scim", "1.0.0",
                            "SCIM 2.0 user and group provisioning (Okta, Entra ID)", "auth")
