#include "task_prompt.hpp"

#include <webui_host/sdk/json.hpp>

#include <cctype>
#include <cstdlib>
#include <regex>

namespace webui::chat {

// Our own wording. The examples in the new templates are deliberately not valid JSON
// ("<tag>", "..."), so a model that merely echoes its prompt yields nothing rather than the
// example's placeholders.
const char* const kDefaultTitleTemplate =
    "Create a short title (3 to 5 words, at most one emoji) that sums up the conversation "
    "below. Use the conversation's language. Reply with one JSON object and nothing else: "
    "{\"title\": \"...\"}\n\n<chat_history>\n{{MESSAGES:END:2}}\n</chat_history>";

const char* const kDefaultTagsTemplate =
    "Name the subjects of the conversation below: one to three broad areas (such as Science, "
    "Technology, Arts, Business, Health, Education) and up to three narrower topics that the "
    "conversation really covers. For a very short or scattered conversation use only "
    "\"General\". Write the tags in the conversation's main language (English when mixed).\n"
    "Reply with one JSON object and nothing else: {\"tags\": [<tag>, ...]}\n\n"
    "<chat_history>\n{{MESSAGES:END:6}}\n</chat_history>";

const char* const kDefaultFollowUpTemplate =
    "Suggest three to five questions the user could ask next, written from the user's point of "
    "view, that follow naturally from the conversation below and stay on its subject. Keep "
    "each short and in the conversation's language.\n"
    "Reply with one JSON object and nothing else: {\"follow_ups\": [<question>, ...]}\n\n"
    "<chat_history>\n{{MESSAGES:END:6}}\n</chat_history>";

const char* const kDefaultQueryTemplate =
    "Write up to three short search queries that would find the information needed to answer "
    "the user's latest request in the conversation below, in the conversation's language. "
    "Today is {{CURRENT_DATE}}. When nothing needs to be looked up, give an empty list.\n"
    "Reply with one JSON object and nothing else: {\"queries\": [<query>, ...]}\n\n"
    "<chat_history>\n{{MESSAGES:END:6}}\n</chat_history>";

const char* const kDefaultAutocompleteTemplate =
    "Continue the text in <text> as its author would, as a {{TYPE}}, without repeating it or "
    "answering it. When unsure, continue with nothing.\n"
    "Reply with one JSON object and nothing else: {\"text\": <continuation>}\n\n"
    "<chat_history>\n{{MESSAGES:END:6}}\n</chat_history>\n<text>{{prompt}}</text>";

const char* const kDefaultEmojiTemplate =
    "Reply with the one emoji that best shows the feeling or subject of the message in "
    "<message>, and nothing else.\n\n<message>{{prompt}}</message>";

namespace {

std::string TaskMessageText(const json& message) {
  if (!message.is_object()) return {};
  const json& c = message.value("content", json());
  if (c.is_string()) return c.get<std::string>();
  std::string out;
  if (c.is_array())
    for (const auto& part : c)
      if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
          part["text"].is_string())
        out += part["text"].get<std::string>();
  return out;
}

// Byte offsets of each code point of UTF-8 text (a stray continuation byte counts as one).
std::vector<std::size_t> CodePointStarts(std::string_view s) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) out.push_back(i);
  return out;
}

std::string Head(std::string_view s, std::size_t n) {
  const auto starts = CodePointStarts(s);
  return std::string(n >= starts.size() ? s : s.substr(0, starts[n]));
}

std::string Tail(std::string_view s, std::size_t n) {
  const auto starts = CodePointStarts(s);
  return std::string(n >= starts.size() ? s : s.substr(starts[starts.size() - n]));
}

std::size_t Count(std::string_view digits) {
  // The regex admits only digits; a huge number just means "all of it".
  const unsigned long long v = std::strtoull(std::string(digits).c_str(), nullptr, 10);
  return static_cast<std::size_t>(std::min<unsigned long long>(v, 1ull << 40));
}

json Slice(const json& messages, std::size_t from, std::size_t to) {
  json out = json::array();
  for (std::size_t i = from; i < to && i < messages.size(); ++i) out.push_back(messages[i]);
  return out;
}

}  // namespace

std::string MessagesContent(const json& messages) {
  std::string out;
  if (!messages.is_array()) return out;
  bool first = true;
  for (const auto& m : messages) {
    if (!m.is_object()) continue;
    std::string role = m.value("role", "");
    for (char& ch : role) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (!first) out += "\n";
    first = false;
    out += role + ": " + TaskMessageText(m);
  }
  return out;
}

std::string FillTaskTemplate(std::string_view tmpl, const json& messages, std::string_view prompt,
                             const PromptContext& ctx, std::string_view type) {
  std::string text(tmpl);
  for (std::size_t pos; (pos = text.find("{{TYPE}}")) != std::string::npos;)
    text.replace(pos, 8, type);

  // One pass over both families, so text taken from the prompt or the conversation is never
  // itself searched for markers. (0.6.32 matches {{prompt...}} in any case and {{MESSAGES...}}
  // in capitals; one case-insensitive pattern also accepts {{messages}}.)
  static const std::regex kMarkers(
      R"(\{\{prompt\}\}|\{\{prompt:start:(\d+)\}\}|\{\{prompt:end:(\d+)\}\}|)"
      R"(\{\{prompt:middletruncate:(\d+)\}\}|\{\{MESSAGES\}\}|\{\{MESSAGES:START:(\d+)\}\}|)"
      R"(\{\{MESSAGES:END:(\d+)\}\}|\{\{MESSAGES:MIDDLETRUNCATE:(\d+)\}\})",
      std::regex::icase);
  const json list = messages.is_array() ? messages : json::array();
  auto expand = [&](const std::smatch& m) -> std::string {
    const std::size_t size = list.size();
    if (m[1].matched) return Head(prompt, Count(m[1].str()));
    if (m[2].matched) return Tail(prompt, Count(m[2].str()));
    if (m[3].matched) {
      const std::size_t n = Count(m[3].str());
      if (CodePointStarts(prompt).size() <= n) return std::string(prompt);
      return Head(prompt, (n + 1) / 2) + "..." + Tail(prompt, n / 2);
    }
    if (m[4].matched) return MessagesContent(Slice(list, 0, Count(m[4].str())));
    if (m[5].matched) {
      const std::size_t n = Count(m[5].str());
      return MessagesContent(Slice(list, n >= size ? 0 : size - n, size));
    }
    if (m[6].matched) {
      const std::size_t n = Count(m[6].str());
      if (size <= n) return MessagesContent(list);
      const std::size_t half = n / 2;
      const std::size_t tail = n % 2 == 0 ? half : half + 1;
      return MessagesContent(Slice(list, 0, half)) + "\n" +
             MessagesContent(Slice(list, size - tail, size));
    }
    // {{prompt}} or {{MESSAGES}}: which one the match's text says.
    return m.str(0).size() == 10 ? std::string(prompt) : MessagesContent(list);
  };
  std::string out;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kMarkers);
       it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(text, last, static_cast<std::size_t>(m.position(0)) - last);
    out += expand(m);
    last = static_cast<std::size_t>(m.position(0) + m.length(0));
  }
  out.append(text, last, std::string::npos);
  text = std::move(out);
  return RenderPrompt(std::move(text), ctx);
}

std::optional<json> JsonObjectIn(std::string_view text) {
  const std::size_t open = text.find('{');
  const std::size_t close = text.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  auto parsed = sdk::json::Parse(text.substr(open, close - open + 1));
  if (!parsed || !parsed->is_object()) return std::nullopt;
  return parsed;
}

std::vector<std::string> ParseStringList(std::string_view answer, const char* key,
                                         std::size_t limit) {
  std::vector<std::string> out;
  const auto object = JsonObjectIn(answer);
  if (!object) return out;
  const auto it = object->find(key);
  if (it == object->end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (out.size() >= limit) break;
    if (!item.is_string()) continue;
    std::string s = item.get<std::string>();
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    if (s.size() > kMaxTaskItemBytes) s = Head(s, kMaxTaskItemBytes / 4);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> ParseQueries(std::string_view answer) {
  if (JsonObjectIn(answer)) return ParseStringList(answer, "queries", 8);
  // 0.6.32: an answer without a JSON object is itself the query.
  if (answer.find_first_not_of(" \t\r\n") == std::string_view::npos) return {};
  std::string whole(answer);
  if (whole.size() > kMaxWholeAnswerQueryBytes) whole = Head(whole, kMaxWholeAnswerQueryBytes / 4);
  return {whole};
}

}  // namespace webui::chat
