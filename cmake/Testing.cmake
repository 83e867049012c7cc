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

# webui_add_suites(<target> PREFIX <p> LABEL <label> BACKEND sqlite|postgres [TIMEOUT <s>]):
# one CTest entry per GoogleTest suite of <target>, named "<p><Suite>", running that suite's tests
# in one process. For integration binaries whose fixture starts one webui-host per suite
# (tests/integration/it_support.hpp SharedHostSuite): registered per test case, every case would
# start its own host. The suites are listed when ctest starts, like gtest_discover_tests' PRE_TEST
# mode, so a rebuilt binary's new suites are picked up. Link such a binary with wh_it_main (not
# gtest_main): a suite whose tests were all skipped then shows as skipped.
function(webui_add_suites target)
  cmake_parse_arguments(S "" "PREFIX;LABEL;BACKEND;TIMEOUT" "" ${ARGN})
  if(NOT S_TIMEOUT)
    set(S_TIMEOUT 600)
  endif()
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_${S_BACKEND}_suites.cmake")
  file(GENERATE OUTPUT "${script}" CONTENT
"set(WEBUI_SUITES_EXE \"$<TARGET_FILE:${target}>\")
set(WEBUI_SUITES_PREFIX \"${S_PREFIX}\")
set(WEBUI_SUITES_LABEL \"${S_LABEL}\")
set(WEBUI_SUITES_BACKEND \"${S_BACKEND}\")
set(WEBUI_SUITES_TIMEOUT \"${S_TIMEOUT}\")
set(WEBUI_SUITES_DIR \"${CMAKE_CURRENT_BINARY_DIR}\")
include(\"${PROJECT_SOURCE_DIR}/cmake/RegisterSuites.cmake\")
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
