#include "ollama_logic.hpp"

#include <webui_host/sdk/json.hpp>

#include <cctype>
#include <cmath>

namespace webui::ollama {

namespace {

using providers::Trim;

const char* const kDefaultBaseUrl = "http://localhost:11434";

std::string Str(const json& j, const char* key, std::string fallback = "") {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

double Num(const json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}

}  // namespace

std::vector<std::string> BaseUrlsFromEnv(const EnvLookup& env) {
  auto get = [&](const char* name) {
    auto v = env(name);
    return v ? Trim(*v) : std::string();
  };
  std::string single = get("OLLAMA_BASE_URL");
  if (single.empty()) {
    std::string api = get("OLLAMA_API_BASE_URL");
    if (api.size() >= 4 && api.compare(api.size() - 4, 4, "/api") == 0) api.resize(api.size() - 4);
    single = api.empty() ? kDefaultBaseUrl : api;
  }
  while (!single.empty() && single.back() == '/') single.pop_back();
  std::string list = get("OLLAMA_BASE_URLS");
  if (list.empty()) list = single;
  return providers::SplitKeepEmpty(list, ';');
}

std::optional<json> ConnectionModels(const json& tags_response, const json& config) {
  if (!tags_response.is_object() || !tags_response.contains("models") ||
      !tags_response["models"].is_array())
    return std::nullopt;
  const std::string prefix = Str(config, "prefix_id");
  const json tags = config.value("tags", json::array());
  const json connection_type = config.value("connection_type", json("local"));
  const json model_ids = config.value("model_ids", json::array());
  json out = json::array();
  for (json model : tags_response["models"]) {
    if (!model.is_object() || !model.contains("model") || !model["model"].is_string()) continue;
    if (model_ids.is_array() && !model_ids.empty()) {
      bool listed = false;
      for (const auto& id : model_ids) listed = listed || id == model["model"];
      if (!listed) continue;
    }
    if (!prefix.empty()) model["model"] = prefix + "." + model["model"].get<std::string>();
    if (tags.is_array() && !tags.empty()) model["tags"] = tags;
    if (connection_type.is_string() && !connection_type.get<std::string>().empty())
      model["connection_type"] = connection_type;
    out.push_back(std::move(model));
  }
  return out;
}

json MergeModels(const std::vector<std::optional<json>>& lists) {
  json merged = json::array();
  std::vector<std::string> order;
  for (size_t idx = 0; idx < lists.size(); ++idx) {
    if (!lists[idx]) continue;
    for (const auto& model : *lists[idx]) {
      const std::string id = model["model"].get<std::string>();
      bool found = false;
      for (auto& m : merged) {
        if (m["model"] == id) {
          m["urls"].push_back(idx);
          found = true;
          break;
        }
      }
      if (!found) {
        json m = model;
        m["urls"] = json::array({idx});
        merged.push_back(std::move(m));
      }
    }
  }
  return merged;
}

std::string WithTag(const std::string& name) {
  return name.find(':') == std::string::npos ? name + ":latest" : name;
}

json ProviderModels(const json& merged, long long now) {
  json out = json::array();
  for (const auto& m : merged) {
    const std::string id = m["model"].get<std::string>();
    json item = {{"id", id},
                 {"name", Str(m, "name", id)},
                 {"object", "model"},
                 {"created", now},
                 {"owned_by", "ollama"},
                 {"ollama", m},
                 {"connection_type", Str(m, "connection_type", "local")},
                 {"tags", m.value("tags", json::array())},
                 {"urlIdx", m["urls"].empty() ? json(0) : m["urls"][0]}};
    out.push_back(std::move(item));
  }
  return out;
}

namespace {

json MessagesToOllama(const json& messages) {
  json out = json::array();
  if (!messages.is_array()) return out;
  for (const auto& message : messages) {
    if (!message.is_object()) continue;
    json m = {{"role", message.value("role", json("user"))}};
    const json content = message.value("content", json());
    const json tool_calls = message.value("tool_calls", json());
    const bool has_calls = tool_calls.is_array() && !tool_calls.empty();
    if (content.is_string() && !has_calls) {
      m["content"] = content;
      if (message.contains("tool_call_id")) m["tool_call_id"] = message["tool_call_id"];
    } else if (has_calls) {
      json calls = json::array();
      for (const auto& tc : tool_calls) {
        const json fn = tc.value("function", json::object());
        json args = fn.value("arguments", json::object());
        if (args.is_string()) {
          json parsed =
              sdk::json::Parse(args.get<std::string>()).value_or(json(json::value_t::discarded));
          args = parsed.is_discarded() ? json::object() : parsed;
        }
        calls.push_back(
            {{"index", tc.value("index", json(0))},
             {"id", tc.value("id", json())},
             {"function", {{"name", fn.value("name", json(""))}, {"arguments", args}}}});
      }
      m["tool_calls"] = calls;
      m["content"] = "";
    } else if (content.is_array()) {
      std::string text;
      json images = json::array();
      for (const auto& part : content) {
        if (!part.is_object()) continue;
        const std::string type = Str(part, "type");
        if (type == "text") {
          text += Str(part, "text");
        } else if (type == "image_url") {
          std::string url = Str(part.value("image_url", json::object()), "url");
          if (url.rfind("data:", 0) == 0) url = url.substr(url.rfind(',') + 1);
          if (!url.empty()) images.push_back(url);
        }
      }
      m["content"] = Trim(text);
      if (!images.empty()) m["images"] = images;
    } else {
      m["content"] = "";
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

json OpenAiToOllamaChat(const json& openai) {
  json o = {{"model", openai.value("model", json(""))},
            {"messages", MessagesToOllama(openai.value("messages", json::array()))},
            {"stream", openai.value("stream", json(false)) == json(true)}};
  for (const char* k : {"tools", "format", "keep_alive", "think"})
    if (openai.contains(k) && !openai[k].is_null()) o[k] = openai[k];
  json options = openai.value("options", json::object());
  if (!options.is_object()) options = json::object();
  if (options.contains("max_tokens")) {
    options["num_predict"] = options["max_tokens"];
    options.erase("max_tokens");
  }
  if (options.contains("system")) {
    o["system"] = options["system"];
    options.erase("system");
  }
  // Top-level OpenAI sampling parameters become Ollama options (unless options already set them).
  const std::pair<const char*, const char*> mapping[] = {{"temperature", "temperature"},
                                                         {"top_p", "top_p"},
                                                         {"seed", "seed"},
                                                         {"max_tokens", "num_predict"},
                                                         {"max_completion_tokens", "num_predict"},
                                                         {"frequency_penalty", "frequency_penalty"},
                                                         {"presence_penalty", "presence_penalty"},
                                                         {"stop", "stop"}};
  for (const auto& [from, to] : mapping)
    if (openai.contains(from) && !openai[from].is_null() && !options.contains(to))
      options[to] = openai[from];
  if (options.contains("stop") && options["stop"].is_string())
    options["stop"] = json::array({options["stop"]});
  if (!options.empty()) o["options"] = options;
  if (auto rf = openai.find("response_format"); rf != openai.end() && rf->is_object()) {
    const std::string type = Str(*rf, "type");
    if (type == "json_object") {
      o["format"] = "json";
    } else if (!type.empty() && rf->contains(type) && (*rf)[type].is_object() &&
               (*rf)[type].contains("schema")) {
      o["format"] = (*rf)[type]["schema"];
    }
  }
  return o;
}

json Usage(const json& d) {
  const double prompt = Num(d, "prompt_eval_count"), completion = Num(d, "eval_count");
  const double eval_ns = Num(d, "eval_duration"), prompt_ns = Num(d, "prompt_eval_duration");
  auto rate = [](double count, double ns) -> json {
    if (ns <= 0) return "N/A";
    return std::round(count / (ns / 1e9) * 100) / 100;
  };
  return json{{"response_token/s", rate(completion, eval_ns)},
              {"prompt_token/s", rate(prompt, prompt_ns)},
              {"total_duration", d.value("total_duration", json(0))},
              {"load_duration", d.value("load_duration", json(0))},
              {"prompt_eval_count", d.value("prompt_eval_count", json(0))},
              {"prompt_tokens", static_cast<long long>(prompt)},
              {"prompt_eval_duration", d.value("prompt_eval_duration", json(0))},
              {"eval_count", d.value("eval_count", json(0))},
              {"completion_tokens", static_cast<long long>(completion)},
              {"eval_duration", d.value("eval_duration", json(0))},
              {"total_tokens", static_cast<long long>(prompt + completion)},
              {"completion_tokens_details",
               {{"reasoning_tokens", 0},
                {"accepted_prediction_tokens", 0},
                {"rejected_prediction_tokens", 0}}}};
}

json ChatConverter::ToolCalls(const json& calls) const {
  json out = json::array();
  size_t i = 0;
  for (const auto& tc : calls) {
    const json fn = tc.value("function", json::object());
    json args = fn.value("arguments", json::object());
    out.push_back({{"index", tc.value("index", json(i))},
                   {"id", tc.value("id", json(id_ + "-call-" + std::to_string(i)))},
                   {"type", "function"},
                   {"function",
                    {{"name", fn.value("name", json(""))},
                     {"arguments", args.is_string() ? args.get<std::string>() : args.dump()}}}});
    ++i;
  }
  return out;
}

std::optional<json> ChatConverter::Chunk(const json& line) {
  const json message = line.value("message", json::object());
  const std::string content = Str(message, "content");
  const std::string thinking = Str(message, "thinking");
  const json calls = message.value("tool_calls", json());
  const bool done = line.value("done", json(false)) == json(true);
  json delta = json::object();
  if (!content.empty()) delta["content"] = content;
  if (!thinking.empty()) delta["reasoning_content"] = thinking;
  if (calls.is_array() && !calls.empty()) {
    delta["tool_calls"] = ToolCalls(calls);
    saw_tool_calls_ = true;
  }
  if (delta.empty() && !done) return std::nullopt;
  json chunk = {{"id", id_},
                {"object", "chat.completion.chunk"},
                {"created", created_},
                {"model", line.value("model", json("ollama"))},
                {"choices",
                 {{{"index", 0},
                   {"delta", delta},
                   {"logprobs", nullptr},
                   {"finish_reason",
                    done ? json(saw_tool_calls_ ? "tool_calls" : Str(line, "done_reason", "stop"))
                         : json(nullptr)}}}}};
  if (done) chunk["usage"] = Usage(line);
  return chunk;
}

json ChatConverter::Completion(const json& answer) const {
  const json message = answer.value("message", json::object());
  json msg = {{"role", "assistant"}, {"content", Str(message, "content")}};
  if (!Str(message, "thinking").empty()) msg["reasoning_content"] = Str(message, "thinking");
  const json calls = message.value("tool_calls", json());
  const bool has_calls = calls.is_array() && !calls.empty();
  if (has_calls) msg["tool_calls"] = ToolCalls(calls);
  return json{
      {"id", id_},
      {"object", "chat.completion"},
      {"created", created_},
      {"model", answer.value("model", json("ollama"))},
      {"choices",
       {{{"index", 0},
         {"message", msg},
         {"logprobs", nullptr},
         {"finish_reason", has_calls ? "tool_calls" : Str(answer, "done_reason", "stop")}}}},
      {"usage", Usage(answer)}};
}

}  // namespace webui::ollama
