// Starts the test upstream and a host with the openai and ollama plugins, then runs the client
// scenarios (run.sh: the official npm clients) against it; passes when they all pass.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "it_support.hpp"
#include "upstream_double.hpp"

namespace webui::testing {
namespace {

// Runs `command` through the shell, returns its exit code and appends its output to `out`.
int RunShell(const std::string& command, std::string* out) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return -1;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out->append(buf.data(), n);
  const int status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

TEST(Clients, OfficialOpenAiAndOllamaClientsAgainstTheHost) {
  UpstreamDouble upstream(
      {"--models", "gpt-test,gpt-error-500,gpt-reset-mid,llama-test,llama-reset-mid"});
  std::string why;
  ASSERT_TRUE(upstream.Start(&why)) << why;

  Backend backend;
  HostProcess::Options o;
  o.env = backend.Env();
  // Plugins under test only (other plugins may share the build's plugin directory). The chat
  // plugin serves /api/models and /api/chat/completions.
  const char* plugins = std::getenv("WEBUI_CLIENTS_PLUGINS");
  o.env["WEBUI_PLUGINS"] = plugins != nullptr ? plugins : "openai,ollama,chat,test_auth";
  o.env["WEBUI_PLUGIN_PATH"] = std::string(WEBUI_PLUGIN_BUILD_DIR) + ":" + PluginDir("good");
  o.env["OPENAI_API_BASE_URLS"] = upstream.BaseUrl() + "/v1";
  o.env["OPENAI_API_KEYS"] = "";
  o.env["OPENAI_API_CONFIGS"] = "{}";
  o.env["OLLAMA_BASE_URLS"] = upstream.BaseUrl();
  o.env["OLLAMA_API_CONFIGS"] = "{}";
  o.env["AIOHTTP_CLIENT_TIMEOUT"] = "10";
  // Like Open WebUI, /api/models shows a user only the models an admin made visible; an
  // API-only deployment opens them all this way.
  o.env["BYPASS_MODEL_ACCESS_CONTROL"] = "true";
  HostProcess host(o);
  ASSERT_TRUE(host.Start(&why)) << why;

  const std::string command =
      "WEBUI_URL=" + Quote("http://127.0.0.1:" + std::to_string(host.port())) +
      " WEBUI_TOKEN=user:1 WEBUI_UPSTREAM_URL=" + Quote(upstream.BaseUrl()) + " bash " +
      Quote(std::string(WEBUI_CLIENTS_DIR) + "/run.sh");
  std::string output;
  const int rc = RunShell(command, &output);
  std::printf("%s\n", output.c_str());
  EXPECT_EQ(rc, 0) << output << "\n--- host log ---\n" << host.Log();
}

}  // namespace
}  // namespace webui::testing
