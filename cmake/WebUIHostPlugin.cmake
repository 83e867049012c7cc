# webui_host_add_plugin: the one way every webui-host plugin is built — the shipped ones
# (plugins/*), the test plugins and a third party's, out of tree, against the installed SDK
# (WebUIHostSDKConfig.cmake includes this same file).
#
#   webui_host_add_plugin(<target> <source>...
#                         [LIBS <lib>...] [DEFINITIONS <def>...]
#                         [OUTPUT_NAME <name>] [OUTPUT_DIRECTORY <dir>]
#                         [SDK <target>|NONE] [NO_VERSION_SCRIPT] [ALLOW_UNDEFINED])
#
# A plugin is one shared object (MODULE) named exactly <name>.so (OUTPUT_NAME, default the
# target) that exports one symbol, webui_host_plugin_entry: hidden visibility plus a version
# script (which also hides what the C++ standard headers would export). --no-undefined turns a
# missing symbol into a link error here instead of a refused plugin in production. The host hands
# every service over as function pointers, so a plugin links against no host library.
#   SDK               the headers target (default WebUIHost::sdk; NONE: the sources bring their
#                     own, e.g. tests/abi's frozen ABI 1.0 headers)
#   NO_VERSION_SCRIPT, ALLOW_UNDEFINED
#                     only for test plugins that must be broken on purpose (tests/plugins bad/)
#
# The version script's path is the global property WEBUI_HOST_SDK_PLUGIN_MAP, set by whoever
# includes this file (in a global property: the function may be called from a scope that cannot
# see the variables of the directory that included it).
function(webui_host_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 _wh "NO_VERSION_SCRIPT;ALLOW_UNDEFINED"
                        "OUTPUT_NAME;OUTPUT_DIRECTORY;SDK" "LIBS;DEFINITIONS")
  if(NOT _wh_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "webui_host_add_plugin(${name}): no source files given")
  endif()
  if(NOT _wh_SDK)
    set(_wh_SDK WebUIHost::sdk)
  elseif(_wh_SDK STREQUAL "NONE")
    set(_wh_SDK "")
  endif()
  add_library(${name} MODULE ${_wh_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE ${_wh_SDK} ${_wh_LIBS})
  if(_wh_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${_wh_DEFINITIONS})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(_wh_OUTPUT_NAME)
    set_target_properties(${name} PROPERTIES OUTPUT_NAME ${_wh_OUTPUT_NAME})
  endif()
  if(_wh_OUTPUT_DIRECTORY)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${_wh_OUTPUT_DIRECTORY})
  endif()
  # clang links the sanitizer runtimes into executables only, so a sanitized shared object leaves
  # the __asan_*/__ubsan_* symbols for the host binary to provide: --no-undefined cannot hold
  # there (the gcc and release builds still check it).
  if(NOT _wh_ALLOW_UNDEFINED AND NOT (WEBUI_SANITIZE AND CMAKE_CXX_COMPILER_ID MATCHES "Clang"))
    target_link_options(${name} PRIVATE -Wl,--no-undefined)
  endif()
  if(NOT _wh_NO_VERSION_SCRIPT)
    get_property(_map GLOBAL PROPERTY WEBUI_HOST_SDK_PLUGIN_MAP)
    if(NOT _map)
      message(FATAL_ERROR "webui_host_add_plugin: WEBUI_HOST_SDK_PLUGIN_MAP is not set")
    endif()
    target_link_options(${name} PRIVATE "-Wl,--version-script=${_map}")
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS "${_map}")
  endif()
endfunction()
