#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace webui::metrics {
namespace {

void AppendNumber(std::string& out, double v) {
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  // The shortest text that reads back as the same double ("0.005", not "0.0050000000000000001").
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ec == std::errc() ? static_cast<std::size_t>(res.ptr - buf) : 0);
}

void AppendSample(std::string& out, std::string_view name, std::string_view labels, double v) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  AppendNumber(out, v);
  out += '\n';
}

void AppendHeader(std::string& out, std::string_view name, std::string_view help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

std::string Label(std::string_view name, std::string_view value) {
  std::string out(name);
  out += "=\"";
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

std::string Render(const std::vector<RouteSeries>& routes, const std::vector<Family>& families) {
  std::string out;
  out.reserve(16384);
  constexpr std::string_view kCount = "webui_http_requests_total";
  constexpr std::string_view kDuration = "webui_http_request_duration_seconds";
  AppendHeader(out, kCount, "HTTP requests answered, by route template and status.", "counter");
  std::string hist;
  AppendHeader(hist, kDuration, "Time from request head to the end of the response.", "histogram");
  for (const RouteSeries& r : routes) {
    const std::string base = Label("method", r.method) + "," + Label("route", r.route);
    r.stats->ForEach([&](const RouteStats::Snapshot& s) {
      const std::string labels = base + "," + Label("status", std::to_string(s.status));
      AppendSample(out, kCount, labels, static_cast<double>(s.count));
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += s.buckets[i];
        std::string le = labels + ",le=\"";
        AppendNumber(le, kLatencyBuckets[i]);
        le += '"';
        AppendSample(hist, std::string(kDuration) + "_bucket", le, static_cast<double>(cumulative));
      }
      AppendSample(hist, std::string(kDuration) + "_bucket", labels + ",le=\"+Inf\"",
                   static_cast<double>(s.count));
      AppendSample(hist, std::string(kDuration) + "_sum", labels, s.sum_seconds);
      AppendSample(hist, std::string(kDuration) + "_count", labels, static_cast<double>(s.count));
    });
  }
  out += hist;
  std::vector<Sample> samples;
  for (const Family& f : families) {
    samples.clear();
    f.collect(samples);
    AppendHeader(out, f.name, f.help, f.type);
    for (const Sample& s : samples) AppendSample(out, f.name, s.labels, s.value);
  }
  return out;
}

}  // namespace webui::metrics
