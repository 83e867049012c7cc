#include "directory.hpp"

#include <fcntl.h>
#include <ldap.h>
#include <netdb.h>
#include <openldap.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dn.hpp"

namespace webui::ldap {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

timeval ToTimeval(int ms) {
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  if (tv.tv_sec == 0 && tv.tv_usec == 0) tv.tv_usec = 1000;  // 0 would mean "no limit"
  return tv;
}

std::string UrlHost(const std::string& host) {
  // An IPv6 literal needs brackets in a URL.
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

std::string Describe(LDAP* ld, int rc) {
  std::string out = ldap_err2string(rc);
  char* diagnostic = nullptr;
  if (ld != nullptr && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == 0 &&
      diagnostic != nullptr) {
    if (*diagnostic != '\0') out += std::string(" (") + diagnostic + ")";
    ldap_memfree(diagnostic);
  }
  return out + " [" + std::to_string(rc) + "]";
}

bool IsConnectionLoss(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR ||
         rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY;
}

}  // namespace

const std::vector<std::string>& Entry::Values(std::string_view name) const {
  static const std::vector<std::string> kNone;
  auto it = attributes.find(sdk::LowerAscii(name));
  return it == attributes.end() ? kNone : it->second;
}

void InitializeLibrary() {
  // The first libldap call reads ldap.conf and sets the global defaults; make it here, once,
  // rather than in two logins racing. Referrals are never chased: a referral from an Active
  // Directory would send the service account's password to another server.
  int version = LDAP_VERSION3;
  ldap_set_option(nullptr, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(nullptr, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
}

Conversation::Conversation(const Endpoint& endpoint)
    : endpoint_(endpoint), deadline_(Clock::now() + endpoint.timeout) {
  watchdog_ = std::thread([this] { Watch(); });
  try {
    Connect();
    if (endpoint_.ldaps || endpoint_.starttls) StartTls();
  } catch (...) {
    Release();
    throw;
  }
}

Conversation::~Conversation() { Release(); }

void Conversation::Release() {
  {
    std::lock_guard lock(mu_);
    finished_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  // The handle owns the socket from ldap_init_fd on, and closes it.
  if (ld_ != nullptr) {
    ldap_unbind_ext_s(ld_, nullptr, nullptr);
  } else if (fd_ >= 0) {
    ::close(fd_);
  }
  ld_ = nullptr;
  fd_ = -1;
}

void Conversation::Watch() {
  std::unique_lock lock(mu_);
  if (cv_.wait_until(lock, deadline_, [this] { return finished_; })) return;
  expired_ = true;
  // Whatever libldap is blocked in (a TLS handshake, a read) sees the connection end now. The
  // descriptor itself stays open until the conversation is destroyed, so it cannot be reused.
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

void Conversation::Fail(Failure failure, const std::string& what, int rc) {
  bool expired;
  {
    std::lock_guard lock(mu_);
    expired = expired_;
  }
  // libldap's own operation timeout and the watchdog end at the same moment: either way, nothing
  // answered in time.
  if (expired || rc == LDAP_TIMEOUT || RemainingMs(deadline_) == 0) {
    throw DirectoryError(
        Failure::kUnavailable,
        what + ": no answer within " + std::to_string(endpoint_.timeout.count()) + " ms");
  }
  throw DirectoryError(failure, what + ": " + Describe(ld_, rc));
}

void Conversation::Connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint_.port);
  if (int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    throw DirectoryError(Failure::kUnavailable,
                         "cannot resolve the LDAP server's name: " + std::string(gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd =
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, RemainingMs(deadline_));
      int err = ready == 0 ? ETIMEDOUT : errno;
      if (ready == 1) {
        socklen_t len = sizeof err;
        if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      if (RemainingMs(deadline_) == 0) break;
      continue;
    }
    // libldap reads and writes a blocking socket; the watchdog bounds the waits.
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    {
      std::lock_guard lock(mu_);
      fd_ = fd;
      if (expired_) ::shutdown(fd_, SHUT_RDWR);
    }
    break;
  }
  if (fd_ < 0)
    throw DirectoryError(Failure::kUnavailable, "cannot connect to the LDAP server: " + last_error);

  const std::string url =
      std::string(endpoint_.ldaps ? "ldaps://" : "ldap://") + UrlHost(endpoint_.host) + ":" + port;
  if (int rc = ldap_init_fd(fd_, LDAP_PROTO_TCP, url.c_str(), &ld_); rc != LDAP_SUCCESS) {
    ld_ = nullptr;
    throw DirectoryError(Failure::kProtocol, "ldap_init_fd: " + Describe(nullptr, rc));
  }
  int version = LDAP_VERSION3;
  ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(ld_, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  // Each synchronous operation waits at most what is left (the watchdog is the hard bound).
  const timeval op = ToTimeval(static_cast<int>(endpoint_.timeout.count()));
  ldap_set_option(ld_, LDAP_OPT_TIMEOUT, &op);
}

void Conversation::StartTls() {
  // TLS settings on this handle only, then a context of its own (LDAP_OPT_X_TLS_NEWCTX): no
  // process-wide TLS state that another login could change under it.
  auto refuse = [&](const char* what, int rc) {
    throw DirectoryError(Failure::kTlsConfig, std::string(what) + ": " + Describe(ld_, rc));
  };
  if (!endpoint_.ca_cert_file.empty()) {
    if (int rc = ldap_set_option(ld_, LDAP_OPT_X_TLS_CACERTFILE, endpoint_.ca_cert_file.c_str());
        rc != LDAP_OPT_SUCCESS)
      refuse("CA certificate file", rc);
  }
  int require = endpoint_.validate_cert ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
  if (int rc = ldap_set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT, &require); rc != LDAP_OPT_SUCCESS)
    refuse("certificate validation", rc);
  // Open WebUI's default "ALL" is an OpenSSL cipher list; Debian's libldap uses GnuTLS, whose
  // priority strings have no "ALL" (the handshake would fail): it means libldap's default.
  const std::string ciphers = sdk::LowerAscii(endpoint_.ciphers);
  if (!ciphers.empty() && ciphers != "all") {
    if (int rc = ldap_set_option(ld_, LDAP_OPT_X_TLS_CIPHER_SUITE, endpoint_.ciphers.c_str());
        rc != LDAP_OPT_SUCCESS)
      refuse("cipher suite", rc);
  }
  int is_server = 0;
  if (int rc = ldap_set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, &is_server); rc != LDAP_OPT_SUCCESS)
    refuse("TLS context", rc);

  const int rc = endpoint_.ldaps ? ldap_install_tls(ld_) : ldap_start_tls_s(ld_, nullptr, nullptr);
  if (rc != LDAP_SUCCESS) Fail(Failure::kTls, endpoint_.ldaps ? "TLS handshake" : "StartTLS", rc);
}

void Conversation::Bind(std::string_view dn, std::string_view password) {
  const std::string who(dn);
  berval cred{};
  cred.bv_len = password.size();
  cred.bv_val = const_cast<char*>(password.data());
  const int rc = ldap_sasl_bind_s(ld_, who.empty() ? nullptr : who.c_str(), LDAP_SASL_SIMPLE, &cred,
                                  nullptr, nullptr, nullptr);
  if (rc == LDAP_SUCCESS) return;
  Fail(IsConnectionLoss(rc) ? Failure::kUnavailable : Failure::kRejected, "bind", rc);
}

std::vector<Entry> Conversation::Search(const std::string& base, const std::string& filter,
                                        const std::vector<std::string>& attributes,
                                        int max_entries) {
  std::vector<char*> attrs;
  for (const auto& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  timeval tv = ToTimeval(std::max(RemainingMs(deadline_), 1));
  LDAPMessage* result = nullptr;
  // `tv` is also sent as the server's own time limit (whole seconds, at least one).
  const int rc =
      ldap_search_ext_s(ld_, base.c_str(), LDAP_SCOPE_SUBTREE, filter.c_str(), attrs.data(), 0,
                        nullptr, nullptr, &tv, max_entries + 1, &result);
  std::unique_ptr<LDAPMessage, decltype(&ldap_msgfree)> owned(result, &ldap_msgfree);
  if (rc == LDAP_NO_SUCH_OBJECT) return {};
  if (rc == LDAP_SIZELIMIT_EXCEEDED)
    throw DirectoryError(Failure::kProtocol, "the search matched more than one entry");
  if (rc != LDAP_SUCCESS)
    Fail(IsConnectionLoss(rc) ? Failure::kUnavailable : Failure::kProtocol, "search", rc);

  std::vector<Entry> out;
  for (LDAPMessage* m = ldap_first_entry(ld_, result); m != nullptr; m = ldap_next_entry(ld_, m)) {
    Entry e;
    if (char* dn = ldap_get_dn(ld_, m)) {
      e.dn = dn;
      ldap_memfree(dn);
    }
    BerElement* ber = nullptr;
    for (char* a = ldap_first_attribute(ld_, m, &ber); a != nullptr;
         a = ldap_next_attribute(ld_, m, ber)) {
      auto& values = e.attributes[sdk::LowerAscii(a)];
      if (berval** vals = ldap_get_values_len(ld_, m, a)) {
        for (int i = 0; vals[i] != nullptr; ++i)
          values.emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        ldap_value_free_len(vals);
      }
      ldap_memfree(a);
    }
    if (ber != nullptr) ber_free(ber, 0);
    out.push_back(std::move(e));
  }
  if (static_cast<int>(out.size()) > max_entries)
    throw DirectoryError(Failure::kProtocol, "the search matched more than one entry");
  return out;
}

}  // namespace webui::ldap
