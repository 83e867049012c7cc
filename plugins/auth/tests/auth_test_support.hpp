// Helpers for the auth plugin's integration tests: a webui-host running the real plugins dir
// (auth) plus the "basic" test plugin for user/admin-level probe routes — never test_auth, since
// only one authenticator may exist.
#pragma once

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "host_process.hpp"
#include "storage/database.hpp"

namespace webui::auth_it {

using testing::Backend;
using testing::HeaderList;
using testing::HostProcess;
using testing::HttpResult;

inline constexpr const char* kSecret = "it-secret-for-the-auth-plugin-tests";

struct HostOptions {
  std::map<std::string, std::string> env;
  std::string data_dir;     // "" = fresh
  bool with_secret = true;  // WEBUI_SECRET_KEY=kSecret
};

inline HostOptions WithEnv(std::map<std::string, std::string> env) {
  HostOptions o;
  o.env = std::move(env);
  return o;
}

std::unique_ptr<HostProcess> StartHost(const Backend& backend, const HostOptions& o = {});

// The database a host on `backend` uses (for checks and for rows "written by Python").
std::unique_ptr<storage::Database> OpenDb(const Backend& backend, const HostProcess& host);

HttpResult Post(const HostProcess& h, const std::string& path, const nlohmann::json& body,
                const HeaderList& headers = {});
HttpResult SignUp(const HostProcess& h, const std::string& name, const std::string& email,
                  const std::string& password);
HttpResult SignIn(const HostProcess& h, const std::string& email, const std::string& password);
HeaderList Bearer(const std::string& token);

// Signs up the first account (the admin) and returns its token.
std::string MakeAdmin(const HostProcess& h, const std::string& email = "admin@example.com");
// Opens sign-up, signs up another account, and returns {token, id}.
std::pair<std::string, std::string> MakeUser(const HostProcess& h, const std::string& admin_token,
                                             const std::string& email,
                                             const std::string& role = "user");

}  // namespace webui::auth_it
