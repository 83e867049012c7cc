# webui_add_plugin(<name> SOURCES ... [LIBS ...]): one shared object per plugin, built against
# the SDK headers alone. Only the entry symbol is exported; undefined symbols fail the link.
function(webui_add_plugin name)
  cmake_parse_arguments(P "NO_INSTALL" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  target_link_libraries(${name} PRIVATE webui_host_sdk ${P_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY ${WEBUI_PLUGIN_OUTPUT_DIR})
  # Only the entry point is exported (see sdk/webui_host_plugin.map).
  target_link_options(${name} PRIVATE -Wl,--no-undefined
    -Wl,--version-script=${PROJECT_SOURCE_DIR}/sdk/webui_host_plugin.map)
  set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${PROJECT_SOURCE_DIR}/sdk/webui_host_plugin.map)
  if(NOT P_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION lib/webui-host/plugins
            COMPONENT host)
    add_dependencies(webui_product ${name})
  endif()
endfunction()
