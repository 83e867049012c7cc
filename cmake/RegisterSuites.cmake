# Run by ctest at start-up (see webui_add_suites in cmake/Testing.cmake): lists the GoogleTest
# suites of WEBUI_SUITES_EXE and registers one test per suite.
if(NOT EXISTS "${WEBUI_SUITES_EXE}")
  add_test("${WEBUI_SUITES_PREFIX}NOT_BUILT" "${WEBUI_SUITES_EXE}")
  return()
endif()
execute_process(COMMAND "${WEBUI_SUITES_EXE}" --gtest_list_tests
  OUTPUT_VARIABLE listing RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  add_test("${WEBUI_SUITES_PREFIX}LIST_FAILED" "${WEBUI_SUITES_EXE}" --gtest_list_tests)
  return()
endif()
string(REPLACE "\n" ";" lines "${listing}")
foreach(line IN LISTS lines)
  # Suite lines start in column 0 and end with "."; test lines are indented.
  if(line MATCHES "^([A-Za-z_][A-Za-z0-9_/]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    if(suite MATCHES "^DISABLED_")
      continue()
    endif()
    string(REPLACE "/" "_" name "${suite}")
    set(test "${WEBUI_SUITES_PREFIX}${name}")
    add_test("${test}" "${WEBUI_SUITES_EXE}" "--gtest_filter=${suite}.*")
    set_tests_properties("${test}" PROPERTIES
      LABELS "${WEBUI_SUITES_LABEL}"
      ENVIRONMENT "WEBUI_IT_BACKEND=${WEBUI_SUITES_BACKEND}"
      TIMEOUT "${WEBUI_SUITES_TIMEOUT}"
      WORKING_DIRECTORY "${WEBUI_SUITES_DIR}"
      SKIP_RETURN_CODE 77)
  endif()
endforeach()
