#include "task_board.hpp"

#include <webui_host/sdk/json.hpp>

#include <algorithm>
#include <set>
#include <thread>

#include "chat_logic.hpp"

namespace webui::chat {
namespace {

constexpr const char* kIndexKey = "chat:tasks";
constexpr const char* kLockKey = "chat:tasks:lock";
constexpr const char* kStopChannel = "chat:tasks:stop";
constexpr std::chrono::milliseconds kLockTtl{2000};
constexpr std::chrono::milliseconds kLockWait{1000};

std::string TaskKey(const std::string& id) { return "chat:task:" + id; }

std::string Encode(const TaskInfo& t) {
  return Dump(json{{"id", t.id}, {"chat_id", t.chat_id}, {"user_id", t.user_id}});
}

}  // namespace

void KvTaskBoard::Warn(const std::string& what, const std::exception& e) {
  host_.Warn("chat tasks: " + what +
             " failed (listing and stopping from other instances may "
             "miss tasks): " +
             e.what());
}

std::vector<std::string> KvTaskBoard::ReadIndex() {
  std::vector<std::string> ids;
  auto text = host_.KvGet(kIndexKey);
  if (!text) return ids;
  auto parsed = sdk::json::Parse(*text);
  if (!parsed || !parsed->is_array()) return ids;
  for (const auto& v : *parsed)
    if (v.is_string()) ids.push_back(v.get<std::string>());
  return ids;
}

void KvTaskBoard::EditIndex(const std::function<void(std::vector<std::string>&)>& change) {
  const auto until = std::chrono::steady_clock::now() + kLockWait;
  bool locked = false;
  while (!(locked = host_.KvIncr(kLockKey, 1, kLockTtl.count()) == 1) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  try {
    std::vector<std::string> ids = ReadIndex();
    change(ids);
    host_.KvSet(kIndexKey, Dump(json(ids)));
  } catch (...) {
    if (locked) host_.KvDel(kLockKey);
    throw;
  }
  if (locked) host_.KvDel(kLockKey);
}

void KvTaskBoard::Add(const TaskInfo& task, std::chrono::milliseconds alive_for) {
  try {
    host_.KvSet(TaskKey(task.id), Encode(task), alive_for.count());
    EditIndex([&](std::vector<std::string>& ids) {
      if (std::find(ids.begin(), ids.end(), task.id) == ids.end()) ids.push_back(task.id);
    });
  } catch (const std::exception& e) {
    Warn("announcing a task", e);
  }
}

void KvTaskBoard::Remove(const std::string& task_id) {
  try {
    host_.KvDel(TaskKey(task_id));
    EditIndex([&](std::vector<std::string>& ids) {
      ids.erase(std::remove(ids.begin(), ids.end(), task_id), ids.end());
    });
  } catch (const std::exception& e) {
    Warn("removing a task", e);
  }
}

void KvTaskBoard::Refresh(const std::vector<TaskInfo>& tasks, std::chrono::milliseconds alive_for) {
  try {
    for (const auto& t : tasks) host_.KvSet(TaskKey(t.id), Encode(t), alive_for.count());
    const auto listed = ReadIndex();
    std::vector<std::string> missing;
    for (const auto& t : tasks)
      if (std::find(listed.begin(), listed.end(), t.id) == listed.end()) missing.push_back(t.id);
    if (missing.empty()) return;
    EditIndex([&](std::vector<std::string>& ids) {
      for (const auto& id : missing)
        if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
    });
  } catch (const std::exception& e) {
    Warn("refreshing tasks", e);
  }
}

std::vector<TaskInfo> KvTaskBoard::List() {
  std::vector<TaskInfo> out;
  try {
    std::set<std::string> gone;
    for (const auto& id : ReadIndex()) {
      auto text = host_.KvGet(TaskKey(id));
      auto v = text ? sdk::json::Parse(*text) : std::nullopt;
      if (!v || !v->is_object()) {
        gone.insert(id);  // finished, or its instance died and stopped refreshing it
        continue;
      }
      out.push_back({id, v->value("chat_id", ""), v->value("user_id", "")});
    }
    if (!gone.empty())
      EditIndex([&](std::vector<std::string>& ids) {
        ids.erase(std::remove_if(ids.begin(), ids.end(),
                                 [&](const std::string& id) { return gone.count(id) > 0; }),
                  ids.end());
      });
  } catch (const std::exception& e) {
    Warn("listing tasks", e);
  }
  return out;
}

void KvTaskBoard::RequestStop(const std::string& task_id) {
  try {
    host_.Publish(kStopChannel, task_id);
  } catch (const std::exception& e) {
    Warn("asking other instances to stop a task", e);
  }
}

void KvTaskBoard::Listen(std::function<void(const std::string& task_id)> on_stop) {
  try {
    const uint64_t id = host_.Subscribe(
        kStopChannel, [on_stop = std::move(on_stop)](std::string_view, std::string_view message) {
          on_stop(std::string(message));
        });
    std::lock_guard lock(mu_);
    subscription_ = id;
  } catch (const std::exception& e) {
    Warn("subscribing to stop requests", e);
  }
}

void KvTaskBoard::StopListening() {
  uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    std::swap(id, subscription_);
  }
  if (id != 0) host_.Unsubscribe(id);
}

}  // namespace webui::chat
