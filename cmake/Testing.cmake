find_package(GTest REQUIRED)
include(GoogleTest)

# webui_add_test(<name> SOURCES ... LIBS ... [LABELS ...]): a GoogleTest binary registered with
# CTest, one CTest entry per test case.
function(webui_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
endfunction()
