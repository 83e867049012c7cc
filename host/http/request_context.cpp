#include "http/request_context.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>

#include <Poco/Net/HTTPChunkedStream.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <nlohmann/json.hpp>

#include "http/pipeline.hpp"

namespace webui::http {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string UrlDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() &&
               std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string DetailJson(std::string_view detail) {
  nlohmann::json j;
  j["detail"] = std::string(detail);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string IPv4Text(in_addr address) {
  const auto* octet = reinterpret_cast<const unsigned char*>(&address.s_addr);
  char text[INET_ADDRSTRLEN];
  char* out = text;
  for (int i = 0; i < 4; ++i) {
    const unsigned v = octet[i];
    if (i > 0) *out++ = '.';
    if (v >= 100) *out++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *out++ = static_cast<char>('0' + v / 10 % 10);
    *out++ = static_cast<char>('0' + v % 10);
  }
  return std::string(text, out);
}

RequestContext::RequestContext(Poco::Net::HTTPServerRequest& req,
                               Poco::Net::HTTPServerResponse& res, Pipeline* pipeline)
    : req_(&req), res_(&res), pipeline_(pipeline) {
  res_headers_.reserve(16);  // the pipeline's own headers alone are up to a dozen
  method_ = req.getMethod();
  const std::string& uri = req.getURI();
  const size_t q = uri.find('?');
  path_ = uri.substr(0, q);
  if (q != std::string::npos) query_ = uri.substr(q + 1);
  is_head_ = method_ == "HEAD";
  const Poco::Net::SocketAddress peer = req.clientAddress();
  if (peer.family() == Poco::Net::AddressFamily::IPv4) {
    // The same text as POCO's and inet_ntop's, without a formatting stream or sprintf (which
    // were the largest single cost of a /health request).
    remote_addr_ = IPv4Text(reinterpret_cast<const sockaddr_in*>(peer.addr())->sin_addr);
  } else {
    remote_addr_ = peer.host().toString();
  }
  if (pipeline_ != nullptr) {
    // Every X-Forwarded-For line, in order, as one list (a proxy may add its own line).
    std::string forwarded_for;
    for (auto it = req.find("X-Forwarded-For"); it != req.end(); ++it) {
      if (!IEquals(it->first, "X-Forwarded-For")) break;
      if (!forwarded_for.empty()) forwarded_for += ',';
      forwarded_for += it->second;
    }
    remote_addr_ = pipeline_->trusted_proxies().ClientAddress(remote_addr_, forwarded_for);
  }
}

RequestContext::RequestContext(std::string method, std::string path,
                               std::vector<std::pair<std::string, std::string>> headers)
    : method_(std::move(method)), path_(std::move(path)), headers_(std::move(headers)) {
  is_head_ = method_ == "HEAD";
}

void RequestContext::set_route(RouteMatch match) {
  route_ = std::move(match.route);
  path_params_ = std::move(match.params);
}

std::optional<std::string_view> RequestContext::PathParam(std::string_view name) const {
  for (const auto& [k, v] : path_params_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> RequestContext::QueryParam(std::string_view name) const {
  if (!query_params_) {
    query_params_.emplace();
    std::string_view q = query_;
    while (!q.empty()) {
      size_t amp = q.find('&');
      std::string_view pair = q.substr(0, amp);
      size_t eq = pair.find('=');
      std::string key = UrlDecode(pair.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : UrlDecode(pair.substr(eq + 1), true);
      if (!key.empty()) query_params_->emplace_back(std::move(key), std::move(value));
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
  }
  for (const auto& [k, v] : *query_params_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

const std::vector<std::pair<std::string, std::string>>& RequestContext::Headers() const {
  if (!headers_) {
    headers_.emplace();
    for (const auto& [k, v] : *req_) headers_->emplace_back(k, v);
  }
  return *headers_;
}

std::optional<std::string_view> RequestContext::Header(std::string_view name) const {
  if (!headers_ && req_ != nullptr) {
    // Looked up in POCO's own collection: most requests read a few headers, and copying them
    // all (as Headers() does for plugins) was a measurable part of a small request's cost.
    for (const auto& [k, v] : *req_)
      if (IEquals(k, name)) return std::string_view(v);
    return std::nullopt;
  }
  for (const auto& [k, v] : Headers())
    if (IEquals(k, name)) return std::string_view(v);
  return std::nullopt;
}

std::optional<std::string_view> RequestContext::Cookie(std::string_view name) const {
  if (!cookies_) {
    cookies_.emplace();
    for (const auto& [k, v] : Headers()) {
      if (!IEquals(k, "Cookie")) continue;
      std::string_view c = v;
      while (!c.empty()) {
        size_t semi = c.find(';');
        std::string_view pair = c.substr(0, semi);
        while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
        size_t eq = pair.find('=');
        if (eq != std::string_view::npos) {
          std::string_view val = pair.substr(eq + 1);
          if (val.size() >= 2 && val.front() == '"' && val.back() == '"')
            val = val.substr(1, val.size() - 2);
          cookies_->emplace_back(std::string(pair.substr(0, eq)), std::string(val));
        }
        if (semi == std::string_view::npos) break;
        c.remove_prefix(semi + 1);
      }
    }
  }
  for (const auto& [k, v] : *cookies_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

void RequestContext::SetHeader(std::string_view name, std::string_view value) {
  if (!IEquals(name, "Set-Cookie")) {
    for (auto& [k, v] : res_headers_) {
      if (IEquals(k, name)) {
        v = std::string(value);
        return;
      }
    }
  }
  res_headers_.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> RequestContext::ResponseHeader(std::string_view name) const {
  for (const auto& [k, v] : res_headers_)
    if (IEquals(k, name)) return std::string_view(v);
  return std::nullopt;
}

bool RequestContext::Send(std::string body) {
  if (mode_ != Mode::kNone) return false;
  mode_ = Mode::kBuffered;
  res_body_ = std::move(body);
  return true;
}

bool RequestContext::SendJson(int status, std::string json) {
  if (mode_ != Mode::kNone) return false;
  status_ = status;
  SetHeader("Content-Type", "application/json");
  return Send(std::move(json));
}

bool RequestContext::SendError(int status, std::string_view detail) {
  return SendJson(status, DetailJson(detail));
}

bool RequestContext::BeginStream(std::string_view content_type) {
  if (mode_ != Mode::kNone) return false;
  mode_ = Mode::kStreaming;
  SetHeader("Content-Type", content_type);
  if (content_type.rfind("text/event-stream", 0) == 0) {
    // Proxies (nginx) must pass each event at once.
    SetHeader("Cache-Control", "no-cache");
    SetHeader("X-Accel-Buffering", "no");
  }
  if (pipeline_ == nullptr) return false;
  try {
    std::lock_guard lock(stream_mu_);
    stream_ = &pipeline_->StartStream(*this);
  } catch (...) {
    client_gone_ = true;
    return false;
  }
  pipeline_->RegisterStream(this);
  return true;
}

bool RequestContext::BeginRelay(std::unique_ptr<net::RelayJob>& job) {
  if (mode_ != Mode::kNone || req_ == nullptr || pipeline_ == nullptr) return false;
  // The relay's end writes the access and audit lines, when the client's status is known.
  job->on_finished = pipeline_->RelayEpilogue(*this);
  if (!net::AttachRelay(*req_, job)) {
    job->on_finished = nullptr;
    return false;
  }
  mode_ = Mode::kRelayed;
  return true;
}

bool RequestContext::Write(std::string_view chunk) {
  std::lock_guard lock(stream_mu_);
  if (mode_ != Mode::kStreaming || stream_ == nullptr || client_gone_) return false;
  if (chunk.empty()) return ClientConnected();
  if (is_head_) return true;
  stream_tail_ = chunk.substr(chunk.size() >= 2 ? chunk.size() - 2 : 0);
  try {
    stream_->write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    stream_->flush();
  } catch (...) {
    client_gone_ = true;
    return false;
  }
  if (!stream_->good()) {
    client_gone_ = true;
    return false;
  }
  bytes_streamed_ += chunk.size();
  return true;
}

bool RequestContext::AbortStream(std::string_view message,
                                 std::chrono::steady_clock::time_point until) {
  std::unique_lock lock(stream_mu_, std::defer_lock);
  if (!lock.try_lock_until(until)) return false;
  if (mode_ != Mode::kStreaming || stream_ == nullptr || client_gone_) return false;
  client_gone_ = true;
  const std::string_view type = ResponseHeader("Content-Type").value_or("");
  const bool at_boundary = bytes_streamed_ == 0 || stream_tail_ == "\n\n";
  std::string event;
  if (type.rfind("text/event-stream", 0) == 0) {
    nlohmann::json error = {
        {"error", {{"message", std::string(message)}, {"type", "server_shutdown"}}}};
    event = std::string(at_boundary ? "" : "\n\n") +
            "data: " + error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
            "\n\ndata: [DONE]\n\n";
  } else if (type.rfind("application/x-ndjson", 0) == 0) {
    nlohmann::json error = {{"error", std::string(message)}};
    event = std::string(bytes_streamed_ == 0 || stream_tail_.ends_with('\n') ? "" : "\n") +
            error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  try {
    if (!event.empty() && !is_head_)
      stream_->write(event.data(), static_cast<std::streamsize>(event.size()));
    if (auto* chunked = dynamic_cast<Poco::Net::HTTPChunkedOutputStream*>(stream_)) {
      chunked->rdbuf()->close();  // the terminating chunk: a complete response
    } else {
      stream_->flush();
    }
    // Nothing more goes out on this connection (the response object would end the body again).
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(*req_);
    ::shutdown(impl.socket().impl()->sockfd(), SHUT_WR);
  } catch (...) {
    // The client is gone already.
  }
  return true;
}

bool RequestContext::ClientConnected() {
  if (client_gone_ || req_ == nullptr) return false;
  try {
    auto& impl = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(*req_);
    Poco::Net::StreamSocket& sock = impl.socket();
    // Readable with 0 bytes to peek = orderly close; an error = reset. Pending bytes (a pipelined
    // request) mean the client is still there.
    char c;
    ssize_t n = ::recv(sock.impl()->sockfd(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      client_gone_ = true;
    }
  } catch (...) {
    client_gone_ = true;
  }
  return !client_gone_;
}

}  // namespace webui::http
