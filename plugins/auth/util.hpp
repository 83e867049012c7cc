// Pure helpers that mirror Open WebUI's small utilities: duration strings (JWT_EXPIRES_IN),
// e-mail format check, and request-body parsing with FastAPI-like 422 errors.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <webui_host/sdk/errors.hpp>

namespace webui::auth {

// Open WebUI's parse_duration(): "-1" and "0" mean no expiry; otherwise every
// "<number><ms|s|m|h|d|w>" pair found in the text is summed ("1h30m"). `valid` is false when
// no pair is found (Python raises ValueError there).
struct Duration {
  bool valid = false;
  bool none = false;   // no expiry
  double seconds = 0;  // when !none (may be 0 or negative: Python's timedelta is falsy at 0)
};
Duration ParseDuration(std::string_view text);
// The admin form's check: ^(-1|0|(-?\d+(\.\d+)?)(ms|s|m|h|d|w))$
bool IsValidJwtExpiry(std::string_view text);

// Open WebUI's validate_email_format(): "...@localhost", or re.match(r"[^@]+@[^@]+\.[^@]+").
bool ValidEmailFormat(std::string_view email);

// Seconds since the epoch (Open WebUI's int(time.time())).
int64_t Now();

// The roles Open WebUI knows.
bool ValidRole(std::string_view role);

// ASCII lower-casing (e-mail addresses are compared lower-cased, like Open WebUI).
std::string Lower(std::string_view s);

// A request-validation failure: the SDK's Unprocessable, answered 422
// {"detail":[{"loc":["body",field],"msg":...,"type":...}]} like FastAPI.
using ValidationError = sdk::Unprocessable;

// Parses a JSON object body; 422 for anything else (including nesting deeper than 64).
nlohmann::json ParseBodyObject(std::string_view body);
// Required / optional string fields (pydantic `str` rejects numbers, null, objects).
std::string RequireString(const nlohmann::json& body, const char* field);
std::optional<std::string> OptionalString(const nlohmann::json& body, const char* field);
std::optional<bool> OptionalBool(const nlohmann::json& body, const char* field);

// Serialises for a response; invalid UTF-8 is replaced instead of throwing.
std::string Dump(const nlohmann::json& j);

}  // namespace webui::auth
