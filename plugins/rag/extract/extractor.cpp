#include "extractor.hpp"

namespace webui::rag {

Extracted RunExtractor(const std::string&, Kind kind, const ExtractLimits&) {
  Extracted result;
  result.error = "unsupported file type " + std::string(KindName(kind));
  return result;
}

}  // namespace webui::rag
