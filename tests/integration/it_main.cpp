// main() of the integration binaries that CTest runs a suite at a time (webui_add_suites in
// cmake/Testing.cmake): like gtest_main, but a run where every test was skipped (no backend)
// exits 77, which CTest reports as skipped instead of passed.
#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int rc = RUN_ALL_TESTS();
  const auto* run = ::testing::UnitTest::GetInstance();
  if (rc == 0 && run->successful_test_count() == 0 && run->skipped_test_count() > 0) return 77;
  return rc;
}
