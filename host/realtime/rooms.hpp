// Room membership of Socket.IO sockets (by Socket.IO sid). Not thread-safe: the server guards it.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace webui::realtime {

class Rooms {
 public:
  void Join(const std::string& sid, const std::string& room);
  void Leave(const std::string& sid, const std::string& room);
  void LeaveAll(const std::string& sid);
  std::vector<std::string> Members(const std::string& room) const;
  std::vector<std::string> RoomsOf(const std::string& sid) const;
  bool Contains(const std::string& room, const std::string& sid) const;
  std::size_t room_count() const { return rooms_.size(); }

 private:
  std::unordered_map<std::string, std::unordered_set<std::string>> rooms_;   // room -> sids
  std::unordered_map<std::string, std::unordered_set<std::string>> by_sid_;  // sid -> rooms
};

}  // namespace webui::realtime
