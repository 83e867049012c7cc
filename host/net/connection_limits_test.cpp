#include "net/connection_limits.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace webui::net {
namespace {

TEST(ConnectionLimits, CapsPerAddressAndGivesPlacesBack) {
  ConnectionLimits limits(0, 2);
  auto a1 = limits.TryAdmit("10.0.0.1");
  auto a2 = limits.TryAdmit("10.0.0.1");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(limits.TryAdmit("10.0.0.1"));
  EXPECT_TRUE(limits.TryAdmit("10.0.0.2"));  // another address is not affected
  a1.reset();
  EXPECT_EQ(limits.from("10.0.0.1"), 1u);
  EXPECT_TRUE(limits.TryAdmit("10.0.0.1"));
}

TEST(ConnectionLimits, CapsTheTotal) {
  ConnectionLimits limits(2, 0);
  auto a = limits.TryAdmit("a");
  auto b = limits.TryAdmit("b");
  EXPECT_FALSE(limits.TryAdmit("c"));
  EXPECT_EQ(limits.total(), 2u);
  b.reset();
  EXPECT_TRUE(limits.TryAdmit("c"));
}

TEST(ConnectionLimits, ZeroMeansNoCap) {
  ConnectionLimits limits(0, 0);
  std::vector<std::unique_ptr<ConnectionLimits::Slot>> slots;
  for (int i = 0; i < 5000; ++i) slots.push_back(limits.TryAdmit("same"));
  for (const auto& s : slots) EXPECT_TRUE(s);
  slots.clear();
  EXPECT_EQ(limits.total(), 0u);
  EXPECT_EQ(limits.from("same"), 0u);
}

}  // namespace
}  // namespace webui::net
