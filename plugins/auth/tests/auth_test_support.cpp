#include "auth_test_support.hpp"

#include <gtest/gtest.h>

namespace webui::auth_it {

using nlohmann::json;

std::unique_ptr<HostProcess> StartHost(const Backend& backend, const HostOptions& o) {
  HostProcess::Options opts;
  opts.env = backend.Env();
  // The real plugins (auth) and the "basic" test plugin for probe routes at every level.
  opts.env["WEBUI_PLUGIN_PATH"] =
      std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + testing::PluginDir("good");
  opts.env["WEBUI_PLUGINS"] = "auth,basic";
  opts.env["WEBUI_PLUGINS_STRICT"] = "true";
  // Cheap hashes keep tests quick; the cost-12 default is exercised by the unit tests.
  opts.env["WEBUI_AUTH_BCRYPT_ROUNDS"] = "4";
  if (o.with_secret) opts.env["WEBUI_SECRET_KEY"] = kSecret;
  for (const auto& [k, v] : o.env) opts.env[k] = v;
  opts.data_dir = o.data_dir;
  auto host = std::make_unique<HostProcess>(opts);
  std::string why;
  if (!host->Start(&why)) {
    ADD_FAILURE() << "host did not start: " << why;
    return nullptr;
  }
  return host;
}

std::unique_ptr<storage::Database> OpenDb(const Backend& backend, const HostProcess& host) {
  storage::DatabaseOptions o;
  o.url = backend.database_url();
  o.sqlite_path = host.data_dir() + "/webui.db";
  o.pool_size = 2;
  return storage::Database::Open(o);
}

HttpResult Post(const HostProcess& h, const std::string& path, const json& body,
                const HeaderList& headers) {
  return h.Post(path, body.dump(), headers);
}

HttpResult SignUp(const HostProcess& h, const std::string& name, const std::string& email,
                  const std::string& password) {
  return Post(h, "/api/v1/auths/signup",
              {{"name", name}, {"email", email}, {"password", password}});
}

HttpResult SignIn(const HostProcess& h, const std::string& email, const std::string& password) {
  return Post(h, "/api/v1/auths/signin", {{"email", email}, {"password", password}});
}

HeaderList Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

std::string MakeAdmin(const HostProcess& h, const std::string& email) {
  auto r = SignUp(h, "Admin", email, "admin-password");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["role"], "admin");
  return r.Json().value("token", "");
}

std::pair<std::string, std::string> MakeUser(const HostProcess& h, const std::string& admin_token,
                                             const std::string& email, const std::string& role) {
  auto r = Post(
      h, "/api/v1/auths/add",
      {{"name", "User " + email}, {"email", email}, {"password", "user-password"}, {"role", role}},
      Bearer(admin_token));
  EXPECT_EQ(r.status, 200) << r.body;
  return {r.Json().value("token", ""), r.Json().value("id", "")};
}

}  // namespace webui::auth_it
