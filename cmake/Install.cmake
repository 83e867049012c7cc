# Install rules, in two components (cmake/Packaging.cmake makes one package of each):
#
#   host  bin/webui-host                               (host/app/CMakeLists.txt)
#         lib/webui-host/plugins/*.so                  (cmake/Plugin.cmake)
#         <sysconfdir>/webui-host/webui-host.env       (documented defaults, all commented out)
#         lib/systemd/system/webui-host.service
#   sdk   include/webui_host/*.h, *.hpp
#         lib/cmake/WebUIHostSDK/                      (find_package(WebUIHostSDK 1))
#
# <sysconfdir> follows GNU rules at *install* time: /etc for the prefix /usr (packages), else
# <prefix>/etc. That way `cmake --install build --prefix /tmp/x` never writes to the real /etc,
# and cpack (prefix /usr) ships /etc/webui-host/webui-host.env.

include(CMakePackageConfigHelpers)

# The SDK package is versioned by the plugin ABI, not by the host release: a plugin asks for
# find_package(WebUIHostSDK 1) and loads into every host of ABI major 1.
file(STRINGS ${PROJECT_SOURCE_DIR}/sdk/include/webui_host/abi.h _wh_abi_lines
     REGEX "^#define WH_ABI_(MAJOR|MINOR) +[0-9]+")
foreach(_line IN LISTS _wh_abi_lines)
  if(_line MATCHES "WH_ABI_(MAJOR|MINOR) +([0-9]+)")
    set(WEBUI_ABI_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
  endif()
endforeach()
if(NOT DEFINED WEBUI_ABI_MAJOR OR NOT DEFINED WEBUI_ABI_MINOR)
  message(FATAL_ERROR "cannot read WH_ABI_MAJOR/WH_ABI_MINOR from sdk/include/webui_host/abi.h")
endif()
set(WEBUI_ABI_VERSION ${WEBUI_ABI_MAJOR}.${WEBUI_ABI_MINOR})

# Plugins go here, relative to the prefix; the host's default WEBUI_PLUGIN_PATH is
# <dir of the executable>/../lib/webui-host/plugins, i.e. the same place.
set(WEBUI_PLUGIN_INSTALL_DIR lib/webui-host/plugins)
set(WEBUI_SDK_CMAKE_DIR lib/cmake/WebUIHostSDK)

# --- host ------------------------------------------------------------------------------------
# bin/webui-host is installed by host/app/CMakeLists.txt, the plugins by cmake/Plugin.cmake.

# The env file and the unit name absolute paths that depend on the prefix in effect at install
# time, so a script placed by install(SCRIPT) writes them.
configure_file(${PROJECT_SOURCE_DIR}/cmake/InstallHostFiles.cmake.in
               ${CMAKE_BINARY_DIR}/packaging/InstallHostFiles.cmake @ONLY)
install(SCRIPT ${CMAKE_BINARY_DIR}/packaging/InstallHostFiles.cmake COMPONENT host)

# --- sdk ---------------------------------------------------------------------------------------
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/webui_host
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT sdk
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

# The in-tree target webui_host_sdk (alias WebUIHost::sdk) becomes the imported WebUIHost::sdk.
set_target_properties(webui_host_sdk PROPERTIES EXPORT_NAME sdk)
install(TARGETS webui_host_sdk EXPORT WebUIHostSDKTargets COMPONENT sdk)
install(EXPORT WebUIHostSDKTargets
        NAMESPACE WebUIHost::
        DESTINATION ${WEBUI_SDK_CMAKE_DIR}
        COMPONENT sdk)

configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/WebUIHostSDKConfig.cmake.in
  ${CMAKE_BINARY_DIR}/sdk/WebUIHostSDKConfig.cmake
  INSTALL_DESTINATION ${WEBUI_SDK_CMAKE_DIR}
  NO_SET_AND_CHECK_MACRO)
# SameMajorVersion: find_package(WebUIHostSDK 1.N) accepts ABI 1.M for every M >= N, and never
# ABI 2.x. Headers only, so any architecture.
write_basic_package_version_file(
  ${CMAKE_BINARY_DIR}/sdk/WebUIHostSDKConfigVersion.cmake
  VERSION ${WEBUI_ABI_VERSION}
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)
# Linker version script for webui_host_add_plugin(): hidden visibility alone still exports the
# template instantiations and function-local statics of libstdc++ headers (namespace std has
# default visibility), and the STB_GNU_UNIQUE ones make a .so impossible to unload. This keeps the
# entry point global and demotes everything else to local.
install(FILES
          ${CMAKE_BINARY_DIR}/sdk/WebUIHostSDKConfig.cmake
          ${CMAKE_BINARY_DIR}/sdk/WebUIHostSDKConfigVersion.cmake
          ${PROJECT_SOURCE_DIR}/sdk/webui_host_plugin.map
          ${PROJECT_SOURCE_DIR}/cmake/WebUIHostPlugin.cmake
        DESTINATION ${WEBUI_SDK_CMAKE_DIR}
        COMPONENT sdk)
