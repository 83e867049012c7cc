// The JWT signing secret: WEBUI_SECRET_KEY (alias WEBUI_JWT_SECRET_KEY), else a random one
// generated once and kept in $DATA_DIR/.webui_secret_key (mode 0600), like Open WebUI's
// start.sh. There is no built-in default.
#pragma once

#include <string>

#include <webui_host/sdk.hpp>

namespace webui::auth {

// Reads or creates the key file in `data_dir`. Safe when several processes start at once on
// the same directory: the file appears atomically and every process reads the same key.
std::string LoadOrCreateSecretFile(const std::string& data_dir);

std::string ResolveSecret(const sdk::Host& host);

}  // namespace webui::auth
