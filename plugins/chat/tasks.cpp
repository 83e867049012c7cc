#include "tasks.hpp"

#include "chat_logic.hpp"

namespace webui::chat {

std::optional<std::string> TaskRegistry::Start(const std::string& chat_id,
                                               const std::string& user_id,
                                               std::function<void(Task&)> fn) {
  Reap();
  auto task = std::make_shared<Task>();
  task->id = NewUuid();
  task->chat_id = chat_id;
  task->user_id = user_id;
  std::lock_guard lock(mu_);
  if (shutting_down_) return std::nullopt;
  active_[task->id] = task;
  // The thread is created under the lock so Shutdown() never sees a task without its thread.
  task->thread = std::thread([this, task, fn = std::move(fn)] {
    try {
      fn(*task);
    } catch (...) {
      // fn reports its own failures; nothing may escape a thread.
    }
    std::lock_guard inner(mu_);
    active_.erase(task->id);
    finished_.push_back(task);
  });
  return task->id;
}

std::vector<std::string> TaskRegistry::List(const std::string& user_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, t] : active_)
    if (user_id.empty() || t->user_id == user_id) out.push_back(id);
  return out;
}

std::vector<std::string> TaskRegistry::ListByChat(const std::string& chat_id) const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [id, t] : active_)
    if (t->chat_id == chat_id) out.push_back(id);
  return out;
}

std::optional<std::string> TaskRegistry::OwnerOf(const std::string& task_id) const {
  std::lock_guard lock(mu_);
  auto it = active_.find(task_id);
  if (it == active_.end()) return std::nullopt;
  return it->second->user_id;
}

bool TaskRegistry::Stop(const std::string& task_id) {
  std::lock_guard lock(mu_);
  auto it = active_.find(task_id);
  if (it == active_.end()) return false;
  it->second->cancel = true;
  return true;
}

size_t TaskRegistry::Running() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

void TaskRegistry::Reap() {
  std::vector<std::shared_ptr<Task>> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
  }
  for (auto& t : done)
    if (t->thread.joinable()) t->thread.join();
}

void TaskRegistry::Shutdown() {
  std::vector<std::shared_ptr<Task>> all;
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (auto& [id, t] : active_) {
      t->cancel = true;
      all.push_back(t);
    }
  }
  for (auto& t : all)
    if (t->thread.joinable()) t->thread.join();
  Reap();
}

}  // namespace webui::chat
