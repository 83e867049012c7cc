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
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
  if(NOT P_NO_INSTALL)
    install(TARGETS ${name} LIBRARY DESTINATION lib/webui-host/plugins
            COMPONENT host)
  endif()
endfunction()
