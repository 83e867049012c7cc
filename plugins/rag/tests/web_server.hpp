// A loopback HTTP server for the rag tests' web cases (pages, search engines' stand-ins): it
// answers through one function and keeps what it was sent.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace webui::testing {

// A loopback HTTP server answering through one function; it keeps what it was sent.
class WebServer {
 public:
  struct Seen {
    std::string method, path, query, body;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string Param(const std::string& name) const {
      for (const auto& [k, v] : Poco::URI("/?" + query).getQueryParameters())
        if (k == name) return v;
      return {};
    }
  };
  struct Answer {
    int status = 200;
    std::string type = "text/html; charset=utf-8";
    std::string body;
    std::string location;
  };
  using Fn = std::function<Answer(const Seen&)>;

  explicit WebServer(Fn fn)
      : fn_(std::move(fn)),
        server_(new Factory(*this),
                Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1:0")),
                new Poco::Net::HTTPServerParams) {
    server_.start();
  }
  ~WebServer() { server_.stopAll(true); }
  int port() const { return server_.port(); }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  std::vector<Seen> Requests(const std::string& path) const {
    std::lock_guard lock(mu_);
    std::vector<Seen> out;
    for (const auto& s : seen_)
      if (s.path == path) out.push_back(s);
    return out;
  }

 private:
  struct Handler : Poco::Net::HTTPRequestHandler {
    explicit Handler(WebServer& s) : server(s) {}
    void handleRequest(Poco::Net::HTTPServerRequest& req,
                       Poco::Net::HTTPServerResponse& res) override {
      Seen seen;
      seen.method = req.getMethod();
      const Poco::URI uri(req.getURI());
      seen.path = uri.getPath();
      seen.query = uri.getRawQuery();
      for (const auto& [k, v] : req) seen.headers[Poco::toLower(k)] = v;
      Poco::StreamCopier::copyToString(req.stream(), seen.body);
      {
        std::lock_guard lock(server.mu_);
        server.seen_.push_back(seen);
      }
      const Answer a = server.fn_(seen);
      res.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(a.status));
      res.setContentType(a.type);
      if (!a.location.empty()) res.set("Location", a.location);
      res.setContentLength(static_cast<std::streamsize>(a.body.size()));
      res.send() << a.body;
    }
    WebServer& server;
  };
  struct Factory : Poco::Net::HTTPRequestHandlerFactory {
    explicit Factory(WebServer& s) : server(s) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(server);
    }
    WebServer& server;
  };

  Fn fn_;
  mutable std::mutex mu_;
  std::vector<Seen> seen_;
  Poco::Net::HTTPServer server_;
};

}  // namespace webui::testing
