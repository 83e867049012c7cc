// HtmlToText: libxml2's HTML parser (the tolerant one browsers' markup needs), then a walk of the
// tree that keeps the visible text.
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "extract.hpp"
#include "text_builder.hpp"
#include "utf8.hpp"

namespace webui::rag {
namespace {

bool NameIs(const xmlNode* node, std::string_view name) {
  return node->name != nullptr && reinterpret_cast<const char*>(node->name) == name;
}

bool IsOneOf(const xmlNode* node, std::initializer_list<std::string_view> names) {
  for (const auto name : names) {
    if (NameIs(node, name)) return true;
  }
  return false;
}

// Elements whose content is never shown as text.
bool IsHidden(const xmlNode* node) {
  return IsOneOf(node, {"script", "style", "noscript", "template", "head", "svg", "math", "object",
                        "iframe", "select", "button"});
}

bool IsParagraph(const xmlNode* node) {
  return IsOneOf(node, {"p",      "h1",      "h2",         "h3",      "h4",   "h5",      "h6",
                        "pre",    "table",   "ul",         "ol",      "dl",   "section", "article",
                        "header", "footer",  "blockquote", "figure",  "form", "aside",   "nav",
                        "main",   "address", "fieldset",   "details", "hr",   "title",   "body"});
}

bool IsLine(const xmlNode* node) {
  return IsOneOf(node, {"div", "li", "tr", "br", "dt", "dd", "figcaption", "caption", "summary",
                        "legend", "option"});
}

void AddTitle(const xmlNode* head, TextBuilder& out) {
  for (const xmlNode* c = head->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || !NameIs(c, "title")) continue;
    for (const xmlNode* t = c->children; t != nullptr; t = t->next) {
      if (t->type == XML_TEXT_NODE && t->content != nullptr) {
        out.AddText(reinterpret_cast<const char*>(t->content));
      }
    }
    out.Break(2);
  }
}

// Opens `node`; true when its children are to be walked.
bool Open(const xmlNode* node, TextBuilder& out) {
  if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
    if (node->content != nullptr) out.AddText(reinterpret_cast<const char*>(node->content));
    return false;
  }
  if (node->type != XML_ELEMENT_NODE) return false;
  if (NameIs(node, "head")) {
    AddTitle(node, out);  // the page title is the first line, as a reader sees it on the tab
    return false;
  }
  if (IsHidden(node)) return false;
  if (IsParagraph(node)) out.Break(2);
  if (IsLine(node)) out.Break(1);
  if (IsOneOf(node, {"td", "th"})) out.Cell();
  if (NameIs(node, "pre")) out.EnterPre();
  return true;
}

void Close(const xmlNode* node, TextBuilder& out) {
  if (IsParagraph(node)) out.Break(2);
  if (IsLine(node)) out.Break(1);
  if (NameIs(node, "pre")) out.LeavePre();
}

void Walk(const xmlNode* root, TextBuilder& out) {
  // Iterative: a hostile page may nest elements deeper than the stack allows recursion.
  const xmlNode* node = root;
  while (true) {
    const bool entered = Open(node, out);
    if (entered && node->children != nullptr) {
      node = node->children;
      continue;
    }
    if (entered) Close(node, out);
    while (true) {
      if (node == root) return;
      if (node->next != nullptr) {
        node = node->next;
        break;
      }
      node = node->parent;
      Close(node, out);
    }
  }
}

struct DocFree {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};

}  // namespace

std::string HtmlToText(std::string_view html) {
  // libxml2's global state must be set up once before threads parse at the same time.
  static std::once_flag initialised;
  std::call_once(initialised, xmlInitParser);
  std::string decoded = utf8::DecodeText(html);
  if (decoded.empty()) return {};
  // The bytes are UTF-8 now: the declared charset must not re-decode them.
  const int options = HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                      HTML_PARSE_RECOVER | HTML_PARSE_NOBLANKS | HTML_PARSE_IGNORE_ENC |
                      HTML_PARSE_COMPACT;
  std::unique_ptr<xmlDoc, DocFree> doc(htmlReadMemory(
      decoded.data(), static_cast<int>(std::min<std::size_t>(decoded.size(), 0x7FFFFFFF)), nullptr,
      "UTF-8", options));
  if (!doc) return {};
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return {};
  TextBuilder out;
  Walk(root, out);
  return out.Finish();
}

}  // namespace webui::rag
