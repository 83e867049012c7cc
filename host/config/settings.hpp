// Raw settings: process environment first, then the .env file. Typed accessors refuse invalid
// values with the variable's name, so a bad deployment fails at start, not at first use.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace webui::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Settings {
 public:
  // Reads `environ` and, when it exists, the .env file at `dotenv` (KEY=VALUE lines, '#'
  // comments, optional `export ` prefix, single or double quotes).
  static Settings Load(const std::filesystem::path& dotenv);
  // For tests: explicit variables instead of the process environment.
  static Settings FromMap(std::map<std::string, std::string> env,
                          std::map<std::string, std::string> dotenv = {});

  // env > .env; nullopt when neither has it.
  std::optional<std::string> Get(std::string_view name) const;
  std::string String(std::string_view name, std::string_view fallback) const;
  // true/false/1/0/yes/no/on/off, case-insensitive; anything else throws ConfigError.
  bool Bool(std::string_view name, bool fallback) const;
  std::int64_t Int(std::string_view name, std::int64_t fallback, std::int64_t min,
                   std::int64_t max) const;
  // Size with optional unit: 1048576, 512k, 10m, 1g (binary units).
  std::int64_t Bytes(std::string_view name, std::int64_t fallback) const;
  // One of `allowed` (case-insensitive; returned upper-cased as listed).
  std::string OneOf(std::string_view name, std::string_view fallback,
                    const std::vector<std::string>& allowed) const;
  // Splits on `sep`, trims, drops empty items.
  std::vector<std::string> List(std::string_view name, char sep) const;

  // Parses one .env text (exposed for tests).
  static std::map<std::string, std::string> ParseDotenv(std::string_view text);

 private:
  std::map<std::string, std::string> env_;
  std::map<std::string, std::string> dotenv_;
  bool use_process_env_ = false;
};

bool ParseBool(std::string_view text, bool* out);
std::vector<std::string> SplitTrim(std::string_view text, char sep);

}  // namespace webui::config
