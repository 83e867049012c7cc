// The TaskBoard over the host's key-value store (Redis when configured, shared by every
// instance; else in-process). Keys, under the host's REDIS_KEY_PREFIX:
//   chat:task:<id>     {"id","chat_id","user_id"}, expiring unless its instance refreshes it
//   chat:tasks         JSON array of the ids above (entries whose key expired are pruned)
//   chat:tasks:lock    a short-lived counter serialising read-modify-writes of chat:tasks
// and the pub/sub channel chat:tasks:stop carrying the id of a task to cancel.
#pragma once

#include <webui_host/sdk.hpp>

#include <mutex>

#include "tasks.hpp"

namespace webui::chat {

class KvTaskBoard : public TaskBoard {
 public:
  explicit KvTaskBoard(sdk::Host& host) : host_(host) {}
  void Add(const TaskInfo& task, std::chrono::milliseconds alive_for) override;
  void Remove(const std::string& task_id) override;
  void Refresh(const std::vector<TaskInfo>& tasks, std::chrono::milliseconds alive_for) override;
  std::vector<TaskInfo> List() override;
  void RequestStop(const std::string& task_id) override;
  void Listen(std::function<void(const std::string& task_id)> on_stop) override;
  void StopListening() override;

 private:
  // Applies `change` to the id list under the lock key (best effort: after a second without
  // the lock it goes ahead, a lost update only hides a task until its next refresh).
  void EditIndex(const std::function<void(std::vector<std::string>&)>& change);
  std::vector<std::string> ReadIndex();
  void Warn(const std::string& what, const std::exception& e);

  sdk::Host& host_;
  std::mutex mu_;
  uint64_t subscription_ = 0;
};

}  // namespace webui::chat
