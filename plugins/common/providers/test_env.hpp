// For unit tests: an EnvLookup over a fixed set of variables.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "providers/connections.hpp"

namespace webui::providers {

inline EnvLookup MapEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace webui::providers
