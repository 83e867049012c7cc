#include "metrics/plugin_metrics.hpp"

#include <cmath>
#include <nlohmann/json.hpp>
#include <webui_host/sdk/json.hpp>

namespace webui::metrics {
namespace {

bool ValidName(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

std::string_view View(wh_str s) { return {s.ptr ? s.ptr : "", s.len}; }

}  // namespace

wh_status PluginMetrics::Record(std::string_view plugin, Kind kind, std::string_view name,
                                std::string_view labels_json, double value) {
  if (!ValidName(name, 64) || !std::isfinite(value)) return WH_INVALID;
  if (kind == Kind::kCounter && value < 0) return WH_INVALID;
  std::string labels = Label("plugin", plugin);
  if (!labels_json.empty()) {
    const auto parsed = sdk::json::Parse(labels_json);
    if (!parsed || !parsed->is_object() || parsed->size() > 8) return WH_INVALID;
    for (auto it = parsed->begin(); it != parsed->end(); ++it) {  // sorted keys: one rendering
      if (!ValidName(it.key(), 64) || it.key() == "plugin" || !it.value().is_string())
        return WH_INVALID;
      const auto& v = it.value().get_ref<const std::string&>();
      if (v.size() > 128) return WH_INVALID;
      labels += "," + Label(it.key(), v);
    }
  }
  const std::string exposed =
      "webui_" + std::string(name) + (kind == Kind::kCounter ? "_total" : "");
  std::lock_guard lock(mu_);
  auto fam = families_.find(exposed);
  if (fam == families_.end()) {
    // The other kind under the same base name would be a second family for one name.
    const std::string other =
        "webui_" + std::string(name) + (kind == Kind::kCounter ? "" : "_total");
    if (families_.count(other)) return WH_CONFLICT;
    fam = families_.emplace(exposed, FamilyData{kind, {}}).first;
  }
  auto s = fam->second.series.find(labels);
  if (s == fam->second.series.end()) {
    auto& count = series_count_[std::string(plugin)];
    if (count >= kMaxSeriesPerPlugin) return WH_DENIED;
    ++count;
    s = fam->second.series.emplace(std::move(labels), 0.0).first;
  }
  if (kind == Kind::kCounter) {
    s->second += value;
  } else {
    s->second = value;
  }
  return WH_OK;
}

std::vector<Family> PluginMetrics::Families() const {
  std::vector<Family> out;
  std::lock_guard lock(mu_);
  for (const auto& [name, fam] : families_) {
    std::vector<Sample> samples;
    for (const auto& [labels, value] : fam.series) samples.push_back({labels, value});
    out.push_back({name, "Reported by plugins (metrics.v1).",
                   fam.kind == Kind::kCounter ? "counter" : "gauge",
                   [samples = std::move(samples)](std::vector<Sample>& to) {
                     to.insert(to.end(), samples.begin(), samples.end());
                   }});
  }
  return out;
}

const wh_metrics_v1* PluginMetrics::Table() {
  static const wh_metrics_v1 table = [] {
    wh_metrics_v1 t{};
    t.struct_size = sizeof t;
    t.counter_add = [](void* user, wh_str name, wh_str labels, double delta) -> wh_status {
      auto* c = static_cast<Consumer*>(user);
      try {
        return c->self->Record(c->plugin, Kind::kCounter, View(name), View(labels), delta);
      } catch (...) {
        return WH_ERROR;
      }
    };
    t.gauge_set = [](void* user, wh_str name, wh_str labels, double value) -> wh_status {
      auto* c = static_cast<Consumer*>(user);
      try {
        return c->self->Record(c->plugin, Kind::kGauge, View(name), View(labels), value);
      } catch (...) {
        return WH_ERROR;
      }
    };
    return t;
  }();
  return &table;
}

void* PluginMetrics::UserFor(const std::string& plugin) {
  std::lock_guard lock(mu_);
  auto& c = consumers_[plugin];
  if (!c) c = std::make_unique<Consumer>(Consumer{this, plugin});
  return c.get();
}

}  // namespace webui::metrics
