// One conversation with the directory (libldap): its own TCP connection and LDAP handle per login,
// so nothing is shared between threads, and one deadline for all of it. libldap's own timeouts
// do not bound everything (an ldaps:// handshake with a server that accepts and then stays silent
// spins or blocks far past LDAP_OPT_NETWORK_TIMEOUT), so the plugin connects the socket itself
// (with the deadline) and a watchdog shuts the socket down when the deadline passes: every call
// still inside libldap then fails at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

typedef struct ldap LDAP;

namespace webui::ldap {

struct Endpoint {
  std::string host;
  int port = 389;
  bool ldaps = false;     // TLS from the first byte (Open WebUI's use_tls)
  bool starttls = false;  // ldap:// then the StartTLS extended operation
  std::string ca_cert_file;
  bool validate_cert = true;
  std::string ciphers;  // a GnuTLS priority string; "" or "ALL" leave libldap's default
  std::chrono::milliseconds timeout{5000};
};

// Why a conversation failed. Only kUnavailable is the directory's fault (nothing answered in
// time); the others are answered like a wrong password.
enum class Failure {
  kTlsConfig,    // libldap refused the TLS settings (CA file unreadable, bad cipher string)
  kUnavailable,  // no connection, connection lost, or the deadline passed
  kTls,          // connected, but the TLS handshake failed (certificate, protocol)
  kRejected,     // a bind was refused (invalid credentials, unauthenticated bind disallowed)
  kProtocol,     // any other LDAP error, or an answer the plugin cannot use
};

class DirectoryError : public std::runtime_error {
 public:
  DirectoryError(Failure failure, const std::string& what)
      : std::runtime_error(what), failure_(failure) {}
  Failure failure() const { return failure_; }

 private:
  Failure failure_;
};

struct Entry {
  std::string dn;
  std::map<std::string, std::vector<std::string>> attributes;  // keys lower-cased
  // The values of `name` (any case); empty when the entry has none.
  const std::vector<std::string>& Values(std::string_view name) const;
};

class Conversation {
 public:
  // Connects and starts TLS as `endpoint` says; throws DirectoryError.
  explicit Conversation(const Endpoint& endpoint);
  ~Conversation();
  Conversation(const Conversation&) = delete;
  Conversation& operator=(const Conversation&) = delete;

  // A simple bind (anonymous when `dn` and `password` are empty). Throws DirectoryError:
  // kRejected when the directory refused the credentials.
  void Bind(std::string_view dn, std::string_view password);
  // A subtree search for at most `max_entries` entries; more is kProtocol (ambiguous).
  std::vector<Entry> Search(const std::string& base, const std::string& filter,
                            const std::vector<std::string>& attributes, int max_entries);

 private:
  void Connect();
  void Release();
  void StartTls();
  [[noreturn]] void Fail(Failure failure, const std::string& what, int rc);
  void Watch();

  Endpoint endpoint_;
  std::chrono::steady_clock::time_point deadline_;
  int fd_ = -1;
  LDAP* ld_ = nullptr;

  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  bool expired_ = false;
  std::thread watchdog_;
};

// The libldap settings that are process-wide, made once on the calling thread (the plugin's Init)
// before any worker thread opens a conversation.
void InitializeLibrary();

}  // namespace webui::ldap
