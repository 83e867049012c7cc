// webui-host plugin SDK: a background task runner. Work a request starts but must not wait for
// (a chat completion that goes on after the client left, a title to generate) runs here, on
// threads the runner owns: bounded in number, named, cancellable, and all joined when the plugin
// shuts down, so no thread outlives the plugin's code (the host unloads it after Shutdown).
//
// Cancelling is cooperative: the task polls Task::Cancelled() (e.g. from a model provider's
// on_chunk, which ticks at least every 250 ms) and returns.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace webui::sdk {

// What a running task sees of itself.
class Task {
 public:
  Task(std::string id, std::string name) : id_(std::move(id)), name_(std::move(name)) {}
  const std::string& id() const { return id_; }
  const std::string& name() const { return name_; }
  bool Cancelled() const { return cancel_.load(std::memory_order_acquire); }
  void Cancel() { cancel_.store(true, std::memory_order_release); }

 private:
  std::string id_;
  std::string name_;
  std::atomic<bool> cancel_{false};
};

class TaskRunner {
 public:
  // At most `max_running` tasks run at once; Start refuses more.
  explicit TaskRunner(std::size_t max_running) : max_running_(max_running) {}
  ~TaskRunner() { Shutdown(); }
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  enum class Started { kOk, kFull, kDuplicate, kShuttingDown };

  // Runs `fn` on a new thread as task `id` (unique among running tasks; the caller makes it, e.g.
  // a UUID). `name` says what it is, for lists and logs. An exception escaping `fn` is swallowed
  // (a task reports its own failures). `on_exit`, when given, runs on the task's thread after
  // `fn`, also when it threw.
  Started Start(const std::string& id, std::string name, std::function<void(Task&)> fn,
                std::function<void()> on_exit = {}) {
    Reap();
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_) return Started::kShuttingDown;
    if (active_.count(id) != 0) return Started::kDuplicate;
    if (active_.size() >= max_running_) return Started::kFull;
    auto entry = std::make_shared<Entry>(id, std::move(name));
    active_[id] = entry;
    // Created under the lock, so Shutdown never sees a task without its thread.
    entry->thread = std::thread([this, entry, fn = std::move(fn), on_exit = std::move(on_exit)] {
      try {
        fn(entry->task);
      } catch (...) {
      }
      if (on_exit) {
        try {
          on_exit();
        } catch (...) {
        }
      }
      std::lock_guard<std::mutex> inner(mu_);
      active_.erase(entry->task.id());
      finished_.push_back(entry);
    });
    return Started::kOk;
  }

  // Asks task `id` to stop; false when no such task runs here.
  bool Cancel(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = active_.find(id);
    if (it == active_.end()) return false;
    it->second->task.Cancel();
    return true;
  }

  // The running tasks as (id, name).
  std::vector<std::pair<std::string, std::string>> List() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(active_.size());
    for (const auto& [id, e] : active_) out.emplace_back(id, e->task.name());
    return out;
  }

  std::size_t Running() const {
    std::lock_guard<std::mutex> lock(mu_);
    return active_.size();
  }
  std::size_t max_running() const { return max_running_; }

  // Cancels every task and joins every thread; afterwards Start refuses. Idempotent. Never call
  // it from a task.
  void Shutdown() {
    std::vector<std::shared_ptr<Entry>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      shutting_down_ = true;
      for (auto& [id, e] : active_) {
        e->task.Cancel();
        all.push_back(e);
      }
    }
    {
      std::lock_guard<std::mutex> joining(join_mu_);
      for (auto& e : all)
        if (e->thread.joinable()) e->thread.join();
    }
    Reap();
  }

 private:
  struct Entry {
    Entry(std::string id, std::string name) : task(std::move(id), std::move(name)) {}
    Task task;
    std::thread thread;
  };

  // Joins the threads of finished tasks (never from a task thread: Start and Shutdown only).
  void Reap() {
    std::vector<std::shared_ptr<Entry>> done;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(finished_);
    }
    std::lock_guard<std::mutex> joining(join_mu_);
    for (auto& e : done)
      if (e->thread.joinable()) e->thread.join();
  }

  const std::size_t max_running_;
  mutable std::mutex mu_;
  std::mutex join_mu_;  // one joiner of a thread at a time (Reap and Shutdown may overlap)
  bool shutting_down_ = false;
  std::map<std::string, std::shared_ptr<Entry>> active_;
  std::vector<std::shared_ptr<Entry>> finished_;
};

}  // namespace webui::sdk
