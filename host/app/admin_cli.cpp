#include "app/admin_cli.hpp"

#include "app/usage_text.hpp"

#include <termios.h>
#include <unistd.h>

#include <webui_host/services/users.h>
#include <cstddef>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <webui_host/sdk/json.hpp>

namespace webui::app {
namespace {

using nlohmann::json;
constexpr int kOk = 0, kFailed = 1, kUsageError = 2, kNotFound = 4;

int Usage() {
  std::cerr << webui::app::kUsage;
  return kUsageError;
}

int PluginsCommand(const std::vector<std::string>& a, plugins::PluginManager& plugins) {
  if (a.size() == 2 && a[1] == "list") {
    for (const auto& p : plugins.Describe()) {
      std::cout << p.value("name", "") << "\t" << p.value("version", "") << "\t"
                << p.value("state", "");
      if (p.contains("reason") && p["reason"].is_string() &&
          !p["reason"].get<std::string>().empty())
        std::cout << "\t" << p["reason"].get<std::string>();
      std::cout << "\n";
    }
    return kOk;
  }
  if (a.size() == 3 && (a[1] == "enable" || a[1] == "disable")) {
    std::string message;
    const auto r =
        a[1] == "enable" ? plugins.Enable(a[2], &message) : plugins.Disable(a[2], &message);
    switch (r) {
      case plugins::PluginManager::Toggle::kOk:
        std::cout << "plugin " << a[2] << " " << a[1] << "d (running instances apply it when "
                  << "they restart)\n";
        return kOk;
      case plugins::PluginManager::Toggle::kNotFound:
        std::cerr << "no plugin named " << a[2] << "\n";
        return kNotFound;
      default:
        std::cerr << message << "\n";
        return kFailed;
    }
  }
  return Usage();
}

int ConfigCommand(const std::vector<std::string>& a, plugins::HostServices& host) {
  if (a.size() == 3 && a[1] == "get") {
    const auto v = host.persistent.Get(a[2]);
    if (!v) {
      std::cerr << "no setting " << a[2]
                << " (settings are declared by the plugins that own them)\n";
      return kNotFound;
    }
    std::cout << *v << "\n";
    return kOk;
  }
  if (a.size() == 4 && a[1] == "set") {
    const auto owner = host.persistent.OwnerOf(a[2]);
    if (!owner) {
      std::cerr << "no setting " << a[2] << "\n";
      return kNotFound;
    }
    // A JSON value as given (true, 3, ["a"], "text"), or else the text itself as a string.
    const auto parsed = sdk::json::Parse(a[3]);
    const std::string value = parsed ? parsed->dump() : json(a[3]).dump();
    switch (host.persistent.Set(*owner, a[2], value)) {
      case config::PersistentConfig::Result::kOk:
        std::cout << a[2] << " = " << *host.persistent.Get(a[2]) << "\n";
        return kOk;
      case config::PersistentConfig::Result::kInvalid:
        std::cerr << "invalid value for " << a[2] << ": " << a[3] << "\n";
        return kFailed;
      default:
        std::cerr << "cannot set " << a[2] << "\n";
        return kFailed;
    }
  }
  return Usage();
}

int MigrateCommand(const std::vector<std::string>& a, plugins::HostServices& host) {
  if (a.size() == 2 && a[1] == "--status") {
    std::cout << "owner\tversion\tapplied_at\tdescription\n";
    host.db.Exec(
        "SELECT owner, version, applied_at, description FROM webui_host_migration "
        "ORDER BY owner, version",
        {}, [](const storage::Row& r) {
          for (std::size_t i = 0; i < r.size(); ++i) {
            if (i) std::cout << "\t";
            std::visit(
                [](const auto& v) {
                  using T = std::decay_t<decltype(v)>;
                  if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                                std::is_same_v<T, std::string>) {
                    std::cout << v;
                  }
                },
                r.at(i));
          }
          std::cout << "\n";
          return true;
        });
    return kOk;
  }
  if (a.size() == 1) {
    // Loading the plugins has applied every pending migration.
    std::cout << "migrations applied\n";
    return kOk;
  }
  return Usage();
}

// users.v1 as the auth plugin offers it: the host never runs SQL on auth's tables, so accounts
// are read and changed exactly as auth's own routes do it (hashing, cache invalidation).
class UsersService {
 public:
  UsersService(plugins::HostServices& host, plugins::PluginManager& plugins) {
    for (const auto& e : host.services.Find(WH_SERVICE_USERS_V1)) {
      if (e.vtable == nullptr || e.vtable_size < offsetof(wh_users_v1, set_password)) continue;
      vt_ = static_cast<const wh_users_v1*>(e.vtable);
      vt_size_ = e.vtable_size;
      user_ = e.user_for ? e.user_for(plugins.host_record()) : e.user;
      return;
    }
  }
  bool offered() const { return vt_ != nullptr; }
  bool offers_set_password() const {
    return vt_size_ >= offsetof(wh_users_v1, set_password) + sizeof(void*) &&
           vt_->set_password != nullptr;
  }

  // The JSON the call wrote; nullopt for WH_NOT_FOUND; throws on any other failure.
  template <typename Call>
  std::optional<json> JsonCall(const char* what, Call&& call) const {
    std::string out;
    const wh_status st = call(
        +[](void* u, wh_str v) { static_cast<std::string*>(u)->append(v.ptr, v.len); }, &out);
    if (st == WH_NOT_FOUND) return std::nullopt;
    if (st != WH_OK) throw Failure(what, st);
    return json::parse(out);
  }
  std::optional<json> ByEmail(const std::string& email) const {
    return JsonCall("users.get_by_email", [&](wh_str_sink sink, void* u) {
      return vt_->get_by_email(user_, Wh(email), sink, u);
    });
  }
  json List() const {
    auto r = JsonCall("users.list",
                      [&](wh_str_sink sink, void* u) { return vt_->list(user_, 0, 0, sink, u); });
    return r ? *r : json{{"users", json::array()}};
  }
  wh_status Update(const std::string& id, const json& patch) const {
    const std::string text = patch.dump();
    std::string ignored;
    return vt_->update(
        user_, Wh(id), Wh(text),
        +[](void* u, wh_str v) { static_cast<std::string*>(u)->append(v.ptr, v.len); }, &ignored);
  }
  wh_status SetPassword(const std::string& id, const std::string& password) const {
    return vt_->set_password(user_, Wh(id), Wh(password));
  }

  static std::runtime_error Failure(const char* what, wh_status st) {
    return std::runtime_error(
        std::string(what) + (st == WH_UNAVAILABLE ? ": the database is unavailable"
                                                  : " failed (status " + std::to_string(st) + ")"));
  }

 private:
  static wh_str Wh(const std::string& s) { return wh_str{s.data(), s.size()}; }
  const wh_users_v1* vt_ = nullptr;
  size_t vt_size_ = 0;
  void* user_ = nullptr;
};

// A field for one tab-separated line: tabs and line breaks (which a display name may hold) would
// break the columns, other control characters would reach the admin's terminal.
std::string Cell(const json& user, const char* key) {
  std::string v = user.contains(key) && user[key].is_string() ? user[key].get<std::string>() : "";
  for (char& c : v)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return v;
}

// One line of the new password: from the terminal without echo (asked twice), or else the first
// line of stdin (for scripts: `printf '%s\n' "$pw" | webui-host user reset-password ...`).
std::optional<std::string> ReadNewPassword(const std::string& email, std::string* why) {
  const auto read_line = [](std::string& line) {
    if (!std::getline(std::cin, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  };
  if (!::isatty(STDIN_FILENO)) {
    std::string line;
    if (!read_line(line)) return std::nullopt;
    return line;
  }
  termios saved{};
  if (::tcgetattr(STDIN_FILENO, &saved) != 0) return std::nullopt;
  termios quiet = saved;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::string first, second;
  std::cerr << "New password for " << email << ": " << std::flush;
  bool ok = read_line(first);
  if (ok) {
    std::cerr << "Retype the new password: " << std::flush;
    ok = read_line(second);
  }
  ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (!ok) return std::nullopt;
  if (first != second) {
    *why = "the two entries differ";
    return std::nullopt;
  }
  return first;
}

int UserCommand(const std::vector<std::string>& a, plugins::HostServices& host,
                plugins::PluginManager& plugins) {
  const bool list = a.size() == 2 && a[1] == "list";
  const bool reset = a.size() == 3 && a[1] == "reset-password";
  const bool set_role = a.size() == 4 && a[1] == "set-role";
  if (!list && !reset && !set_role) return Usage();
  if (set_role && a[3] != "pending" && a[3] != "user" && a[3] != "admin") {
    std::cerr << "role must be pending, user or admin, not '" << a[3] << "'\n";
    return kUsageError;
  }
  const UsersService users(host, plugins);
  if (!users.offered()) {
    std::cerr << "no plugin offers " << WH_SERVICE_USERS_V1
              << ": the auth plugin is not loaded (see `webui-host plugins list`)\n";
    return kFailed;
  }
  if (list) {
    std::cout << "id\temail\trole\tname\n";
    const json listed = users.List();  // not a temporary: the loop reads into it
    for (const auto& u : listed.value("users", json::array()))
      std::cout << Cell(u, "id") << "\t" << Cell(u, "email") << "\t" << Cell(u, "role") << "\t"
                << Cell(u, "name") << "\n";
    return kOk;
  }
  const std::string& email = a[2];
  const auto user = users.ByEmail(email);
  if (!user) {
    std::cerr << "no user with the e-mail address " << email << "\n";
    return kNotFound;
  }
  const std::string id = user->value("id", "");
  if (set_role) {
    const wh_status st = users.Update(id, json{{"role", a[3]}});
    if (st == WH_INVALID) {
      std::cerr << email << " is the primary admin (the first account) and stays admin\n";
      return kFailed;
    }
    if (st != WH_OK) throw UsersService::Failure("users.update", st);
    std::cout << email << " is now " << a[3] << "\n";
    return kOk;
  }
  if (!users.offers_set_password()) {
    std::cerr << "the loaded auth plugin cannot set passwords (it predates users.v1 "
                 "set_password)\n";
    return kFailed;
  }
  std::string why = "no new password (end of input)";
  const auto password = ReadNewPassword(email, &why);
  if (!password) {
    std::cerr << why << "; nothing changed\n";
    return kFailed;
  }
  if (password->empty()) {
    std::cerr << "an empty password is refused; nothing changed\n";
    return kFailed;
  }
  const wh_status st = users.SetPassword(id, *password);
  if (st == WH_INVALID) {
    std::cerr << "password refused (at most 72 bytes, no NUL byte); nothing changed\n";
    return kFailed;
  }
  if (st == WH_NOT_FOUND) {
    std::cerr << "no user with the e-mail address " << email << "\n";
    return kNotFound;
  }
  if (st != WH_OK) throw UsersService::Failure("users.set_password", st);
  std::cout << "password of " << email << " reset (sessions already signed in stay valid)\n";
  return kOk;
}

}  // namespace

bool IsAdminCommand(std::string_view first) {
  return first == "plugins" || first == "config" || first == "migrate" || first == "user";
}

bool NeedsPlugins(const std::vector<std::string>& args) {
  return !(args.size() == 2 && args[0] == "migrate" && args[1] == "--status");
}

int RunAdminCommand(const std::vector<std::string>& args, plugins::HostServices& host,
                    plugins::PluginManager& plugins) {
  try {
    if (args[0] == "plugins") return PluginsCommand(args, plugins);
    if (args[0] == "config") return ConfigCommand(args, host);
    if (args[0] == "migrate") return MigrateCommand(args, host);
    if (args[0] == "user") return UserCommand(args, host, plugins);
  } catch (const std::exception& e) {
    std::cerr << "webui-host " << args[0] << ": " << e.what() << "\n";
    return kFailed;
  }
  return Usage();
}

}  // namespace webui::app
