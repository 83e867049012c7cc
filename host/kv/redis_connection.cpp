#include "kv/redis_connection.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <string_view>

#include <Poco/Error.h>
#include <Poco/Exception.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Redis/Command.h>
#include <Poco/Redis/Error.h>
#include <spdlog/spdlog.h>

namespace webui::kv {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollSlice{100};

Poco::Timespan ToTimespan(std::chrono::microseconds us) {
  return Poco::Timespan(
      static_cast<Poco::Timespan::TimeDiff>(std::max<std::int64_t>(us.count(), 0)));
}

// Error replies that mean "this Redis cannot serve now" rather than "this command is wrong".
bool MeansUnavailable(std::string_view message) {
  constexpr std::array<std::string_view, 7> kPrefixes = {
      "LOADING", "NOAUTH", "WRONGPASS", "MASTERDOWN", "BUSY", "READONLY", "MISCONF"};
  return std::any_of(kPrefixes.begin(), kPrefixes.end(),
                     [&](std::string_view p) { return message.substr(0, p.size()) == p; });
}

}  // namespace

std::optional<std::string> ErrorText(const Poco::Redis::RedisType::Ptr& reply) {
  if (reply.isNull() || !reply->isError()) return std::nullopt;
  const auto* error = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Error>*>(reply.get());
  if (error == nullptr) return std::string("unknown Redis error");
  return error->value().getMessage();
}

Poco::Net::Context::Ptr MakeTlsContext(const RedisEndpoint& endpoint) {
  static const bool initialized = [] {
    Poco::Net::initializeSSL();
    return true;
  }();
  (void)initialized;
  Poco::Net::Context::Params params;
  params.verificationMode =
      endpoint.tls_verify ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
  params.caLocation = endpoint.tls_ca_file;
  params.loadDefaultCAs = endpoint.tls_ca_file.empty();
  try {
    return new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
  } catch (const Poco::Exception& e) {
    throw RedisUnavailable("TLS set-up failed: " + e.displayText());
  }
}

RedisConnection::RedisConnection(const RedisEndpoint& endpoint, RedisTimeouts timeouts,
                                 const std::atomic<bool>* cancel, Poco::Net::Context::Ptr tls)
    : timeouts_(timeouts), cancel_(cancel), tls_(!tls.isNull()) {
  try {
    const Poco::Net::SocketAddress address(endpoint.host, static_cast<Poco::UInt16>(endpoint.port));
    if (tls_) {
      Poco::Net::SecureStreamSocket secure(tls);
      secure.setPeerHostName(endpoint.host);
      socket_ = secure;
    }
    // Non-blocking connect polled in slices, so a black-holed host cannot stall shutdown.
    socket_.connectNB(address);
    const auto deadline = Clock::now() + timeouts_.connect;
    if (!PollSliced(deadline, Poco::Net::Socket::SELECT_WRITE | Poco::Net::Socket::SELECT_ERROR)) {
      throw RedisUnavailable("connect timed out after " +
                             std::to_string(timeouts_.connect.count()) + " ms");
    }
    if (const int error = socket_.impl()->socketError(); error != 0) {
      throw RedisUnavailable("connect failed: " + Poco::Error::getMessage(error));
    }
    socket_.setBlocking(true);
    socket_.setNoDelay(true);
    socket_.setSendTimeout(ToTimespan(timeouts_.command));
    socket_.setReceiveTimeout(ToTimespan(timeouts_.command));
    if (tls_) {
      Poco::Net::SecureStreamSocket secure(socket_);
      if (secure.completeHandshake() != 1) throw RedisUnavailable("TLS handshake did not finish");
      // The chain was checked during the handshake (VERIFY_RELAXED); this checks the name.
      if (endpoint.tls_verify) secure.verifyPeerCertificate();
    }
  } catch (const Poco::Net::SSLConnectionUnexpectedlyClosedException& e) {
    throw RedisUnavailable("TLS: " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    throw RedisRefused("TLS: " + e.displayText());
  } catch (const Poco::Exception& e) {
    throw RedisUnavailable(e.displayText());
  }
  input_ = std::make_unique<Poco::Redis::RedisInputStream>(socket_);

  try {
    if (!endpoint.password.empty()) {
      Poco::Redis::Command auth("AUTH");
      if (!endpoint.user.empty()) auth << endpoint.user;
      auth << endpoint.password;
      Execute(auth);
    }
    if (endpoint.db != 0) {
      Poco::Redis::Command select("SELECT");
      select << std::to_string(endpoint.db);
      Execute(select);
    }
  } catch (const RedisCommandError& e) {
    // A wrong password or database number will not fix itself per call: the store cannot use
    // this Redis, exactly as if it were down.
    throw RedisRefused(std::string("handshake refused: ") + e.what());
  } catch (const RedisUnavailable& e) {
    const std::string_view message = e.what();
    if (message.rfind("WRONGPASS", 0) == 0 || message.rfind("NOAUTH", 0) == 0) {
      throw RedisRefused("handshake refused: " + std::string(message));
    }
    throw;
  }
}

RedisConnection::~RedisConnection() {
  input_.reset();
  try {
    socket_.close();
  } catch (...) {  // closing a broken socket may throw; nothing to do about it
  }
}

bool RedisConnection::PollSliced(Clock::time_point deadline, int mode) {
  while (true) {
    if (cancel_ != nullptr && cancel_->load()) throw RedisUnavailable("store is shutting down");
    const auto now = Clock::now();
    if (now >= deadline) return false;
    const auto slice = std::min<Clock::duration>(deadline - now, kPollSlice);
    if (socket_.poll(ToTimespan(std::chrono::ceil<std::chrono::microseconds>(slice)), mode)) {
      return true;
    }
  }
}

void RedisConnection::Send(const Poco::Redis::Array& command) {
  const std::string wire = command.toString();
  try {
    const char* data = wire.data();
    std::size_t left = wire.size();
    while (left > 0) {
      // MSG_NOSIGNAL: a peer that went away must give an error, not kill the process (SIGPIPE).
      const int sent = socket_.sendBytes(data, static_cast<int>(left), MSG_NOSIGNAL);
      if (sent <= 0) throw RedisUnavailable("connection closed while sending");
      data += sent;
      left -= static_cast<std::size_t>(sent);
    }
  } catch (const Poco::Exception& e) {
    throw RedisUnavailable("send failed: " + e.displayText());
  }
}

bool RedisConnection::WaitReadable(std::chrono::milliseconds wait) {
  if (input_->rdbuf()->in_avail() > 0) return true;
  try {
    // TLS may hold decrypted bytes that the socket no longer shows as readable.
    if (tls_ && socket_.available() > 0) return true;
    return PollSliced(Clock::now() + wait, Poco::Net::Socket::SELECT_READ);
  } catch (const Poco::Exception& e) {
    throw RedisUnavailable("poll failed: " + e.displayText());
  }
}

bool RedisConnection::LooksClosed() {
  try {
    return input_->rdbuf()->in_avail() > 0 ||
           socket_.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ);
  } catch (...) {
    return true;
  }
}

void RedisConnection::Shutdown() noexcept {
  try {
    socket_.shutdown();
  } catch (...) {  // already disconnected: the reader fails anyway
  }
}

Poco::Redis::RedisType::Ptr RedisConnection::Read() {
  if (!WaitReadable(timeouts_.command)) {
    throw RedisUnavailable("no reply within " + std::to_string(timeouts_.command.count()) + " ms");
  }
  // The rest of the reply is read with the socket's receive timeout. Poco's stream buffer turns
  // a socket error or timeout into end-of-stream, so a failed stream is an I/O failure.
  try {
    const int marker = input_->get();
    if (marker == std::char_traits<char>::eof()) {
      throw RedisUnavailable("connection closed by Redis");
    }
    Poco::Redis::RedisType::Ptr reply =
        Poco::Redis::RedisType::createRedisType(static_cast<char>(marker));
    if (reply.isNull()) throw RedisUnavailable("protocol error: unexpected reply type");
    reply->read(*input_);
    if (!input_->good()) throw RedisUnavailable("connection lost or timed out inside a reply");
    return reply;
  } catch (const RedisUnavailable&) {
    throw;
  } catch (const Poco::Exception& e) {
    throw RedisUnavailable("reading reply failed: " + e.displayText());
  } catch (const std::exception& e) {
    throw RedisUnavailable(std::string("reading reply failed: ") + e.what());
  }
}

Poco::Redis::RedisType::Ptr RedisConnection::Execute(const Poco::Redis::Array& command) {
  Send(command);
  auto reply = Read();
  if (auto error = ErrorText(reply)) {
    if (MeansUnavailable(*error)) throw RedisUnavailable(*error);
    throw RedisCommandError(*error);
  }
  return reply;
}

RedisPool::RedisPool(std::shared_ptr<RedisTarget> target, std::size_t max_size,
                     const std::atomic<bool>* cancel)
    : target_(std::move(target)),
      timeouts_(target_->timeouts()),
      max_size_(std::max<std::size_t>(max_size, 1)),
      cancel_(cancel) {}

RedisPool::~RedisPool() = default;

std::unique_ptr<RedisConnection> RedisPool::Acquire() {
  const auto deadline = Clock::now() + timeouts_.command;
  std::unique_lock lock(mu_);
  while (true) {
    while (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (!connection->LooksClosed()) return connection;
      --open_;  // Redis closed it while idle (restart, `timeout` setting): just drop it
    }
    if (open_ < max_size_) {
      ++open_;
      lock.unlock();
      try {
        return target_->Connect(cancel_);
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= max_size_) {
      throw RedisUnavailable("all " + std::to_string(max_size_) +
                             " Redis connections stayed busy for " +
                             std::to_string(timeouts_.command.count()) + " ms");
    }
  }
}

void RedisPool::Release(std::unique_ptr<RedisConnection> connection, bool reusable) {
  std::unique_ptr<RedisConnection> doomed;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    if (reusable) {
      idle_.push_back(std::move(connection));
    } else {
      doomed = std::move(connection);
      --open_;
    }
  }
  cv_.notify_one();
}

Poco::Redis::RedisType::Ptr RedisPool::Execute(const Poco::Redis::Array& command) {
  auto connection = Acquire();
  try {
    auto reply = connection->Execute(command);
    Release(std::move(connection), true);
    return reply;
  } catch (const RedisCommandError&) {
    Release(std::move(connection), true);  // the reply was read in full: still in sync
    throw;
  } catch (const RedisUnavailable&) {
    Release(std::move(connection), false);
    target_->Invalidate();
    throw;
  } catch (...) {
    Release(std::move(connection), false);
    throw;
  }
}

void RedisPool::Clear() {
  std::vector<std::unique_ptr<RedisConnection>> doomed;
  {
    std::lock_guard lock(mu_);
    open_ -= idle_.size();
    doomed.swap(idle_);
  }
  cv_.notify_all();
}

RedisTarget::RedisTarget(RedisEndpoint endpoint, RedisTimeouts timeouts)
    : endpoint_(std::move(endpoint)),
      timeouts_(timeouts),
      tls_(endpoint_.tls ? MakeTlsContext(endpoint_) : nullptr) {}

void RedisTarget::Invalidate() {
  if (!endpoint_.UsesSentinel()) return;
  std::lock_guard lock(mu_);
  master_.reset();
}

RedisEndpoint RedisTarget::Resolve(const std::atomic<bool>* cancel) {
  RedisEndpoint target = endpoint_;
  if (!endpoint_.UsesSentinel()) return target;
  {
    std::lock_guard lock(mu_);
    if (master_) {
      target.host = master_->host;
      target.port = master_->port;
      return target;
    }
  }
  // Sentinels are asked in order; the first that knows the master wins. They get neither the
  // master's password nor its database (Open WebUI passes neither to them).
  std::string errors;
  for (const HostPort& sentinel : endpoint_.sentinels) {
    RedisEndpoint at;
    at.host = sentinel.host;
    at.port = sentinel.port;
    at.tls = endpoint_.tls;
    at.tls_verify = endpoint_.tls_verify;
    try {
      RedisConnection connection(at, timeouts_, cancel, tls_);
      Poco::Redis::Command ask("SENTINEL");
      ask << "get-master-addr-by-name" << endpoint_.master_name;
      const auto reply = connection.Execute(ask);
      const auto* array = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(reply.get());
      if (array == nullptr || array->value().isNull() || array->value().size() != 2) {
        errors += "; " + sentinel.host + ":" + std::to_string(sentinel.port) +
                  " does not know master '" + endpoint_.master_name + "'";
        continue;
      }
      const auto host = array->value().get<Poco::Redis::BulkString>(0);
      const auto port = array->value().get<Poco::Redis::BulkString>(1);
      if (host.isNull() || port.isNull()) continue;
      HostPort master{host.value(), std::stoi(port.value())};
      {
        std::lock_guard lock(mu_);
        if (master_ != master) {
          spdlog::info("Redis Sentinel: master '{}' is at {}:{}", endpoint_.master_name,
                       master.host, master.port);
        }
        master_ = master;
      }
      target.host = master.host;
      target.port = master.port;
      return target;
    } catch (const std::exception& e) {  // RedisUnavailable, RedisCommandError, std::stoi
      errors += "; " + sentinel.host + ":" + std::to_string(sentinel.port) + ": " + e.what();
    }
  }
  throw RedisUnavailable("no sentinel named the master '" + endpoint_.master_name + "'" + errors);
}

std::unique_ptr<RedisConnection> RedisTarget::Connect(const std::atomic<bool>* cancel) {
  try {
    const RedisEndpoint at = Resolve(cancel);
    auto connection = std::make_unique<RedisConnection>(at, timeouts_, cancel, tls_);
    if (endpoint_.UsesSentinel()) {
      // A sentinel may still name a master that has just been demoted: check before use.
      const auto role = connection->Execute(Poco::Redis::Command("ROLE"));
      const auto* array = dynamic_cast<const Poco::Redis::Type<Poco::Redis::Array>*>(role.get());
      if (array == nullptr || array->value().isNull() || array->value().size() == 0 ||
          array->value().getType(0) != Poco::Redis::RedisType::REDIS_BULK_STRING ||
          array->value().get<Poco::Redis::BulkString>(0).value() != "master") {
        throw RedisUnavailable(at.host + ":" + std::to_string(at.port) +
                               " is no longer the master");
      }
    }
    return connection;
  } catch (const RedisUnavailable&) {
    Invalidate();
    throw;
  }
}

}  // namespace webui::kv
