#include "completion_context.hpp"

#include <map>
#include <set>

namespace webui::chat {

namespace {

std::string Str(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsString(const json& obj, const char* key) {
  return obj.is_object() && obj.contains(key) && obj[key].is_string() &&
         !obj[key].get<std::string>().empty();
}

// Prepends `text` and "\n" to a message's content (a list: to its first text part).
void Prepend(json& message, const std::string& text) {
  json& content = message["content"];
  if (content.is_array()) {
    for (auto& part : content)
      if (part.is_object() && Str(part, "type") == "text") {
        part["text"] = text + "\n" + Str(part, "text");
        return;
      }
    content.insert(content.begin(), json{{"type", "text"}, {"text", text}});
    return;
  }
  content = text + "\n" + (content.is_string() ? content.get<std::string>() : std::string());
}

}  // namespace

json RetrievalItems(const json& body_files, const json& model_meta) {
  json items = json::array();
  if (body_files.is_array())
    for (const auto& f : body_files) items.push_back(f);
  const json knowledge = model_meta.is_object() ? model_meta.value("knowledge", json()) : json();
  if (knowledge.is_array()) {
    for (const auto& k : knowledge) {
      if (!k.is_object()) continue;
      if (IsString(k, "collection_name")) {
        items.push_back(
            {{"id", k["collection_name"]}, {"name", k.value("name", json())}, {"legacy", true}});
      } else if (k.contains("collection_names") && !k["collection_names"].empty()) {
        items.push_back({{"name", k.value("name", json())},
                         {"type", "collection"},
                         {"collection_names", k["collection_names"]},
                         {"legacy", true}});
      } else {
        items.push_back(k);
      }
    }
  }
  // Equal items once, the first kept (0.6.32 keys them by their JSON with sorted keys, which is
  // how nlohmann::json dumps an object).
  json out = json::array();
  std::set<std::string> seen;
  for (const auto& item : items)
    if (seen.insert(item.dump(-1, ' ', false, json::error_handler_t::replace)).second)
      out.push_back(item);
  return out;
}

std::string LastUserText(const json& messages) {
  if (!messages.is_array()) return {};
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (!it->is_object() || Str(*it, "role") != "user") continue;
    const json& c = it->value("content", json());
    if (c.is_string()) return c.get<std::string>();
    if (c.is_array())
      for (const auto& part : c)
        if (part.is_object() && Str(part, "type") == "text") return Str(part, "text");
    return {};
  }
  return {};
}

std::string SourceContext(const json& sources) {
  std::string out;
  if (!sources.is_array()) return out;
  std::map<std::string, std::size_t> numbers;
  for (const auto& s : sources) {
    if (!s.is_object() || !s.contains("document") || !s["document"].is_array()) continue;
    if (s.value("tool_result", false) == true) continue;
    const json src = s.value("source", json::object());
    const std::string name = Str(src, "name");
    const json metadatas = s.value("metadata", json::array());
    const json& documents = s["document"];
    // zip(): as many as both lists have.
    const std::size_t n =
        metadatas.is_array() ? std::min(documents.size(), metadatas.size()) : std::size_t{0};
    for (std::size_t i = 0; i < n; ++i) {
      std::string id = Str(metadatas[i], "source");
      if (id.empty()) id = Str(src, "id");
      if (id.empty()) id = "N/A";
      const std::size_t number = numbers.emplace(id, numbers.size() + 1).first->second;
      out += "<source id=\"" + std::to_string(number) + "\"";
      if (!name.empty()) out += " name=\"" + name + "\"";
      out += ">" + (documents[i].is_string() ? documents[i].get<std::string>() : std::string()) +
             "</source>\n";
    }
  }
  const auto first = out.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = out.find_last_not_of(" \t\r\n");
  return out.substr(first, last - first + 1);
}

std::string FillRagTemplate(std::string_view tmpl, std::string_view context,
                            std::string_view query) {
  static constexpr std::pair<std::string_view, bool> kMarkers[] = {
      {"[context]", true}, {"{{CONTEXT}}", true}, {"[query]", false}, {"{{QUERY}}", false}};
  std::string out;
  out.reserve(tmpl.size() + context.size() + query.size());
  std::size_t i = 0;
  while (i < tmpl.size()) {
    bool matched = false;
    for (const auto& [marker, is_context] : kMarkers) {
      if (tmpl.compare(i, marker.size(), marker) == 0) {
        out.append(is_context ? context : query);
        i += marker.size();
        matched = true;
        break;
      }
    }
    if (!matched) out.push_back(tmpl[i++]);
  }
  return out;
}

json InjectRagContext(json messages, const std::string& filled, bool ollama) {
  if (!messages.is_array()) messages = json::array();
  if (ollama) {
    // 0.6.32's workaround for Ollama models that drop a second system prompt.
    for (auto& m : messages)
      if (m.is_object() && Str(m, "role") == "user") {
        Prepend(m, filled);
        return messages;
      }
    return messages;
  }
  if (!messages.empty() && messages[0].is_object() && Str(messages[0], "role") == "system") {
    Prepend(messages[0], filled);
    return messages;
  }
  messages.insert(messages.begin(), json{{"role", "system"}, {"content", filled}});
  return messages;
}

json CitableSources(const json& sources) {
  json out = json::array();
  if (!sources.is_array()) return out;
  for (const auto& s : sources) {
    const json src = s.is_object() ? s.value("source", json::object()) : json();
    if (!Str(src, "name").empty() || !Str(src, "id").empty()) out.push_back(s);
  }
  return out;
}

json WebSearchItems(const std::vector<std::string>& queries, const json& collection_names,
                    const json& urls, const json& docs) {
  std::string name;
  for (const auto& q : queries) name += (name.empty() ? "" : ", ") + q;
  json base = {{"name", name}, {"type", "web_search"}, {"urls", urls}, {"queries", queries}};
  json items = json::array();
  if (collection_names.is_array() && !collection_names.empty()) {
    for (const auto& c : collection_names) {
      if (!c.is_string()) continue;
      json item = base;
      item["collection_name"] = c;
      items.push_back(std::move(item));
    }
  } else if (docs.is_array() && !docs.empty()) {
    base["docs"] = docs;
    items.push_back(std::move(base));
  }
  return items;
}

}  // namespace webui::chat
