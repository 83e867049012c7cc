// Background chat completions (Open WebUI's create_task / stop_task): one thread per task, a
// cancel flag the task polls, and every thread joined by Shutdown().
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace webui::chat {

struct Task {
  std::string id;
  std::string chat_id;
  std::string user_id;
  std::atomic<bool> cancel{false};
  std::thread thread;
  bool Cancelled() const { return cancel.load(); }
};

class TaskRegistry {
 public:
  TaskRegistry() = default;
  ~TaskRegistry() { Shutdown(); }
  TaskRegistry(const TaskRegistry&) = delete;
  TaskRegistry& operator=(const TaskRegistry&) = delete;

  // Runs `fn` on its own thread; nullopt once shutting down.
  std::optional<std::string> Start(const std::string& chat_id, const std::string& user_id,
                                   std::function<void(Task&)> fn);
  // Task ids; `user_id` empty = everybody's.
  std::vector<std::string> List(const std::string& user_id = {}) const;
  std::vector<std::string> ListByChat(const std::string& chat_id) const;
  // The owner of a running task, nullopt when unknown.
  std::optional<std::string> OwnerOf(const std::string& task_id) const;
  // Sets the task's cancel flag; false when unknown.
  bool Stop(const std::string& task_id);
  size_t Running() const;
  // Cancels every task and joins every thread. Idempotent.
  void Shutdown();

 private:
  void Reap();  // joins threads of finished tasks (never called from a task thread)

  mutable std::mutex mu_;
  bool shutting_down_ = false;
  std::map<std::string, std::shared_ptr<Task>> active_;
  std::vector<std::shared_ptr<Task>> finished_;
};

}  // namespace webui::chat
