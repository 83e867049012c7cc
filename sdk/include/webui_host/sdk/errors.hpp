// webui-host plugin SDK: errors with an HTTP meaning, and Open WebUI's error texts.
//
// Thrown from a route handler, an HttpError (or one of the typed errors below) becomes the answer
// {"detail": ...} with its status; the route thunk (plugin.hpp) maps them in one place. An Error
// (a host service failed) answers 503 when the service is unavailable, else 500.
#pragma once

#include <webui_host/sdk/core.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace webui::sdk {

// Open WebUI's ERROR_MESSAGES (backend/open_webui/constants.py): the texts its frontend shows.
// One copy for every plugin.
namespace messages {
inline constexpr const char* kInvalidToken =
    "Your session has expired or the token is invalid. Please sign in again.";
inline constexpr const char* kUnauthorized = "401 Unauthorized";
inline constexpr const char* kNotFound = "We could not find what you're looking for :/";
inline constexpr const char* kUserNotFound = kNotFound;
inline constexpr const char* kAccessProhibited =
    "You do not have permission to access this resource. Please contact your administrator for "
    "assistance.";
inline constexpr const char* kActionProhibited =
    "The requested action has been restricted as a security measure.";
inline constexpr const char* kInvalidCred =
    "The email or password provided is incorrect. Please check for typos and try logging in "
    "again.";
inline constexpr const char* kInvalidEmailFormat =
    "The email format you entered is invalid. Please double-check and make sure you're using a "
    "valid email address (e.g., yourname@example.com).";
inline constexpr const char* kEmailTaken =
    "Uh-oh! This email is already registered. Sign in with your existing account or choose "
    "another email to start anew.";
inline constexpr const char* kPasswordTooLong =
    "Uh-oh! The password you entered is too long. Please make sure your password is less than 72 "
    "bytes long.";
inline constexpr const char* kInvalidPassword =
    "The password provided is incorrect. Please check for typos and try again.";
inline constexpr const char* kInvalidTrustedHeader =
    "Your provider has not provided a trusted header. Please contact your administrator for "
    "assistance.";
inline constexpr const char* kExistingUsers =
    "You can't turn off authentication because there are existing users. If you want to disable "
    "WEBUI_AUTH, make sure your web interface doesn't have any existing users and is a fresh "
    "installation.";
inline constexpr const char* kApiKeyNotFound =
    "Oops! It looks like there's a hiccup. The API key is missing. Please make sure to provide a "
    "valid API key to access this feature.";
inline constexpr const char* kApiKeyNotAllowed =
    "Use of API key is not enabled in the environment.";
inline constexpr const char* kApiKeyCreationNotAllowed =
    "API key creation is not allowed in the environment.";
inline constexpr const char* kRateLimitExceeded = "API rate limit exceeded";
inline constexpr const char* kCreateUserError =
    "Oops! Something went wrong while creating your account. Please try again later. If the "
    "issue persists, contact support for assistance.";
inline constexpr const char* kUserMismatch = "User mismatch. Please sign in again.";
inline constexpr const char* kModelIdTaken =
    "Uh-oh! This model id is already registered. Please choose another model id string.";
// FastAPI's HTTPBearer answer when a route needs a caller and there is none.
inline constexpr const char* kNotAuthenticated = "Not authenticated";
// ERROR_MESSAGES.DEFAULT(err): "Something went wrong :/" or "[ERROR: err]".
inline std::string Default(std::string_view err = {}) {
  if (err.empty()) return "Something went wrong :/";
  return "[ERROR: " + std::string(err) + "]";
}
}  // namespace messages

// The `detail` of the 503 answered when a host service is unavailable (WH_UNAVAILABLE).
inline constexpr const char* kServiceUnavailable =
    "Service temporarily unavailable. Please try again later.";

// An error with an HTTP meaning. Thrown from a handler it becomes the response
// {"detail": detail} (or {"detail": <detail_json>} when the detail is not a string).
class HttpError : public std::exception {
 public:
  HttpError(int status, std::string detail) : status_(status), detail_(std::move(detail)) {}
  int status() const noexcept { return status_; }
  // The detail as text (for a structured detail: its message, for the log).
  const std::string& detail() const noexcept { return detail_; }
  // The JSON text of a structured detail (FastAPI's validation list); empty when the detail is
  // the string detail().
  const std::string& detail_json() const noexcept { return detail_json_; }
  // The whole answer body: {"detail": ...}.
  std::string Body() const {
    return "{\"detail\":" + (detail_json_.empty() ? detail::JsonQuote(detail_) : detail_json_) +
           "}";
  }
  const char* what() const noexcept override { return detail_.c_str(); }

 protected:
  HttpError(int status, std::string detail, std::string detail_json)
      : status_(status), detail_(std::move(detail)), detail_json_(std::move(detail_json)) {}

 private:
  int status_;
  std::string detail_;
  std::string detail_json_;
};

// 400, e.g. a setting or parameter the request may not have.
class BadRequest : public HttpError {
 public:
  explicit BadRequest(std::string detail = messages::Default())
      : HttpError(400, std::move(detail)) {}
};

// 401: no or bad credentials. The default is the text the web UI reacts to by signing out.
class Unauthorized : public HttpError {
 public:
  explicit Unauthorized(std::string detail = messages::kInvalidToken)
      : HttpError(401, std::move(detail)) {}
};

// 403: the caller is known but may not do this.
class Forbidden : public HttpError {
 public:
  explicit Forbidden(std::string detail = messages::kAccessProhibited)
      : HttpError(403, std::move(detail)) {}
};

// 404.
class NotFound : public HttpError {
 public:
  explicit NotFound(std::string detail = messages::kNotFound) : HttpError(404, std::move(detail)) {}
};

// 409: already exists.
class Conflict : public HttpError {
 public:
  explicit Conflict(std::string detail) : HttpError(409, std::move(detail)) {}
};

// 413: the body is larger than the route accepts.
class TooLarge : public HttpError {
 public:
  explicit TooLarge(std::string detail = "Request body too large")
      : HttpError(413, std::move(detail)) {}
};

// 422 with FastAPI's validation shape:
//   {"detail": [{"loc": ["body", <field>], "msg": <msg>, "type": <type>}]}
// (`field` empty: the body itself; keys in this order, as nlohmann writes them). `type` is
// pydantic's error type ("missing", "string_type", "json_invalid", ...).
class Unprocessable : public HttpError {
 public:
  Unprocessable(std::string type, std::string_view field, std::string msg)
      : HttpError(422, msg, Item(type, field, msg)), type_(std::move(type)), field_(field) {}
  // 422 with a plain string detail, for checks FastAPI would not have made in its validation.
  explicit Unprocessable(std::string detail) : HttpError(422, std::move(detail)) {}
  const std::string& type() const noexcept { return type_; }
  const std::string& field() const noexcept { return field_; }

 private:
  static std::string Item(std::string_view type, std::string_view field, std::string_view msg) {
    std::string loc = "[\"body\"";
    if (!field.empty()) loc += "," + detail::JsonQuote(field);
    loc += "]";
    return "[{\"loc\":" + loc + ",\"msg\":" + detail::JsonQuote(msg) +
           ",\"type\":" + detail::JsonQuote(type) + "}]";
  }
  std::string type_;
  std::string field_;
};

// 502/503/504: an upstream (a model server, another service) failed. The detail goes to the
// client: never put an upstream's address or credentials in it.
class UpstreamError : public HttpError {
 public:
  enum class Kind { kBadGateway = 502, kUnavailable = 503, kTimeout = 504 };
  UpstreamError(Kind kind, std::string detail)
      : HttpError(static_cast<int>(kind), std::move(detail)), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// A failure of a host service (database, key-value store, ...) inside plugin code. Escaping a
// handler, status WH_UNAVAILABLE answers 503 {"detail": kServiceUnavailable}, anything else 500.
class Error : public std::runtime_error {
 public:
  Error(wh_status status, const std::string& message)
      : std::runtime_error(message), status_(status) {}
  wh_status status() const noexcept { return status_; }

 private:
  wh_status status_;
};

namespace detail {
// Throws Error when a host call failed.
inline void Check(wh_status st, const std::string& what) {
  if (st != WH_OK) throw Error(st, what + " failed (status " + std::to_string(st) + ")");
}
}  // namespace detail

}  // namespace webui::sdk
