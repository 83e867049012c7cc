#include "realtime/rooms.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace webui::realtime {
namespace {

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(RoomsTest, JoinLeaveAndMembers) {
  Rooms r;
  r.Join("s1", "user:1");
  r.Join("s2", "user:1");
  r.Join("s1", "s1");
  r.Join("s3", "user:2");
  EXPECT_EQ(Sorted(r.Members("user:1")), (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(Sorted(r.RoomsOf("s1")), (std::vector<std::string>{"s1", "user:1"}));
  EXPECT_TRUE(r.Contains("user:2", "s3"));
  EXPECT_FALSE(r.Contains("user:2", "s1"));
  r.Leave("s2", "user:1");
  EXPECT_EQ(r.Members("user:1"), std::vector<std::string>{"s1"});
  EXPECT_TRUE(r.Members("nobody").empty());
}

TEST(RoomsTest, LeaveAllDropsEmptyRooms) {
  Rooms r;
  r.Join("s1", "user:1");
  r.Join("s1", "s1");
  r.Join("s2", "user:1");
  EXPECT_EQ(r.room_count(), 2u);
  r.LeaveAll("s1");
  EXPECT_EQ(r.room_count(), 1u);  // "s1" is gone, "user:1" still has s2
  EXPECT_TRUE(r.RoomsOf("s1").empty());
  r.LeaveAll("s2");
  EXPECT_EQ(r.room_count(), 0u);
  r.LeaveAll("never-joined");  // harmless
}

TEST(RoomsTest, JoiningTwiceIsIdempotent) {
  Rooms r;
  r.Join("s1", "a");
  r.Join("s1", "a");
  EXPECT_EQ(r.Members("a").size(), 1u);
  r.Leave("s1", "a");
  EXPECT_EQ(r.room_count(), 0u);
}

}  // namespace
}  // namespace webui::realtime
