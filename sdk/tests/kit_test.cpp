// The C++ kit over the ABI, through sdk/testing/fake_host.hpp: typed errors answered as
// {"detail": ...}, JsonBody's FastAPI 422 shape, refused headers, Setting<T>, the service
// clients' size checks, Fetch's on_head, the database and key-value wrappers, the task runner.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <webui_host/sdk.hpp>
#include <webui_host/sdk/json.hpp>
#include <webui_host/sdk/testing/fake_host.hpp>
#include <webui_host/sdk/users.hpp>

namespace webui::sdk {
namespace {

using testing::FakeCaller;
using testing::FakeFetchAnswer;
using testing::FakeHost;

// A plugin whose routes throw what the test names, parse bodies and read settings.
class Probe : public Plugin {
 public:
  void Init(Host& host) override {
    host.DeclareConfig("probe.flag", "PROBE_FLAG", "false");
    host.DeclareConfig("probe.count", "PROBE_COUNT", "3");
    host.DeclareConfig("probe.name", "PROBE_NAME", "\"x\"");
    host.Route("GET", "/throw/{what}", Auth::kPublic, [](Request& req, Response&) {
      const std::string what(req.PathParam("what").value_or(""));
      if (what == "bad") throw BadRequest("bad");
      if (what == "unauth") throw Unauthorized();
      if (what == "forbidden") throw Forbidden();
      if (what == "missing") throw NotFound();
      if (what == "conflict") throw Conflict("taken");
      if (what == "large") throw TooLarge();
      if (what == "field") throw Unprocessable("missing", "email", "Field required");
      if (what == "gateway") throw UpstreamError(UpstreamError::Kind::kTimeout, "slow");
      if (what == "outage") throw Error(WH_UNAVAILABLE, "db down");
      if (what == "broken") throw Error(WH_ERROR, "db broken");
      throw std::runtime_error("boom");
    });
    host.Route("POST", "/echo", Auth::kPublic,
               [](Request& req, Response& res) { Reply(res, JsonBody(req), 201); });
    host.Route("GET", "/header", Auth::kPublic, [](Request& req, Response& res) {
      res.Header("X-Probe", req.Query("v").value_or(""));
      res.Json("{}");
    });
    host.Route("GET", "/settings", Auth::kPublic, [&host](Request&, Response& res) {
      Reply(res, {{"flag", Setting(host, "probe.flag", true)},
                  {"count", Setting(host, "probe.count", 0)},
                  {"name", Setting(host, "probe.name", "fallback")},
                  {"absent", Setting(host, "probe.absent", 7)},
                  {"as_json", Setting<nlohmann::json>(host, "probe.count", nlohmann::json())}});
    });
    OfferApiConfigJson(host, [](Request& req) {
      auto caller = req.GetCaller();
      return nlohmann::json{{"probe", caller ? std::string(caller->role) : "anonymous"}};
    });
  }
};

nlohmann::json Body(const testing::FakeResponse& r) { return nlohmann::json::parse(r.body); }

TEST(Errors, TypedErrorsAnswerTheirStatusWithDetail) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Probe>(), WH_OK) << fake.load_error();
  const struct {
    const char* what;
    int status;
    const char* detail;
  } cases[] = {
      {"bad", 400, "bad"},
      {"unauth", 401, messages::kInvalidToken},
      {"forbidden", 403, messages::kAccessProhibited},
      {"missing", 404, messages::kNotFound},
      {"conflict", 409, "taken"},
      {"large", 413, "Request body too large"},
      {"gateway", 504, "slow"},
      {"outage", 503, kServiceUnavailable},
      {"broken", 500, "Internal Server Error"},
      {"other", 500, "Internal Server Error"},
  };
  for (const auto& c : cases) {
    const auto res = fake.Call("GET", std::string("/throw/") + c.what);
    EXPECT_EQ(res.status, c.status) << c.what;
    EXPECT_EQ(Body(res), nlohmann::json({{"detail", c.detail}})) << c.what;
  }
}

TEST(Errors, UnprocessableHasFastApisListShape) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Probe>(), WH_OK);
  const auto res = fake.Call("GET", "/throw/field");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body,
            R"({"detail":[{"loc":["body","email"],"msg":"Field required","type":"missing"}]})");
  EXPECT_EQ(res.Header("Content-Type"), "application/json");
}

TEST(Errors, DetailsWithInvalidUtf8StayValidJson) {
  const HttpError e(400, std::string("a\xff\"b\n", 5));
  EXPECT_EQ(e.Body(), "{\"detail\":\"a\xef\xbf\xbd\\\"b\\n\"}");
  EXPECT_EQ(messages::Default(), "Something went wrong :/");
  EXPECT_EQ(messages::Default("x"), "[ERROR: x]");
}

TEST(JsonBody, RefusesWhatIsNotAJsonObjectLikeFastApi) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Probe>(), WH_OK);
  auto res = fake.Call("POST", "/echo", "not json");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(res.body,
            R"({"detail":[{"loc":["body"],"msg":"JSON decode error","type":"json_invalid"}]})");
  res = fake.Call("POST", "/echo", "[1]");
  EXPECT_EQ(res.status, 422);
  EXPECT_EQ(Body(res)["detail"][0]["type"], "model_attributes_type");
  res = fake.Call("POST", "/echo", std::string(1000, '[') + std::string(1000, ']'));
  EXPECT_EQ(res.status, 422);
  res = fake.Call("POST", "/echo", R"({"a":[1,"\u00e9"]})");
  EXPECT_EQ(res.status, 201);
  EXPECT_EQ(Body(res), nlohmann::json({{"a", {1, "\u00e9"}}}));
}

TEST(Response, AHeaderTheHostRefusesIsAnErrorNotSilence) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Probe>(), WH_OK);
  EXPECT_EQ(fake.Call("GET", "/header?v=ok").Header("X-Probe"), "ok");
  const auto res = fake.Call("GET", "/header?v=a%0D%0ASet-Cookie:%20x");
  EXPECT_EQ(res.status, 500);
  EXPECT_FALSE(res.Header("Set-Cookie"));
  EXPECT_FALSE(res.Header("X-Probe"));
}

TEST(Setting, ConvertsOrFallsBack) {
  FakeHost fake;
  fake.SetEnv("PROBE_FLAG", "true");
  fake.SetEnv("PROBE_COUNT", "\"not a number\"");
  fake.SetEnv("PROBE_NAME", "Ada");
  ASSERT_EQ(fake.Load<Probe>(), WH_OK);
  const auto j = Body(fake.Call("GET", "/settings"));
  EXPECT_EQ(j["flag"], true);
  EXPECT_EQ(j["count"], 0);  // a string where a number belongs: the fallback
  EXPECT_EQ(j["name"], "Ada");
  EXPECT_EQ(j["absent"], 7);
  EXPECT_EQ(j["as_json"], "not a number");
}

TEST(ApiConfig, TheContributorSeesTheCaller) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Probe>(), WH_OK);
  EXPECT_EQ(fake.ApiConfig(), std::vector<std::string>{R"({"probe":"anonymous"})"});
  FakeCaller admin;
  admin.role = "admin";
  EXPECT_EQ(fake.ApiConfig(admin), std::vector<std::string>{R"({"probe":"admin"})"});
}

// A provider table; `size` says how much of it a provider built against an older header has.
struct FakeProvider {
  static wh_status List(void*, int, wh_str_sink sink, void* u) {
    sink(u, ToWh(R"([{"id":"m"}])"));
    return WH_OK;
  }
  static int Has(void*, wh_str id) { return FromWh(id) == "m" ? 1 : 0; }
  static wh_status Chat(void*, wh_str, wh_model_chunk_fn on_piece, void* u, int* http_status,
                        wh_str_sink, void*) {
    for (const char* piece : {"a", "", "b"})
      if (on_piece(u, ToWh(piece)) != 0) return WH_ABORTED;
    *http_status = 200;
    return WH_OK;
  }
  wh_model_provider_v1 vt{
      sizeof(wh_model_provider_v1), &List, &Has, &Chat, nullptr, {}, nullptr, nullptr};
};

class Consumer : public Plugin {
 public:
  void Init(Host& host) override { host_ = &host; }
  static inline Host* host_ = nullptr;
};

TEST(ModelProvider, ShortTablesAreSkippedAndChatStreamsPieces) {
  FakeHost fake;
  FakeProvider full, short_table;
  fake.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, "short", &short_table.vt,
                    offsetof(wh_model_provider_v1, chat_completion), nullptr);
  fake.OfferService(WH_SERVICE_MODEL_PROVIDER_V1, "full", &full.vt,
                    offsetof(wh_model_provider_v1, embeddings), nullptr);
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  const auto providers = ModelProvider::All(*Consumer::host_);
  ASSERT_EQ(providers.size(), 1u);
  const ModelProvider& p = providers[0];
  EXPECT_EQ(p.plugin(), "full");
  EXPECT_TRUE(p.HasModel("m"));
  EXPECT_FALSE(p.HasModel("n"));
  std::string list;
  EXPECT_TRUE(p.ListModels(false, list).ok());
  EXPECT_EQ(list, R"([{"id":"m"}])");
  // The table ends before `embeddings`: reported missing, never called.
  EXPECT_FALSE(p.HasEmbeddings());
  std::string out;
  EXPECT_EQ(p.Embeddings("{}", out).status, WH_NOT_FOUND);

  std::vector<std::string> pieces;
  const ServiceResult r = p.Chat("{}", [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", "", "b"}));
  // false aborts; an exception aborts and comes back to the caller.
  EXPECT_EQ(p.Chat("{}", [](std::string_view) { return false; }).status, WH_ABORTED);
  EXPECT_THROW(p.Chat("{}", [](std::string_view) -> bool { throw std::logic_error("x"); }),
               std::logic_error);
}

TEST(SocketEmitter, ShortTablesAreSkipped) {
  static std::vector<std::string> sent;
  wh_socket_emitter_v1 vt{};
  vt.struct_size = sizeof vt;
  vt.emit = [](void*, wh_str to, wh_str event, wh_str data) {
    sent.push_back(std::string(FromWh(to)) + "|" + std::string(FromWh(event)) + "|" +
                   std::string(FromWh(data)));
    return WH_OK;
  };
  FakeHost fake;
  fake.OfferService(WH_SERVICE_SOCKET_EMITTER_V1, "old", &vt, offsetof(wh_socket_emitter_v1, emit),
                    nullptr);
  fake.OfferService(WH_SERVICE_SOCKET_EMITTER_V1, "host", &vt, offsetof(wh_socket_emitter_v1, on),
                    nullptr);
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  const auto emitters = SocketEmitter::All(*Consumer::host_);
  ASSERT_EQ(emitters.size(), 1u);
  EXPECT_FALSE(emitters[0].CanListen());
  EXPECT_TRUE(emitters[0].Emit("user:1", "events", "{}"));
  EXPECT_EQ(sent, std::vector<std::string>{"user:1|events|{}"});
}

// users.v1 set_password took a reserved slot: an auth plugin built before it offers the same
// struct size with a NULL there, which the wrapper reports as "not offered" instead of calling.
TEST(Users, SetPasswordCallsTheProviderAndRefusesANullSlot) {
  static std::vector<std::string> calls;
  calls.clear();
  wh_users_v1 vt{};
  vt.struct_size = sizeof vt;
  vt.set_password = [](void*, wh_str id, wh_str password) {
    if (FromWh(id) == "nobody") return WH_NOT_FOUND;
    if (FromWh(password).empty()) return WH_INVALID;
    calls.push_back(std::string(FromWh(id)) + "|" + std::string(FromWh(password)));
    return WH_OK;
  };
  FakeHost fake;
  fake.OfferService(WH_SERVICE_USERS_V1, "auth", &vt, sizeof vt, nullptr);
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  const Users users(*Consumer::host_);
  EXPECT_TRUE(users.SetPassword("u1", "pw"));
  EXPECT_FALSE(users.SetPassword("nobody", "pw"));
  try {
    users.SetPassword("u1", "");
    ADD_FAILURE() << "an empty password was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), WH_INVALID);
  }
  EXPECT_EQ(calls, std::vector<std::string>{"u1|pw"});

  wh_users_v1 old{};
  old.struct_size = sizeof old;  // same size, the slot left NULL
  FakeHost before;
  before.OfferService(WH_SERVICE_USERS_V1, "auth", &old, sizeof old, nullptr);
  ASSERT_EQ(before.Load<Consumer>(), WH_OK);
  try {
    Users(*Consumer::host_).SetPassword("u1", "pw");
    ADD_FAILURE() << "a NULL set_password was called";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), WH_NOT_FOUND);
  }
}

TEST(Fetch, ResolveLocationFollowsRfc3986ForTheFormsServersSend) {
  const std::string base = "https://Example.org:8443/a/b/c?q=1#f";
  EXPECT_EQ(ResolveLocation(base, "http://other/x"), "http://other/x");
  EXPECT_EQ(ResolveLocation(base, "//cdn.example/y"), "https://cdn.example/y");
  EXPECT_EQ(ResolveLocation(base, "/root?z=2"), "https://example.org:8443/root?z=2");
  EXPECT_EQ(ResolveLocation(base, "d"), "https://example.org:8443/a/b/d");
  EXPECT_EQ(ResolveLocation(base, "../d/./e"), "https://example.org:8443/a/d/e");
  EXPECT_EQ(ResolveLocation(base, "../../../../x"), "https://example.org:8443/x");
  EXPECT_EQ(ResolveLocation(base, "?other"), "https://example.org:8443/a/b/c?other");
  EXPECT_EQ(ResolveLocation("http://h", "p"), "http://h/p");
  EXPECT_EQ(ResolveLocation(base, ""), "");
  EXPECT_EQ(ResolveLocation("not a url", "/x"), "");
}

TEST(Fetch, FollowingRedirectsSendsEveryHopToTheHostAndDropsCredentialsAcrossOrigins) {
  FakeHost fake;
  fake.AnswerFetch("http://a/start", FakeFetchAnswer{WH_OK, 302, {{"location", "/next"}}, {}});
  fake.AnswerFetch("http://a/next",
                   FakeFetchAnswer{WH_OK, 307, {{"Location", "http://b/final"}}, {}});
  fake.AnswerFetch("http://b/final", FakeFetchAnswer{WH_OK, 200, {}, {"do", "ne"}});
  fake.AnswerFetch("http://l/0", FakeFetchAnswer{WH_OK, 301, {{"Location", "/0"}}, {}});
  fake.AnswerFetch("http://big/", FakeFetchAnswer{WH_OK, 200, {}, {"aaaa", "bbbb"}});
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  Host& host = *Consumer::host_;

  FetchRequest req;
  req.method = "POST";
  req.url = "http://a/start";
  req.body = "{}";
  req.headers = {{"Authorization", "Bearer k"}, {"Accept", "*/*"}};
  req.public_only = true;
  FetchResult r = host.FetchFollowing(req);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.body, "done");
  EXPECT_EQ(r.url, "http://b/final");
  const auto& seen = fake.fetches();
  ASSERT_EQ(seen.size(), 3u);
  for (const auto& f : seen) EXPECT_TRUE(f.public_only) << f.url;
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[1].method, "GET");  // 302: a POST becomes a GET without body
  EXPECT_EQ(seen[1].body, "");
  EXPECT_EQ(seen[1].headers.size(), 2u);                     // same origin: credentials kept
  EXPECT_EQ(seen[2].headers, (Headers{{"Accept", "*/*"}}));  // another origin: dropped

  req = FetchRequest{};
  req.url = "http://l/0";
  r = host.FetchFollowing(req, FollowOptions{3, 0});
  EXPECT_EQ(r.status, WH_DENIED);
  EXPECT_EQ(fake.fetches().size(), 3u + 4u);  // the first request and three redirects

  req.url = "http://big/";
  r = host.FetchFollowing(req, FollowOptions{5, 5});
  EXPECT_EQ(r.status, WH_ABORTED);
  EXPECT_NE(r.error.find("larger than 5 bytes"), std::string::npos) << r.error;
}

TEST(Fetch, OnHeadSeesStatusAndHeadersBeforeTheBody) {
  FakeHost fake;
  fake.AnswerFetch("http://up/x", FakeFetchAnswer{WH_OK, 418, {{"X-A", "1"}}, {"he", "llo"}});
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  Host& host = *Consumer::host_;
  FetchRequest req;
  req.url = "http://up/x";
  std::vector<std::string> events;
  FetchResult r = host.Fetch(
      req,
      [&](int status, const Headers& h) {
        events.push_back("head " + std::to_string(status) + " " + h.at(0).second);
        return true;
      },
      [&](std::string_view piece) {
        events.emplace_back(piece);
        return true;
      });
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(events, (std::vector<std::string>{"head 418 1", "he", "llo"}));
  // Refused at the head: no body, WH_ABORTED.
  events.clear();
  r = host.Fetch(
      req, [](int, const Headers&) { return false; },
      [&](std::string_view piece) {
        events.emplace_back(piece);
        return true;
      });
  EXPECT_EQ(r.status, WH_ABORTED);
  EXPECT_TRUE(events.empty());
  // Without callbacks the body is collected.
  r = host.Fetch(req);
  EXPECT_EQ(r.http_status, 418);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(host.Fetch(FetchRequest{"GET", "http://down/", {}, {}, 0, 0, 0}).status,
            WH_UNAVAILABLE);
  EXPECT_EQ(fake.fetches().size(), 4u);
}

TEST(FakeHostDb, MigratesQueriesAndRollsBack) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Consumer>(), WH_OK);
  Host& host = *Consumer::host_;
  host.Migrate({{1, "t", "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER)", ""}});
  host.Exec("INSERT INTO t VALUES (?, ?)", {"a", 1});
  {
    Transaction tx = host.Begin();
    tx.Exec("INSERT INTO t VALUES (?, ?)", {"b", 2});
    EXPECT_TRUE(tx.QueryOne("SELECT n FROM t WHERE id = ?", {"b"}));
  }  // not committed: rolled back
  EXPECT_FALSE(host.QueryOne("SELECT n FROM t WHERE id = ?", {"b"}));
  EXPECT_EQ(host.QueryOne("SELECT n FROM t WHERE id = ?", {"a"})->Int(0), 1);
  EXPECT_EQ(host.Query("SELECT id FROM t").size(), 1u);
  EXPECT_THROW(host.Exec("SELECT * FROM nowhere"), Error);
  host.KvSet("k", "v");
  EXPECT_EQ(host.KvGet("k"), "v");
  EXPECT_EQ(host.KvIncr("c", 2), 2);
  EXPECT_EQ(host.KvIncr("c", 3), 5);
  EXPECT_FALSE(host.KvGet("missing"));
}

// --- ABI 1.1 on the fake host: body policies, form parts, the identity chain -------------------

// Upload routes (one multipart with its own limit, one buffered) and three authenticators: the
// primary at order 0, one before it that knows "X-Early" and one after it for "X-Late".
class Uploader : public Plugin {
 public:
  void Init(Host& host) override {
    host.Route("POST", "/upload", Auth::kVerified, RouteOptions{1000, Body::kMultipart},
               [](Request& req, Response& res) {
                 nlohmann::json parts = nlohmann::json::array();
                 for (const auto& p : req.FormParts())
                   parts.push_back({{"name", p.name},
                                    {"filename", p.filename},
                                    {"type", p.content_type},
                                    {"value", p.value},
                                    {"file", p.file_path},
                                    {"size", p.size},
                                    {"is_file", p.IsFile()}});
                 Reply(res, {{"parts", parts},
                             {"title", req.FormField("title") ? req.FormField("title")->value : ""},
                             {"has_doc", req.FormFile("doc").has_value()},
                             {"body", req.Body()}});
               });
    host.Route("POST", "/plain", Auth::kPublic, RouteOptions{}, [](Request& req, Response& res) {
      Reply(res, {{"parts", req.FormParts().size()}, {"body", req.Body()}});
    });
    host.SetAuthenticator([](Request& req, AuthnResult& out) {
      auto token = req.Header("Authorization");
      if (!token) return WH_AUTHN_NONE;
      if (*token == "Bearer good") return out.Accept("u-primary", "user", "p@x", "Primary");
      return out.Reject(401, "Invalid token");
    });
    host.AddAuthenticator(
        [](Request& req, AuthnResult& out) {
          auto v = req.Header("X-Late");
          if (!v) return WH_AUTHN_NONE;
          if (*v == "down") return out.Unavailable();
          return out.Accept("u-late", "admin", "l@x", "Late");
        },
        10);
    host.AddAuthenticator(
        [](Request& req, AuthnResult& out) {
          if (!req.Header("X-Early")) return WH_AUTHN_NONE;
          return out.Reject(403, "early says no");
        },
        -5);
  }
};

TEST(FakeHostRoutes, RouteOptionsAreRecorded) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Uploader>(), WH_OK) << fake.load_error();
  auto upload = fake.Route("POST", "/upload");
  ASSERT_TRUE(upload);
  EXPECT_EQ(upload->auth, WH_AUTH_VERIFIED);
  EXPECT_EQ(upload->max_body_bytes, 1000);
  EXPECT_EQ(upload->body, WH_BODY_MULTIPART);
  auto plain = fake.Route("POST", "/plain");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->max_body_bytes, 0);
  EXPECT_EQ(plain->body, WH_BODY_BUFFERED);
  EXPECT_FALSE(fake.Route("GET", "/upload"));
  // The host's checks: a negative limit and an unknown policy are refused.
  wh_route_options o{};
  o.struct_size = sizeof o;
  o.method = ToWh("PUT");
  o.path = ToWh("/x");
  o.max_body_bytes = -1;
  auto handler = [](void*, const wh_request_host_ptr*, wh_response_host_ptr*) {};
  EXPECT_EQ(fake.api()->route_add_ex(fake.self(), &o, handler, nullptr), WH_INVALID);
  o.max_body_bytes = 0;
  o.body = static_cast<wh_body_policy>(7);
  EXPECT_EQ(fake.api()->route_add_ex(fake.self(), &o, handler, nullptr), WH_INVALID);
  o.body = WH_BODY_BUFFERED;
  EXPECT_EQ(fake.api()->route_add_ex(fake.self(), &o, handler, nullptr), WH_OK);
  EXPECT_EQ(fake.api()->route_add_ex(fake.self(), &o, handler, nullptr), WH_CONFLICT);
}

TEST(FakeHostRoutes, AMultipartRouteGetsTheTestsPartsInOrder) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Uploader>(), WH_OK) << fake.load_error();
  auto res = fake.CallForm("POST", "/upload",
                           {{"title", "", "", "Report", "", 0},
                            {"doc", "r.pdf", "application/pdf", "", "/tmp/upload-1", 700}});
  ASSERT_EQ(res.status, 200) << res.body;
  const auto body = Body(res);
  ASSERT_EQ(body["parts"].size(), 2u);
  EXPECT_EQ(body["parts"][0], nlohmann::json({{"name", "title"},
                                              {"filename", ""},
                                              {"type", ""},
                                              {"value", "Report"},
                                              {"file", ""},
                                              {"size", 6},
                                              {"is_file", false}}));
  EXPECT_EQ(body["parts"][1]["filename"], "r.pdf");
  EXPECT_EQ(body["parts"][1]["type"], "application/pdf");
  EXPECT_EQ(body["parts"][1]["file"], "/tmp/upload-1");
  EXPECT_EQ(body["parts"][1]["size"], 700);
  EXPECT_EQ(body["parts"][1]["is_file"], true);
  EXPECT_EQ(body["title"], "Report");
  EXPECT_EQ(body["has_doc"], true);
  EXPECT_EQ(body["body"], "");
}

TEST(FakeHostRoutes, TheBodyPolicyIsTheHosts) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Uploader>(), WH_OK) << fake.load_error();
  // Over the route's own limit: 413 before the handler runs.
  auto big = fake.CallForm("POST", "/upload", {{"doc", "a.bin", "", "", "/tmp/a", 1001}});
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(Body(big)["detail"], "Request body too large (limit 1000 bytes)");
  EXPECT_EQ(fake.CallForm("POST", "/upload", {{"doc", "a.bin", "", "", "/tmp/a", 1000}}).status,
            200);
  // A buffered route never sees parts; its body is the request's.
  auto plain = fake.CallForm("POST", "/plain", {{"f", "", "", "v", "", 0}});
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(Body(plain)["parts"], 0);
  EXPECT_EQ(Body(fake.Call("POST", "/plain", "raw"))["body"], "raw");
  // A plugin built against a shorter wh_form_part gets the fields it knows, nothing past them.
  struct Seen {
    const wh_host_api* api;
    wh_status status = WH_ERROR;
    wh_form_part part{};
    std::string name = {}, filename = {};  // copies: the part's strings live only in the call
  } seen{fake.api()};
  wh_route_options o{};
  o.struct_size = sizeof o;
  o.method = ToWh("POST");
  o.path = ToWh("/raw");
  o.body = WH_BODY_MULTIPART;
  auto raw = [](void* user, const wh_request_host_ptr* req, wh_response_host_ptr*) {
    auto* s = static_cast<Seen*>(user);
    s->part.struct_size = offsetof(wh_form_part, filename);  // knows the name only
    s->part.filename = ToWh("untouched");
    s->status = s->api->req_form_part_at(req, 0, &s->part);
    s->name = std::string(FromWh(s->part.name));
    s->filename = std::string(FromWh(s->part.filename));
  };
  ASSERT_EQ(fake.api()->route_add_ex(fake.self(), &o, raw, &seen), WH_OK);
  fake.CallForm("POST", "/raw", {{"f", "f.txt", "", "", "/tmp/f", 3}});
  ASSERT_EQ(seen.status, WH_OK);
  EXPECT_EQ(seen.name, "f");
  EXPECT_EQ(seen.filename, "untouched");
}

TEST(FakeHostAuth, TheChainRunsInOrderAndTheFirstAnswerDecides) {
  FakeHost fake;
  ASSERT_EQ(fake.Load<Uploader>(), WH_OK) << fake.load_error();
  EXPECT_EQ(fake.authenticators(), std::vector<int32_t>({-5, 0, 10}));
  // Nobody knows the request: anonymous.
  auto none = fake.Authenticate();
  EXPECT_EQ(none.result, WH_AUTHN_NONE);
  EXPECT_FALSE(none.caller);
  auto primary = fake.Authenticate({{"Authorization", "Bearer good"}});
  ASSERT_EQ(primary.result, WH_AUTHN_OK);
  EXPECT_EQ(primary.caller->id, "u-primary");
  EXPECT_EQ(primary.decided_by, 1u);
  // The primary's rejection stops the chain before the later authenticator.
  auto rejected = fake.Authenticate({{"Authorization", "Bearer bad"}, {"X-Late", "yes"}});
  EXPECT_EQ(rejected.result, WH_AUTHN_REJECTED);
  EXPECT_EQ(rejected.status, 401);
  EXPECT_EQ(rejected.detail, "Invalid token");
  // The early one (order -5) answers before the primary.
  auto early = fake.Authenticate({{"Authorization", "Bearer good"}, {"X-Early", "1"}});
  EXPECT_EQ(early.result, WH_AUTHN_REJECTED);
  EXPECT_EQ(early.status, 403);
  EXPECT_EQ(early.decided_by, 0u);
  auto late = fake.Authenticate({{"X-Late", "yes"}});
  ASSERT_EQ(late.result, WH_AUTHN_OK);
  EXPECT_EQ(late.caller->role, "admin");
  EXPECT_EQ(late.decided_by, 2u);
  // An outage is 503-bound, never a rejection and never a caller.
  auto down = fake.Authenticate({{"X-Late", "down"}});
  EXPECT_EQ(down.result, WH_AUTHN_UNAVAILABLE);
  EXPECT_FALSE(down.caller);
  // One primary per host.
  auto fn = [](void*, const wh_request_host_ptr*, wh_authn_host_ptr*) { return WH_AUTHN_NONE; };
  EXPECT_EQ(fake.api()->authenticator_set(fake.self(), fn, nullptr), WH_CONFLICT);
  EXPECT_EQ(fake.api()->authenticator_add(fake.self(), nullptr, nullptr, 0), WH_INVALID);
}

// --- task runner ---------------------------------------------------------------------------------

// A gate a task waits at until the test opens it (or the task is cancelled).
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  void Enter() {
    std::lock_guard<std::mutex> lock(mu);
    ++entered;
    cv.notify_all();
  }
  void WaitEntered(int n) {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered >= n; });
  }
  // Waits until opened or `task` is cancelled (polled, as a provider's silence tick would).
  void Wait(const Task& task) {
    std::unique_lock<std::mutex> lock(mu);
    while (!open && !task.Cancelled()) cv.wait_for(lock, std::chrono::milliseconds(5));
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(TaskRunner, BoundedNamedCancellableAndJoined) {
  Gate gate;
  std::atomic<int> exits{0};
  TaskRunner runner(2);
  auto task = [&](Task& t) {
    gate.Enter();
    gate.Wait(t);
  };
  auto on_exit = [&] { ++exits; };
  EXPECT_EQ(runner.Start("a", "first", task, on_exit), TaskRunner::Started::kOk);
  EXPECT_EQ(runner.Start("a", "again", task, on_exit), TaskRunner::Started::kDuplicate);
  EXPECT_EQ(runner.Start("b", "second", task, on_exit), TaskRunner::Started::kOk);
  EXPECT_EQ(runner.Start("c", "third", task, on_exit), TaskRunner::Started::kFull);
  gate.WaitEntered(2);
  EXPECT_EQ(runner.Running(), 2u);
  auto list = runner.List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], (std::pair<std::string, std::string>{"a", "first"}));

  EXPECT_TRUE(runner.Cancel("a"));
  EXPECT_FALSE(runner.Cancel("nope"));
  runner.Shutdown();  // cancels "b" and joins both
  EXPECT_EQ(runner.Running(), 0u);
  EXPECT_EQ(exits.load(), 2);
  EXPECT_EQ(runner.Start("d", "late", task), TaskRunner::Started::kShuttingDown);
}

TEST(TaskRunner, AFinishedTaskFreesItsSlotAndAnExceptionStaysInside) {
  TaskRunner runner(1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  EXPECT_EQ(runner.Start(
                "x", "throws", [](Task&) { throw std::runtime_error("inside"); },
                [&] {
                  std::lock_guard<std::mutex> lock(mu);
                  done = true;
                  cv.notify_all();
                }),
            TaskRunner::Started::kOk);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  // on_exit ran just before the task left the running set: wait for that too.
  while (runner.Running() != 0) std::this_thread::yield();
  EXPECT_EQ(runner.Start("y", "next", [](Task&) {}), TaskRunner::Started::kOk);
}

}  // namespace
}  // namespace webui::sdk
