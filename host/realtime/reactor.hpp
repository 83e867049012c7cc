// One epoll thread for every upgraded WebSocket: non-blocking reads parsed incrementally, and
// non-blocking writes with a bounded queue per connection. Thousands of idle sockets cost memory,
// not threads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "realtime/websocket.hpp"

namespace webui::realtime {

class Reactor;

// A WebSocket connection after the HTTP upgrade. Sends may come from any thread; reading,
// parsing and closing the descriptor happen on the reactor thread only.
class WsConn : public std::enable_shared_from_this<WsConn> {
 public:
  enum class SendResult { kOk, kClosed, kOverflow };

  WsConn(Reactor* reactor, std::uint64_t id, int fd, std::size_t max_message,
         std::size_t max_queue);
  ~WsConn();
  WsConn(const WsConn&) = delete;
  WsConn& operator=(const WsConn&) = delete;

  // Frames `payload` as one text message and sends or queues it. kOverflow: the peer reads too
  // slowly, the connection is being dropped.
  SendResult SendText(std::string_view payload);
  SendResult SendFrame(std::string_view frame);
  // Queues a close frame after pending output; the descriptor closes once the peer answers or
  // after a short grace period.
  void Close(std::uint16_t code, std::string_view reason = {});
  // Drops the connection now; queued output is discarded.
  void Abort();

  std::uint64_t id() const { return id_; }
  std::size_t queued() const;
  bool closing() const;
  // The server's object for this connection, set before the connection is registered.
  void set_owner(std::weak_ptr<void> owner) { owner_ = std::move(owner); }
  std::shared_ptr<void> owner() const { return owner_.lock(); }

 private:
  friend class Reactor;
  bool FlushLocked();  // false on a fatal socket error
  void WantWriteLocked(bool on);

  Reactor* reactor_;
  const std::uint64_t id_;
  const std::size_t max_queue_;
  mutable std::mutex mu_;
  int fd_;  // -1 once closed
  std::string out_;
  std::size_t out_off_ = 0;
  bool want_write_ = false;
  bool closing_ = false;  // no more data accepted; shut down for writing once flushed
  bool shut_wr_ = false;
  bool broken_ = false;
  std::chrono::steady_clock::time_point close_deadline_{};
  // Reactor thread only.
  ws::FrameParser parser_;
  std::weak_ptr<void> owner_;
};

class Reactor {
 public:
  struct Callbacks {
    // A complete text or binary message.
    std::function<void(const std::shared_ptr<WsConn>&, ws::Message&)> on_message;
    // The descriptor was closed (peer gone, protocol error, close handshake done, aborted).
    std::function<void(const std::shared_ptr<WsConn>&)> on_closed;
    // Every `tick` on the reactor thread (timers of the layer above).
    std::function<void()> on_tick;
  };
  struct Options {
    std::chrono::milliseconds tick{250};
    std::size_t max_message = 1000000;
    std::size_t max_queue = 4 << 20;
    std::chrono::milliseconds close_grace{1000};
  };

  Reactor(Callbacks callbacks, Options options);
  ~Reactor();

  void Start();
  // Ends the loop, closes every descriptor (without callbacks) and joins the thread.
  void Stop();

  // Two steps so the caller can link the connection to its own state before any byte is read.
  std::shared_ptr<WsConn> Wrap(int fd);
  void Register(const std::shared_ptr<WsConn>& conn);

  std::size_t size() const;
  // Total bytes queued for writing across connections.
  std::size_t queued_bytes() const;
  const Options& options() const { return options_; }

 private:
  friend class WsConn;
  void Loop();
  void HandleEvent(const std::shared_ptr<WsConn>& conn, std::uint32_t events);
  void CloseConn(const std::shared_ptr<WsConn>& conn);
  void ExpireClosing();
  void Modify(int fd, std::uint64_t id, bool write);

  Callbacks cb_;
  Options options_;
  int epfd_ = -1;
  int evfd_ = -1;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  mutable std::mutex mu_;
  std::unordered_map<std::uint64_t, std::shared_ptr<WsConn>> conns_;
  std::vector<std::weak_ptr<WsConn>> closing_;
  std::atomic<std::uint64_t> next_id_{1};
  std::vector<char> read_buf_;
};

}  // namespace webui::realtime
