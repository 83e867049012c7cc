#include "rag_plugin.hpp"
namespace webui::rag {
void RagPlugin::AddKnowledgeRoutes() {}
}  // namespace webui::rag
