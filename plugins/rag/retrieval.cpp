#include "rag_plugin.hpp"
namespace webui::rag {
void RagPlugin::AddRetrievalRoutes() {}
}  // namespace webui::rag
