// Unit test of the hello plugin on the SDK's in-memory fake host: no webui-host process, no
// network. Built and run by `ctest` in this directory's build (BUILD_TESTING, the default).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <webui_host/sdk/testing/fake_host.hpp>

#include "hello_plugin.hpp"

namespace {

using webui::sdk::testing::FakeCaller;
using webui::sdk::testing::FakeHost;

nlohmann::json Json(const std::string& text) { return nlohmann::json::parse(text); }

TEST(Hello, GreetsByNameOrTheWorld) {
  FakeHost host;
  ASSERT_EQ(host.Load<hello::HelloPlugin>(), WH_OK) << host.load_error();
  auto res = host.Call("GET", "/api/v1/hello?name=Ada");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.Header("Content-Type"), "application/json");
  EXPECT_EQ(Json(res.body), nlohmann::json({{"message", "Hello, Ada"}}));
  EXPECT_EQ(Json(host.Call("GET", "/api/v1/hello").body)["message"], "Hello, world");
}

TEST(Hello, TheGreetingIsASetting) {
  FakeHost host;
  host.SetEnv("HELLO_GREETING", "Hi");
  ASSERT_EQ(host.Load<hello::HelloPlugin>(), WH_OK);
  EXPECT_EQ(Json(host.Call("GET", "/api/v1/hello?name=x").body)["message"], "Hi, x");
}

TEST(Hello, MeAnswersTheCaller) {
  FakeHost host;
  ASSERT_EQ(host.Load<hello::HelloPlugin>(), WH_OK);
  FakeCaller ada;
  ada.id = "u1";
  ada.name = "Ada";
  const auto res = host.Call("GET", "/api/v1/hello/me", {}, {}, ada);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(Json(res.body),
            nlohmann::json({{"message", "Hello, Ada"}, {"id", "u1"}, {"role", "user"}}));
  // Without a caller (the real host would have refused first) the SDK answers 401.
  EXPECT_EQ(host.Call("GET", "/api/v1/hello/me").status, 401);
}

TEST(Hello, InvalidUtf8InTheNameStillAnswersJson) {
  FakeHost host;
  ASSERT_EQ(host.Load<hello::HelloPlugin>(), WH_OK);
  const auto res = host.Call("GET", "/api/v1/hello?name=%FF");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(Json(res.body)["message"], "Hello, \xef\xbf\xbd");
}

}  // namespace
