#include "http/router.hpp"

#include <gtest/gtest.h>

namespace webui::http {
namespace {

Route Make(std::string method, std::string pattern, std::string owner = "t") {
  Route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.owner = std::move(owner);
  r.handler = [](RequestContext&) {};
  return r;
}

TEST(Router, StaticBeatsParameterBeatsCatchAll) {
  Router router;
  ASSERT_EQ(router.Add(Make("GET", "/api/v1/chats/{id}")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/api/v1/chats/pinned")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/openai/{path...}")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/openai/models")), Router::AddResult::kOk);

  auto m = router.Match("GET", "/api/v1/chats/pinned");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/api/v1/chats/pinned");
  EXPECT_TRUE(m.params.empty());

  m = router.Match("GET", "/api/v1/chats/abc-123");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/api/v1/chats/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0], (std::pair<std::string, std::string>{"id", "abc-123"}));

  m = router.Match("GET", "/openai/models");
  EXPECT_EQ(m.route->pattern, "/openai/models");
  m = router.Match("GET", "/openai/audio/speech");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.route->pattern, "/openai/{path...}");
  EXPECT_EQ(m.params.back().second, "audio/speech");
}

TEST(Router, MethodMismatchIsReportedFor405) {
  Router router;
  router.Add(Make("POST", "/api/v1/auths/signin"));
  auto m = router.Match("GET", "/api/v1/auths/signin");
  EXPECT_FALSE(m.route);
  EXPECT_TRUE(m.path_matched);
  m = router.Match("GET", "/nothing/here");
  EXPECT_FALSE(m.route);
  EXPECT_FALSE(m.path_matched);
}

TEST(Router, TrailingSlashIsToleratedBothWays) {
  Router router;
  router.Add(Make("GET", "/api/v1/folders/"));
  router.Add(Make("GET", "/api/v1/tools"));
  EXPECT_TRUE(router.Match("GET", "/api/v1/folders").route);
  EXPECT_TRUE(router.Match("GET", "/api/v1/folders/").route);
  EXPECT_TRUE(router.Match("GET", "/api/v1/tools/").route);
}

TEST(Router, PercentDecodesParametersAndRejectsMalformedPaths) {
  Router router;
  router.Add(Make("GET", "/api/v1/users/{id}"));
  auto m = router.Match("GET", "/api/v1/users/a%20b%2Fc");
  ASSERT_TRUE(m.route);
  EXPECT_EQ(m.params[0].second, "a b/c");
  EXPECT_FALSE(router.Match("GET", "/api/v1/users/%zz").route);
  EXPECT_FALSE(router.Match("GET", "/api/v1/users/%4").route);
  EXPECT_FALSE(router.Match("GET", "no-leading-slash").route);
  EXPECT_FALSE(router.Match("GET", "/api/v1/users/").route);  // empty parameter
}

TEST(Router, ConflictsAndInvalidPatterns) {
  Router router;
  EXPECT_EQ(router.Add(Make("GET", "/x/{id}")), Router::AddResult::kOk);
  EXPECT_EQ(router.Add(Make("GET", "/x/{id}")), Router::AddResult::kConflict);
  EXPECT_EQ(router.Add(Make("GET", "/x/{other}")), Router::AddResult::kInvalid);
  EXPECT_EQ(router.Add(Make("GET", "/y/{rest...}/z")), Router::AddResult::kInvalid);
  EXPECT_EQ(router.Add(Make("POST", "/x/{id}")), Router::AddResult::kOk);
}

TEST(Router, RemoveOwnerDropsOnlyThatOwnersRoutes) {
  Router router;
  router.Add(Make("GET", "/a", "p1"));
  router.Add(Make("GET", "/b/{id}", "p1"));
  router.Add(Make("GET", "/c", "p2"));
  EXPECT_EQ(router.RoutesOf("p1").size(), 2u);
  router.RemoveOwner("p1");
  EXPECT_FALSE(router.Match("GET", "/a").route);
  EXPECT_FALSE(router.Match("GET", "/b/1").route);
  EXPECT_TRUE(router.Match("GET", "/c").route);
  EXPECT_TRUE(router.RoutesOf("p1").empty());
  EXPECT_EQ(router.Add(Make("GET", "/a", "p3")), Router::AddResult::kOk);
}

TEST(Router, KnowsTheStaticFirstSegmentsOfItsRoutes) {
  Router router;
  ASSERT_EQ(router.Add(Make("GET", "/openai/{path...}", "openai")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/openai/models", "openai")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/health", "host")), Router::AddResult::kOk);
  ASSERT_EQ(router.Add(Make("GET", "/{id}/x", "p")), Router::AddResult::kOk);
  EXPECT_TRUE(router.HasPrefix("openai"));
  EXPECT_TRUE(router.HasPrefix("health"));
  EXPECT_FALSE(router.HasPrefix("ollama"));
  EXPECT_FALSE(router.HasPrefix("{id}"));
  EXPECT_FALSE(router.HasPrefix(""));
  router.RemoveOwner("openai");
  EXPECT_FALSE(router.HasPrefix("openai"));
  EXPECT_TRUE(router.HasPrefix("health"));
}

}  // namespace
}  // namespace webui::http
