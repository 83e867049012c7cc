// The HTTP connection front. POCO's HTTPServer pins one thread to every open connection, so
// idle keep-alive sockets (or slowloris clients) can take every thread. Here one epoll thread
// holds every connection that has no complete request yet; a worker thread gets a connection
// only when a whole request head has arrived, serves that one request with POCO's own request
// and response classes, and hands the connection back. Threads follow requests in progress,
// not connections held.
//
// On the epoll thread: idle keep-alive timeout, header deadline from the first byte
// (slowloris), head size bound (431), connection caps in total and per client address (503).
// On a worker: a read deadline for the rest of the request (body), refusal of ambiguous body
// framing (400 + close), and no unread body left on a kept connection (drained within bounds
// or the connection is closed), so a body is never taken for the next request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>

#include "net/connection_limits.hpp"
#include "net/stream_relay.hpp"
#include "net/whole_response.hpp"

namespace webui::net {

class FrontSession;
class FrontResponse;

struct FrontOptions {
  int max_workers = 1100;  // threads serving requests at once
  int max_queued = 1024;   // complete requests waiting for a worker; beyond: 503
  std::chrono::seconds keep_alive_timeout{10};  // a connection with no byte of a request
  std::chrono::seconds header_timeout{10};      // first byte to complete head
  std::chrono::seconds body_timeout{60};        // complete head to complete body
  std::size_t max_connections = 0;              // 0 = no cap
  std::size_t max_connections_per_address = 0;  // 0 = no cap
  std::string server_name = "webui-host";
  // Threads relaying streams (net/stream_relay.hpp); a stream stays on the one it started on.
  // 0 = one per core, at most 4.
  int relay_threads = 0;
};

// The response is also handed over as a WholeResponse (the same object), so the handler can
// send a buffered response in one write without a cross-cast per request.
using RequestHandler = std::function<void(Poco::Net::HTTPServerRequest&,
                                          Poco::Net::HTTPServerResponse&, WholeResponse&)>;

class HttpFront {
 public:
  // `listener` is bound and listening.
  HttpFront(Poco::Net::ServerSocket listener, FrontOptions options, RequestHandler handler);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  void Start();
  // Stops accepting and closes idle connections; requests in progress finish and their
  // connections close after the response. Does not wait.
  void BeginShutdown();
  // Ends relayed streams (net/stream_relay.hpp), the epoll thread and the workers (waits for
  // requests in progress).
  void Stop();

  // Relayed streams whose response is not finished yet (a gauge; the drain waits for them).
  std::size_t live_relays() const;
  // Ends every relayed stream now (shutdown deadline): the plugin hears WH_ABORTED and the
  // client's stream gets its last event and its end.
  void AbortRelays();
  // An upstream exchange with no client (http_fetch_relay): the job's handler consumes the
  // answer on a relay thread. Before Start or after Stop it ends at once (kAborted).
  void RelayFetch(std::unique_ptr<RelayJob> job);

 private:
  struct Connection;
  class RelayConnection;
  using ConnPtr = std::unique_ptr<Connection>;
  using Clock = std::chrono::steady_clock;
  // What becomes of a connection after a request: kept for the next one, closed gracefully
  // (response out, input drained for a moment), closed at once, taken over by the handler, or
  // handed to the stream relay with the response it is to carry.
  enum class After { kPark, kLinger, kClose, kGone, kRelay };

  // epoll thread
  void Loop();
  void Accept();
  void Examine(Connection& conn, bool peer_closed);
  void Dispatch(int fd);
  void Discard(Connection& conn);
  void Watch(ConnPtr conn);
  ConnPtr Unwatch(int fd);
  void Close(int fd);
  void StopListening();
  void Sweep();
  void TakeHandBacks();
  void Refuse(ConnPtr conn, int status, const std::string& detail);
  void BeginLinger(ConnPtr conn);

  // workers
  bool Submit(ConnPtr& conn);
  void StartWorker();
  void AddWorkersForWaitingRequests();
  std::size_t WorkersToAdd(Clock::time_point now);
  void WorkerMain(std::list<std::thread>::iterator self);
  void Serve(ConnPtr conn);
  bool NextHeadArrives(Connection& conn);
  After ServeOne(Connection& conn, FrontSession& session);
  bool BodyFullyRead(Poco::Net::HTTPServerRequest& req, Connection& conn);
  bool BodyOffTheConnection(Poco::Net::HTTPServerRequest& req, const FrontResponse& response,
                            Connection& conn);
  void HandBack(ConnPtr conn, After after);

  Poco::Net::ServerSocket listener_;
  const FrontOptions options_;
  const RequestHandler handler_;
  Poco::Net::HTTPServerParams::Ptr params_;
  ConnectionLimits limits_;

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int listen_fd_ = -1;
  std::thread loop_thread_;
  std::atomic<bool> stopping_{false};  // BeginShutdown
  std::atomic<bool> stop_loop_{false};
  bool listening_ = true;                     // epoll thread only
  bool accept_paused_ = false;                // epoll thread only (out of descriptors)
  Clock::time_point accept_paused_until_;     // epoll thread only
  Clock::time_point last_accept_warning_;     // epoll thread only
  std::unordered_map<int, ConnPtr> watched_;  // epoll thread only
  std::vector<char> peek_buffer_;             // epoll thread only
  std::size_t lingering_ = 0;                 // epoll thread only

  std::mutex hand_back_mu_;
  std::vector<std::pair<ConnPtr, After>> hand_backs_;

  std::vector<std::unique_ptr<StreamRelay>> relays_;
  std::atomic<std::size_t> next_relay_{0};

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::deque<ConnPtr> ready_;
  std::atomic<std::size_t> queued_{0};  // ready_.size(), read without the lock
  std::list<std::thread> workers_, exited_;
  int idle_workers_ = 0;
  // Whether the process kept the CPU busy since the last sample (WorkersToAdd).
  Clock::time_point last_busy_spawn_{}, cpu_sampled_at_{};
  std::chrono::nanoseconds cpu_at_sample_{0};
  long preempted_at_sample_ = 0;  // involuntary context switches
  bool cpu_busy_ = false;
  bool pool_stop_ = false;
};

}  // namespace webui::net
