// The calling side of the extractor child process (webui-rag-extract).
#pragma once

#include <string>

#include "extract.hpp"
#include "sniff.hpp"

namespace webui::rag {

// Runs webui-rag-extract on `path` under `limits` and collects its documents. A crash, a kill at
// the deadline or output beyond the limits is an error, never an exception.
Extracted RunExtractor(const std::string& path, Kind kind, const ExtractLimits& limits);

}  // namespace webui::rag
