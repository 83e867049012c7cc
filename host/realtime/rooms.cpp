#include "realtime/rooms.hpp"

namespace webui::realtime {

void Rooms::Join(const std::string& sid, const std::string& room) {
  rooms_[room].insert(sid);
  by_sid_[sid].insert(room);
}

void Rooms::Leave(const std::string& sid, const std::string& room) {
  if (auto it = rooms_.find(room); it != rooms_.end()) {
    it->second.erase(sid);
    if (it->second.empty()) rooms_.erase(it);  // empty rooms must not accumulate
  }
  if (auto it = by_sid_.find(sid); it != by_sid_.end()) {
    it->second.erase(room);
    if (it->second.empty()) by_sid_.erase(it);
  }
}

void Rooms::LeaveAll(const std::string& sid) {
  auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) return;
  for (const auto& room : it->second) {
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      r->second.erase(sid);
      if (r->second.empty()) rooms_.erase(r);
    }
  }
  by_sid_.erase(it);
}

std::vector<std::string> Rooms::Members(const std::string& room) const {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<std::string> Rooms::RoomsOf(const std::string& sid) const {
  auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool Rooms::Contains(const std::string& room, const std::string& sid) const {
  auto it = rooms_.find(room);
  return it != rooms_.end() && it->second.count(sid) > 0;
}

}  // namespace webui::realtime
