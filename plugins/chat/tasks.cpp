#include "tasks.hpp"

#include <set>

#include "chat_logic.hpp"

namespace webui::chat {

TaskRegistry::TaskRegistry(TaskBoard* board) : board_(board) {
  if (board_ == nullptr) return;
  board_->Listen([this](const std::string& task_id) { StopLocal(task_id); });
  refresher_ = std::thread([this] { RefreshLoop(); });
}

std::optional<std::string> TaskRegistry::Start(const std::string& chat_id,
                                               const std::string& user_id,
                                               std::function<void(Task&)> fn) {
  TaskInfo info{NewUuid(), chat_id, user_id};
  const std::string id = info.id;
  {
    std::lock_guard lock(mu_);
    if (shutting_down_) return std::nullopt;
    active_[id] = info;
  }
  // Announced before it runs, so a list right after the answer already shows it; removed by the
  // task's thread when it ends (a task that ends first is re-removed, harmlessly).
  if (board_ != nullptr) board_->Add(info, kAliveFor);
  const auto started = runner_.Start(id, "chat " + chat_id, std::move(fn), [this, id] {
    if (board_ != nullptr) board_->Remove(id);
    std::lock_guard inner(mu_);
    active_.erase(id);
  });
  if (started == sdk::TaskRunner::Started::kOk) return id;
  if (board_ != nullptr) board_->Remove(id);
  std::lock_guard lock(mu_);
  active_.erase(id);
  return std::nullopt;
}

std::optional<std::shared_ptr<Task>> TaskRegistry::Track(const std::string& chat_id,
                                                         const std::string& user_id) {
  TaskInfo info{NewUuid(), chat_id, user_id};
  auto task = std::make_shared<Task>(info.id, "chat " + chat_id);
  {
    std::lock_guard lock(mu_);
    if (shutting_down_ || tracked_.size() >= kMaxTracked) return std::nullopt;
    active_[info.id] = info;
    tracked_[info.id] = task;
  }
  if (board_ != nullptr) board_->Add(info, kAliveFor);
  return task;
}

void TaskRegistry::Finish(const std::string& task_id) {
  {
    std::lock_guard lock(mu_);
    if (tracked_.erase(task_id) == 0) return;
    active_.erase(task_id);
  }
  if (board_ != nullptr) board_->Remove(task_id);
}

bool TaskRegistry::Post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return false;
  posted_.push_back(std::move(fn));
  if (idle_post_workers_ == 0 && post_workers_.size() < kPostWorkers)
    post_workers_.emplace_back([this] { PostWorker(); });
  else
    posted_cv_.notify_one();
  return true;
}

void TaskRegistry::PostWorker() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_post_workers_;
    posted_cv_.wait(lock, [this] { return shutting_down_ || !posted_.empty(); });
    --idle_post_workers_;
    // At shutdown what was posted still runs (it saves answers), then the worker ends.
    if (posted_.empty()) return;
    auto fn = std::move(posted_.front());
    posted_.pop_front();
    lock.unlock();
    try {
      fn();
    } catch (...) {
    }
    lock.lock();
  }
}

std::vector<TaskInfo> TaskRegistry::All() const {
  std::vector<TaskInfo> out;
  std::set<std::string> seen;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, t] : active_) {
      out.push_back(t);
      seen.insert(id);
    }
  }
  if (board_ != nullptr)
    for (auto& t : board_->List())
      if (seen.insert(t.id).second) out.push_back(std::move(t));
  return out;
}

std::vector<std::string> TaskRegistry::List(const std::string& user_id) const {
  std::vector<std::string> out;
  for (const auto& t : All())
    if (user_id.empty() || t.user_id == user_id) out.push_back(t.id);
  return out;
}

std::vector<std::string> TaskRegistry::ListByChat(const std::string& chat_id) const {
  std::vector<std::string> out;
  for (const auto& t : All())
    if (t.chat_id == chat_id) out.push_back(t.id);
  return out;
}

std::optional<std::string> TaskRegistry::OwnerOf(const std::string& task_id) const {
  for (const auto& t : All())
    if (t.id == task_id) return t.user_id;
  return std::nullopt;
}

bool TaskRegistry::StopLocal(const std::string& task_id) {
  if (runner_.Cancel(task_id)) return true;
  std::lock_guard lock(mu_);
  auto it = tracked_.find(task_id);
  if (it == tracked_.end()) return false;
  it->second->Cancel();
  return true;
}

bool TaskRegistry::Stop(const std::string& task_id) {
  if (StopLocal(task_id)) return true;
  if (board_ == nullptr) return false;
  for (const auto& t : board_->List()) {
    if (t.id != task_id) continue;
    board_->RequestStop(task_id);
    return true;
  }
  return false;
}

size_t TaskRegistry::Running() const {
  const size_t threaded = runner_.Running();
  std::lock_guard lock(mu_);
  return threaded + tracked_.size();
}

void TaskRegistry::RefreshLoop() {
  std::unique_lock lock(mu_);
  while (!shutting_down_) {
    wake_.wait_for(lock, kRefreshEvery, [this] { return shutting_down_; });
    if (shutting_down_) break;
    std::vector<TaskInfo> mine;
    for (const auto& [id, t] : active_) mine.push_back(t);
    if (mine.empty()) continue;
    lock.unlock();
    board_->Refresh(mine, kAliveFor);
    lock.lock();
  }
}

void TaskRegistry::Shutdown() {
  bool first = false;
  {
    std::lock_guard lock(mu_);
    first = !shutting_down_;
    shutting_down_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  // Only the first call: the board may be gone by the destructor's.
  if (first && board_ != nullptr) board_->StopListening();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, task] : tracked_) task->Cancel();
    workers.swap(post_workers_);
  }
  posted_cv_.notify_all();
  for (auto& w : workers) w.join();
  runner_.Shutdown();  // cancels every task and joins every thread
}

}  // namespace webui::chat
