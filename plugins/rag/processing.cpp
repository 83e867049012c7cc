#include "rag_plugin.hpp"
namespace webui::rag {
void RagPlugin::OfferFileProcessor() {}
}  // namespace webui::rag
