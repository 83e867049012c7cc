# In-tree plugins use the same function as third parties (cmake/WebUIHostPlugin.cmake, installed
# with the SDK), with the in-tree version script.
set_property(GLOBAL PROPERTY WEBUI_HOST_SDK_PLUGIN_MAP ${PROJECT_SOURCE_DIR}/sdk/webui_host_plugin.map)
include(${CMAKE_CURRENT_LIST_DIR}/WebUIHostPlugin.cmake)
# webui_add_module_package(): an optional module's own package (webui-host-mod-<name>).
include(${CMAKE_CURRENT_LIST_DIR}/ModulePackages.cmake)

# webui_add_plugin(<name> SOURCES ... [LIBS ...] [NO_INSTALL]): a shipped plugin — built by
# webui_host_add_plugin into the host's plugin directory of the build, installed with the host.
# An optional module passes NO_INSTALL and calls webui_add_module_package() instead.
function(webui_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "" "SOURCES;LIBS" ${ARGN})
  webui_host_add_plugin(${name} ${P_SOURCES} LIBS ${P_LIBS}
                        OUTPUT_DIRECTORY ${WEBUI_PLUGIN_OUTPUT_DIR})
  if(NOT P_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION lib/webui-host/plugins
            COMPONENT host)
    add_dependencies(webui_product ${name})
  endif()
endfunction()
