// Background chat completions (Open WebUI's create_task / stop_task), run by the SDK's task
// runner (a thread per task, a cancel flag the task polls, every thread joined by Shutdown()).
// With a TaskBoard the tasks are also announced to every instance (Open WebUI keeps them in
// Redis), so listing and stopping work from any instance behind a load balancer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <webui_host/sdk/tasks.hpp>

namespace webui::chat {

using Task = sdk::Task;

struct TaskInfo {
  std::string id;
  std::string chat_id;
  std::string user_id;
};

// The tasks of every instance. Implementations never throw: a failing store degrades to
// "this instance only" (the registry always answers for its own tasks).
class TaskBoard {
 public:
  virtual ~TaskBoard() = default;
  // Announces a running task; `alive_for` is how long it stays listed without a refresh.
  virtual void Add(const TaskInfo& task, std::chrono::milliseconds alive_for) = 0;
  virtual void Remove(const std::string& task_id) = 0;
  // Re-announces this instance's running tasks (a crashed instance's tasks expire).
  virtual void Refresh(const std::vector<TaskInfo>& tasks, std::chrono::milliseconds alive_for) = 0;
  virtual std::vector<TaskInfo> List() = 0;
  // Asks every instance to cancel `task_id`; the one running it calls the stop handler it was
  // given at Listen().
  virtual void RequestStop(const std::string& task_id) = 0;
  virtual void Listen(std::function<void(const std::string& task_id)> on_stop) = 0;
  virtual void StopListening() = 0;
};

class TaskRegistry {
 public:
  // How long a task stays listed after its instance stopped refreshing it, and how often the
  // instance refreshes.
  static constexpr std::chrono::milliseconds kAliveFor{45000};
  static constexpr std::chrono::milliseconds kRefreshEvery{15000};
  // Background completions running at once on this instance; more answer 503.
  static constexpr size_t kMaxRunning = 256;
  // Background completions read on the host's relay (no thread each) at once; more answer 503.
  static constexpr size_t kMaxTracked = 10000;
  // Threads that run posted work (the end of a tracked task: saving, a title).
  static constexpr size_t kPostWorkers = 4;

  // `board` may be null (this instance only); it must outlive the registry's Shutdown().
  explicit TaskRegistry(TaskBoard* board = nullptr);
  ~TaskRegistry() { Shutdown(); }
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;

  // Runs `fn` on its own thread; nullopt once shutting down or when kMaxRunning run.
  std::optional<std::string> Start(const std::string& chat_id, const std::string& user_id,
                                   std::function<void(Task&)> fn);
  // A task that holds no thread (its work runs in callbacks elsewhere): listed and stoppable
  // like the others until Finish. nullopt once shutting down or when kMaxTracked are tracked.
  std::optional<std::shared_ptr<Task>> Track(const std::string& chat_id,
                                             const std::string& user_id);
  void Finish(const std::string& task_id);
  // Runs `fn` on one of a few worker threads of the registry, in order of posting (work that
  // must not run where it was decided, e.g. on a relay thread). False once shutting down.
  bool Post(std::function<void()> fn);
  // Task ids of every instance; `user_id` empty = everybody's.
  std::vector<std::string> List(const std::string& user_id = {}) const;
  std::vector<std::string> ListByChat(const std::string& chat_id) const;
  // The owner of a running task (on any instance), nullopt when unknown.
  std::optional<std::string> OwnerOf(const std::string& task_id) const;
  // Cancels the task here, or asks the instance running it; false when unknown.
  bool Stop(const std::string& task_id);
  size_t Running() const;
  // Cancels every task and joins every thread. Idempotent.
  void Shutdown();

 private:
  bool StopLocal(const std::string& task_id);
  std::vector<TaskInfo> All() const;  // this instance's and the board's, each task once
  void RefreshLoop();
  void PostWorker();

  TaskBoard* board_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool shutting_down_ = false;
  std::map<std::string, TaskInfo> active_;  // what the runner runs or is tracked, as listed
  std::map<std::string, std::shared_ptr<Task>> tracked_;
  std::deque<std::function<void()>> posted_;
  std::condition_variable posted_cv_;
  std::vector<std::thread> post_workers_;  // started as work arrives, up to kPostWorkers
  size_t idle_post_workers_ = 0;
  std::thread refresher_;
  sdk::TaskRunner runner_{kMaxRunning};  // declared last: its threads end before the rest goes
};

}  // namespace webui::chat
