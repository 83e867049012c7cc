// "basic": a well-behaved plugin that exercises every host service through the C++ SDK, so
// integration tests can drive the whole host API over HTTP.
#include <webui_host/services/api_config.h>
#include <webui_host/sdk.hpp>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "greeter_service.h"

using nlohmann::json;
using webui::sdk::Auth;
using webui::sdk::Host;
using webui::sdk::HttpError;
using webui::sdk::Request;
using webui::sdk::Response;

namespace {

int IntQuery(const Request& req, std::string_view name, int fallback) {
  auto v = req.Query(name);
  if (!v) return fallback;
  try {
    return std::stoi(std::string(*v));
  } catch (...) {
    throw HttpError(422, std::string(name) + " must be an integer");
  }
}

json CallerJson(const Request& req) {
  auto c = req.GetCaller();
  if (!c) return nullptr;
  return {{"id", c->id}, {"role", c->role}, {"email", c->email}, {"name", c->name}};
}

wh_status Greet(void* user, wh_str name, wh_str_sink sink, void* sink_user) {
  auto* prefix = static_cast<std::string*>(user);
  std::string out = *prefix + ", " + std::string(name.ptr, name.len);
  sink(sink_user, wh_str{out.data(), out.size()});
  return WH_OK;
}

wh_status ContributeConfig(void*, const wh_request_host_ptr*, wh_str_sink sink, void* sink_user) {
  static const std::string part = R"({"features":{"test_basic":true}})";
  sink(sink_user, wh_str{part.data(), part.size()});
  return WH_OK;
}

class Basic : public webui::sdk::Plugin {
 public:
  void Init(Host& host) override {
    host_ = &host;
    host.DeclareConfig("test.greeting", "TEST_GREETING", "\"hello\"", true);
    host.DeclareConfig("test.flag", "TEST_FLAG", "false", false);
    host.Migrate({
        {1, "notes",
         "CREATE TABLE test_note (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created_at BIGINT)",
         "CREATE TABLE test_note (id SERIAL PRIMARY KEY, text TEXT NOT NULL, created_at BIGINT)"},
        // Counts how many times the migration ran: several hosts starting together on one empty
        // database must leave exactly one row.
        {2, "migration counter",
         "CREATE TABLE test_migration_run (n INTEGER); INSERT INTO test_migration_run VALUES (1)",
         ""},
    });
    subscription_ = host.Subscribe("test:chan", [this](std::string_view, std::string_view msg) {
      std::lock_guard lock(mu_);
      received_.emplace_back(msg);
    });
    host.OfferService(kGreeterServiceV1, &greeter_, &greeting_prefix_);
    host.OfferService(WH_SERVICE_API_CONFIG_V1, &api_config_, nullptr);

    host.Route("GET", "/api/v1/test/echo", Auth::kPublic, Echo);
    host.Route("POST", "/api/v1/test/echo", Auth::kPublic, Echo);
    host.Route("GET", "/api/v1/test/optional", Auth::kOptional, Whoami);
    host.Route("GET", "/api/v1/test/any", Auth::kAny, Whoami);
    host.Route("GET", "/api/v1/test/items/{id}", Auth::kVerified, [](Request& req, Response& res) {
      res.Json(json{{"id", *req.PathParam("id")}, {"caller", CallerJson(req)}}.dump());
    });
    host.Route("GET", "/api/v1/test/admin", Auth::kAdmin, Whoami);
    host.Route("GET", "/api/v1/test/self-checked", Auth::kPlugin, [](Request& req, Response& res) {
      if (req.Header("X-Test-Key") != std::optional<std::string_view>("open-sesame"))
        throw HttpError(401, "Invalid test key");
      res.Json(R"({"ok":true})");
    });
    host.Route("GET", "/api/v1/test/throw", Auth::kPublic,
               [](Request&, Response&) { throw std::runtime_error("deliberate failure"); });
    host.Route("GET", "/api/v1/test/http-error", Auth::kPublic,
               [](Request&, Response&) { throw HttpError(422, "bad thing"); });
    host.Route("GET", "/api/v1/test/no-response", Auth::kPublic, [](Request&, Response&) {});
    host.Route("GET", "/api/v1/test/big", Auth::kPublic, [](Request&, Response& res) {
      json items = json::array();
      for (int i = 0; i < 500; ++i) items.push_back({{"i", i}, {"text", "the same words again"}});
      res.Json(json{{"items", items}}.dump());
    });
    host.Route("GET", "/api/v1/test/slow", Auth::kPublic, [](Request& req, Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(IntQuery(req, "ms", 1000)));
      res.Json(R"({"slow":true})");
    });
    // Spends `ms` of this thread's CPU time (a handler that is busy, not blocked).
    host.Route("GET", "/api/v1/test/busy", Auth::kPublic, [](Request& req, Response& res) {
      const auto cpu = [] {
        timespec t{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
      };
      const auto until = cpu() + std::chrono::milliseconds(IntQuery(req, "ms", 1));
      while (cpu() < until) {
      }
      res.Json(R"({"busy":true})");
    });
    // metrics.v1: a counter of the plugin's own, and a name the host refuses.
    metrics_ = webui::sdk::Metrics(host);
    host.Route("POST", "/api/v1/test/count", Auth::kPublic, [this](Request& req, Response& res) {
      const std::string kind(req.Query("kind").value_or("none"));
      const bool ok = kind == "Bad-Name" ? metrics_.Count(kind)
                                         : metrics_.Count("test_events", {{"kind", kind}});
      res.Json(json{{"ok", ok}, {"available", metrics_.available()}}.dump());
    });
    // Uploads (multipart body policy): what arrived, per part; "keep" moves the file away.
    const webui::sdk::RouteOptions upload{.max_body_bytes = 1LL << 30,
                                          .body = webui::sdk::Body::kMultipart};
    host.Route("POST", "/api/v1/test/upload", Auth::kPublic, upload,
               [](Request& req, Response& res) { res.Json(DescribeParts(req, "").dump()); });
    host.Route("POST", "/api/v1/test/upload-keep", Auth::kPublic, upload,
               [this](Request& req, Response& res) {
                 const std::string dir = host_->Env("DATA_DIR").value_or(".") + "/kept";
                 res.Json(DescribeParts(req, dir).dump());
               });
    host.Route(
        "POST", "/api/v1/test/upload-small", Auth::kPublic,
        webui::sdk::RouteOptions{.max_body_bytes = 1024, .body = webui::sdk::Body::kMultipart},
        [](Request& req, Response& res) { res.Json(DescribeParts(req, "").dump()); });
    host.Route("GET", "/api/v1/test/stream", Auth::kPublic,
               [this](Request& req, Response& res) { Stream(req, res); });
    host.Route("GET", "/api/v1/test/stream-stats", Auth::kPublic, [this](Request&, Response& res) {
      res.Json(json{{"started", streams_started_.load()},
                    {"client_gone", streams_client_gone_.load()},
                    {"completed", streams_completed_.load()}}
                   .dump());
    });

    host.Route("GET", "/api/v1/test/config", Auth::kPublic, [this](Request&, Response& res) {
      res.Json(json{{"greeting", json::parse(*host_->ConfigJson("test.greeting"))}}.dump());
    });
    host.Route("POST", "/api/v1/test/config", Auth::kAdmin, [this](Request& req, Response& res) {
      auto body = json::parse(req.Body(), nullptr, false);
      if (!body.is_object() || !body.contains("greeting"))
        throw HttpError(422, "greeting required");
      host_->SetConfig("test.greeting", body["greeting"].dump());
      res.Json(R"({"ok":true})");
    });

    host.Route("POST", "/api/v1/test/notes", Auth::kPublic, [this](Request& req, Response& res) {
      auto body = json::parse(req.Body(), nullptr, false);
      if (!body.is_object() || !body["text"].is_string()) throw HttpError(422, "text required");
      auto tx = host_->Begin();
      tx.Exec("INSERT INTO test_note (text, created_at) VALUES (?, ?)",
              {body["text"].get<std::string>(), static_cast<long long>(time(nullptr))});
      if (body.value("rollback", false)) throw HttpError(409, "rolled back");  // tx rolls back
      tx.Commit();
      res.Json(R"({"ok":true})");
    });
    host.Route("GET", "/api/v1/test/notes", Auth::kPublic, [this](Request&, Response& res) {
      json out = json::array();
      for (const auto& row : host_->Query("SELECT id, text FROM test_note ORDER BY id"))
        out.push_back({{"id", row.Int(0)}, {"text", row.Text(1)}});
      res.Json(out.dump());
    });
    host.Route("GET", "/api/v1/test/notes/search", Auth::kPublic,
               [this](Request& req, Response& res) {
                 // The query text is a parameter, never spliced into SQL.
                 json out = json::array();
                 for (const auto& row : host_->Query("SELECT text FROM test_note WHERE text = ?",
                                                     {std::string(req.Query("q").value_or(""))}))
                   out.push_back(row.Text(0));
                 res.Json(out.dump());
               });

    host.Route("PUT", "/api/v1/test/kv/{key}", Auth::kPublic, [this](Request& req, Response& res) {
      host_->KvSet(*req.PathParam("key"), req.Body(), IntQuery(req, "ttl_ms", 0));
      res.Json(R"({"ok":true})");
    });
    host.Route("GET", "/api/v1/test/kv/{key}", Auth::kPublic, [this](Request& req, Response& res) {
      auto v = host_->KvGet(*req.PathParam("key"));
      if (!v) throw HttpError(404, "no such key");
      res.Json(json{{"value", *v},
                    {"ttl_ms", *host_->KvTtl(*req.PathParam("key"))},
                    {"shared", host_->KvShared()}}
                   .dump());
    });
    host.Route(
        "POST", "/api/v1/test/kv/{key}/incr", Auth::kPublic, [this](Request& req, Response& res) {
          res.Json(
              json{{"value", host_->KvIncr(*req.PathParam("key"), 1, IntQuery(req, "ttl_ms", 0))}}
                  .dump());
        });
    host.Route("POST", "/api/v1/test/publish", Auth::kPublic, [this](Request& req, Response& res) {
      host_->Publish("test:chan", req.Body());
      res.Json(R"({"ok":true})");
    });
    host.Route("GET", "/api/v1/test/received", Auth::kPublic, [this](Request&, Response& res) {
      std::lock_guard lock(mu_);
      res.Json(json(received_).dump());
    });

    // Relays an upstream URL through the host's stream relay (ABI 1.1): no worker holds the
    // stream. Raw C route: the handler hands the response over and returns.
    for (wh_str method : {wh_str{"GET", 3}, wh_str{"POST", 4}})
      host.api()->route_add(host.self(), method, {"/api/v1/test/relay", 18}, WH_AUTH_PUBLIC,
                            &Basic::Relay, this);
    host.Route("GET", "/api/v1/test/relay-stats", Auth::kPublic, [this](Request&, Response& res) {
      res.Json(json{{"started", relays_started_.load()},
                    {"released", relays_released_.load()},
                    {"ok", relays_ok_.load()},
                    {"client_gone", relays_client_gone_.load()},
                    {"failed", relays_failed_.load()}}
                   .dump());
    });

    // Proxies an upstream URL through the host's outbound client, streaming.
    host.Route("GET", "/api/v1/test/fetch", Auth::kPublic, [this](Request& req, Response& res) {
      webui::sdk::FetchRequest f;
      f.url = std::string(req.Query("url").value_or(""));
      f.read_timeout_ms = static_cast<uint32_t>(IntQuery(req, "read_timeout_ms", 5000));
      bool started = false;
      auto result = host_->Fetch(f, [&](std::string_view chunk) {
        if (chunk.empty()) return !started || res.ClientConnected();  // a silence tick
        if (!started) {
          res.BeginStream("text/plain");
          started = true;
        }
        return res.Write(chunk);
      });
      if (!result.ok()) {
        if (!started) throw HttpError(502, "upstream failed: " + result.error);
        res.Write("\n[error: " + result.error + "]");
      } else if (!started) {
        res.Send("");
      }
    });
  }

  void Shutdown() override { host_->Unsubscribe(subscription_); }

 private:
  static void Echo(Request& req, Response& res) {
    json headers = json::object();
    for (const auto& [k, v] : req.Headers()) headers[std::string(k)] = std::string(v);
    res.Json(json{{"method", req.Method()},
                  {"path", req.Path()},
                  {"query", req.QueryString()},
                  {"q", req.Query("q") ? json(*req.Query("q")) : json(nullptr)},
                  {"cookie", req.Cookie("c") ? json(*req.Cookie("c")) : json(nullptr)},
                  {"body", req.Body()},
                  {"request_id", req.Id()},
                  {"headers", headers}}
                 .dump());
  }
  static void Whoami(Request& req, Response& res) {
    res.Json(json{{"caller", CallerJson(req)}}.dump());
  }

  // One relayed exchange: forwards the upstream's body as a stream of its content type.
  struct RelayState {
    Basic* plugin;
    const wh_host_api* api;
  };
  static void Relay(void* route_user, const wh_request_host_ptr* req, wh_response_host_ptr* res) {
    auto* self = static_cast<Basic*>(route_user);
    const wh_host_api* api = self->host_->api();
    wh_str url{};
    if (api->req_query_param(req, {"url", 3}, &url) != WH_OK) {
      api->res_send_error(res, 400, {"url missing", 11});
      return;
    }
    wh_http_request up{};
    up.struct_size = sizeof up;
    up.method = {"GET", 3};
    up.url = url;
    up.read_timeout_ms = 10000;
    static const wh_relay_handler handler = {
        sizeof(wh_relay_handler),
        1,
        [](void* user, wh_relay_host_ptr* relay, int status, const wh_header* headers,
           size_t count) {
          auto* st = static_cast<RelayState*>(user);
          std::string_view type = "application/octet-stream";
          for (size_t i = 0; i < count; ++i) {
            const std::string_view name(headers[i].name.ptr, headers[i].name.len);
            std::string lower(name);
            for (char& c : lower)
              c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower == "content-type")
              type = std::string_view(headers[i].value.ptr, headers[i].value.len);
          }
          return st->api->relay_begin_stream(relay, status, {type.data(), type.size()}) == WH_OK
                     ? 0
                     : 1;
        },
        [](void*, wh_relay_host_ptr*, wh_str) { return 0; },
        [](void* user, wh_relay_host_ptr*, wh_status outcome, wh_str) {
          auto* st = static_cast<RelayState*>(user);
          if (outcome == WH_OK) {
            ++st->plugin->relays_ok_;
          } else if (outcome == WH_CLOSED) {
            ++st->plugin->relays_client_gone_;
          } else {
            ++st->plugin->relays_failed_;
          }
        },
        [](void* user) {
          auto* st = static_cast<RelayState*>(user);
          ++st->plugin->relays_released_;
          delete st;
        }};
    ++self->relays_started_;
    if (api->res_relay(res, &up, &handler, new RelayState{self, api}) != WH_OK) {
      api->res_send_error(res, 400, {"relay refused", 13});
    }
  }

  // Each part: name, filename, type, size, an FNV-1a checksum of its bytes (read back from the
  // temporary file), whether that file exists now; with `keep_dir`, files are renamed into it.
  static json DescribeParts(Request& req, const std::string& keep_dir) {
    json out = json::array();
    for (const auto& p : req.FormParts()) {
      json j{{"name", p.name},
             {"filename", p.filename},
             {"content_type", p.content_type},
             {"size", p.size},
             {"file", p.IsFile()}};
      if (!p.IsFile()) {
        j["value"] = p.value;
      } else {
        std::ifstream in{std::string(p.file_path), std::ios::binary};
        std::uint64_t h = 1469598103934665603ull;
        char buf[65536];
        std::uint64_t n = 0;
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
          for (std::streamsize i = 0; i < in.gcount(); ++i) {
            h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
          }
          n += static_cast<std::uint64_t>(in.gcount());
        }
        j["fnv1a"] = std::to_string(h);
        j["read"] = n;
        if (!keep_dir.empty()) {
          std::filesystem::create_directories(keep_dir);
          const std::string kept = keep_dir + "/" + std::to_string(h);
          std::filesystem::rename(std::string(p.file_path), kept);
          j["kept"] = kept;
        }
      }
      out.push_back(std::move(j));
    }
    return out;
  }

  void Stream(Request& req, Response& res) {
    const int n = IntQuery(req, "n", 5);
    const int delay = IntQuery(req, "delay_ms", 50);
    ++streams_started_;
    res.BeginStream("text/event-stream");
    for (int i = 0; i < n; ++i) {
      if (!res.Write("data: {\"i\":" + std::to_string(i) + "}\n\n")) {
        ++streams_client_gone_;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      if (!res.ClientConnected()) {
        ++streams_client_gone_;
        return;
      }
    }
    res.Write("data: [DONE]\n\n");
    ++streams_completed_;
  }

  Host* host_ = nullptr;
  webui::sdk::Metrics metrics_;
  uint64_t subscription_ = 0;
  std::mutex mu_;
  std::vector<std::string> received_;
  std::atomic<int> streams_started_{0}, streams_client_gone_{0}, streams_completed_{0};
  std::atomic<int> relays_started_{0}, relays_released_{0}, relays_ok_{0}, relays_client_gone_{0},
      relays_failed_{0};
  std::string greeting_prefix_ = "Greetings";
  wh_test_greeter_v1 greeter_{sizeof(wh_test_greeter_v1), &Greet};
  wh_api_config_v1 api_config_{sizeof(wh_api_config_v1), &ContributeConfig,
                               WH_API_CONFIG_ORDER_DEFAULT};
};

}  // namespace

WEBUI_HOST_PLUGIN(Basic, "basic", "1.2.3", "Exercises every host service for the tests")
