// Typed client of metrics.v1 (services/metrics.h): a plugin's own series in the host's /metrics.
//
//   sdk::Metrics metrics(host);                       // in Init: finds the host's table
//   metrics.Count("upstream_errors", {{"connection", "0"}});
//   metrics.Set("queue_depth", {}, 7);
//
// Without a host that offers metrics.v1 (or with ENABLE_METRICS off: the host still records)
// every call is a no-op, so plugins never branch on it. Returns false when the host refused the
// call (bad name or labels, series cap, type conflict).
#pragma once

#include <webui_host/services/metrics.h>
#include <webui_host/sdk/plugin.hpp>
#include <webui_host/sdk/services.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace webui::sdk {

class Metrics {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  Metrics() = default;
  explicit Metrics(const Host& host) {
    for (const auto& s : host.Services(WH_SERVICE_METRICS_V1)) {
      if (s.vtable == nullptr || !WEBUI_SDK_REACHES_(wh_metrics_v1, s.vtable_size, gauge_set))
        continue;
      vt_ = static_cast<const wh_metrics_v1*>(s.vtable);
      user_ = s.user;
      break;
    }
  }

  bool available() const { return vt_ != nullptr; }

  bool Count(std::string_view name, Labels labels = {}, double delta = 1) const {
    if (vt_ == nullptr || vt_->counter_add == nullptr) return true;
    const std::string l = LabelsJson(labels);
    return vt_->counter_add(user_, ToWh(name), ToWh(l), delta) == WH_OK;
  }
  bool Set(std::string_view name, Labels labels, double value) const {
    if (vt_ == nullptr || vt_->gauge_set == nullptr) return true;
    const std::string l = LabelsJson(labels);
    return vt_->gauge_set(user_, ToWh(name), ToWh(l), value) == WH_OK;
  }

 private:
  // {"k":"v",...}; the host validates names and escapes values in its exposition.
  static std::string LabelsJson(Labels labels) {
    if (labels.size() == 0) return {};
    std::string out = "{";
    for (const auto& [k, v] : labels) {
      if (out.size() > 1) out += ',';
      AppendQuoted(out, k);
      out += ':';
      AppendQuoted(out, v);
    }
    out += '}';
    return out;
  }
  static void AppendQuoted(std::string& out, std::string_view s) {
    static const char* hex = "0123456789abcdef";
    out += '"';
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += "\\u00";
        out += hex[c >> 4];
        out += hex[c & 15];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }

  const wh_metrics_v1* vt_ = nullptr;
  void* user_ = nullptr;
};

}  // namespace webui::sdk
