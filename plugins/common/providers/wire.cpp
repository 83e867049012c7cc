#include "providers/wire.hpp"

#include <webui_host/sdk/json.hpp>

#include <cctype>

#include "providers/connections.hpp"

namespace webui::providers {

std::string UpstreamErrorText(std::string_view body, std::string_view fallback) {
  json j = sdk::json::Parse(body).value_or(json(json::value_t::discarded));
  if (!j.is_discarded() && j.is_object()) {
    if (auto it = j.find("error"); it != j.end()) {
      if (it->is_object() && it->contains("message") && (*it)["message"].is_string())
        return (*it)["message"].get<std::string>();
      if (it->is_string()) return it->get<std::string>();
      return it->dump();
    }
    if (auto it = j.find("detail"); it != j.end() && it->is_string()) return it->get<std::string>();
  }
  std::string text = Trim(body);
  if (text.empty()) return std::string(fallback);
  if (text.size() > 2000) text.resize(2000);
  return text;
}

std::string UrlQuote(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-' || ch == '~' || ch == '/' ||
        ch == ' ') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  return out;
}

bool LineSplitter::Feed(std::string_view bytes,
                        const std::function<bool(std::string_view)>& on_line) {
  if (overflowed_) return false;
  pending_.append(bytes);
  size_t start = 0;
  while (true) {
    const size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string_view line(pending_.data() + start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!on_line(line)) {
      pending_.erase(0, start);
      return false;
    }
  }
  pending_.erase(0, start);
  if (pending_.size() > kMaxPending) {
    overflowed_ = true;
    pending_.clear();
    return false;
  }
  return true;
}

bool SseSplitter::Feed(std::string_view bytes,
                       const std::function<bool(std::string_view)>& on_data) {
  return lines_.Feed(bytes, [&](std::string_view line) {
    if (line.rfind("data:", 0) != 0) return true;  // comments, event:, id:
    line.remove_prefix(5);
    if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return on_data(line);
  });
}

bool StreamEndWatcher::Feed(std::string_view bytes) {
  while (!ended_ && !bytes.empty()) {
    const size_t nl = bytes.find('\n');
    const std::string_view part = bytes.substr(0, nl);
    if (!overlong_) {
      if (line_.size() + part.size() > kMaxLine) {
        overlong_ = true;
        line_.clear();
      } else {
        line_.append(part);
      }
    }
    if (nl == std::string_view::npos) break;
    if (!overlong_) ended_ = IsEnd(line_);
    line_.clear();
    overlong_ = false;
    bytes.remove_prefix(nl + 1);
  }
  return ended_;
}

bool StreamEndWatcher::IsEnd(std::string_view line) const {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (format_ == Format::kSse) {
    if (line.rfind("data:", 0) != 0) return false;
    line.remove_prefix(5);
    while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
    return line == "[DONE]";
  }
  if (line.find("\"done\"") == std::string_view::npos) return false;
  const auto value = sdk::json::Parse(line);
  return value && value->is_object() && value->value("done", json(false)) == json(true);
}

std::string SseErrorEvent(std::string_view message, std::string_view code, std::string_view tail) {
  json error = {{"message", message}, {"type", "upstream_error"}};
  if (!code.empty()) error["code"] = code;
  return std::string(tail == "\n\n" ? "" : "\n\n") + "data: " + json{{"error", error}}.dump() +
         "\n\ndata: [DONE]\n\n";
}

}  // namespace webui::providers
