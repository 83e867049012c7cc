# Optional modules as packages of their own, the way Debian and RPM admins enable nginx's
# libnginx-mod-* or PostgreSQL's extensions: installing webui-host-mod-<name> makes the plugin
# available (after a restart), removing it takes the plugin away and leaves the data in the
# database. Heavy libraries an optional module links stay off servers that do not install it.
#
# webui_add_module_package(<plugin target> NAME <name> SUMMARY <one line> DESCRIPTION <text>
#                          [ENV_SNIPPET <file>] [DEB_DEPENDS <packages>])
#   Puts the plugin's .so into the install component mod-<name>, which cmake/Packaging.cmake
#   turns into webui-host-mod-<name> (.deb: Depends from dpkg-shlibdeps plus
#   `webui-host (= <version>-<release>)`; .rpm: Requires from rpmbuild's dependency generator
#   plus `webui-host = <version>`), with the same copyright/changelog/licence files as every package.
#   The plugin itself is declared with webui_add_plugin(<name> ... NO_INSTALL): it must not also
#   land in the core package.
#   ENV_SNIPPET (config/modules/<name>.env: the module's variables, commented out) is installed as
#   <sysconfdir>/webui-host/modules/<name>.env, a conffile, together with the systemd drop-in
#   lib/systemd/system/webui-host.service.d/mod-<name>.conf that reads it with
#   EnvironmentFile=- (systemd has no glob for EnvironmentFile=, so one drop-in per module).
#   DEB_DEPENDS: what dpkg-shlibdeps cannot see, e.g. a data package the plugin opens at run
#   time (audio: pocketsphinx-en-us, the speech model), a Depends list appended to the .deb's.
#   SUMMARY: capitalised (rpmlint), under 80 columns, no final period. DESCRIPTION: lines under
#   80 columns (lintian).

function(webui_add_module_package target)
  cmake_parse_arguments(M "" "NAME;SUMMARY;DESCRIPTION;ENV_SNIPPET;DEB_DEPENDS" "" ${ARGN})
  if(NOT M_NAME OR NOT M_SUMMARY OR NOT M_DESCRIPTION)
    message(FATAL_ERROR "webui_add_module_package(${target}): NAME, SUMMARY and DESCRIPTION are "
                        "required")
  endif()
  # Debian package names: lower case, digits, '-' (and no '_', which CPack would keep).
  if(NOT M_NAME MATCHES "^[a-z0-9][a-z0-9-]*$")
    message(FATAL_ERROR "webui_add_module_package: module name '${M_NAME}' must match [a-z0-9-]+")
  endif()
  set(component mod-${M_NAME})
  install(TARGETS ${target} LIBRARY DESTINATION lib/webui-host/plugins COMPONENT ${component})
  add_dependencies(webui_product ${target})

  set(has_env OFF)
  if(M_ENV_SNIPPET)
    get_filename_component(snippet "${M_ENV_SNIPPET}" ABSOLUTE)
    if(NOT EXISTS "${snippet}")
      message(FATAL_ERROR "webui_add_module_package(${M_NAME}): no env snippet ${snippet}")
    endif()
    set(has_env ON)
    # The paths depend on the prefix of the install (cpack: /usr, so /etc), not of the build.
    install(CODE "set(_wh_module \"${M_NAME}\")
set(_wh_env_snippet \"${snippet}\")
set(_wh_sysconfdir \"${CMAKE_INSTALL_SYSCONFDIR}\")
set(_wh_staging \"${CMAKE_BINARY_DIR}/packaging/modules\")
include(\"${PROJECT_SOURCE_DIR}/cmake/InstallModuleFiles.cmake\")"
            COMPONENT ${component})
  endif()

  set_property(GLOBAL APPEND PROPERTY WEBUI_MODULE_PACKAGES ${M_NAME})
  set_property(GLOBAL PROPERTY WEBUI_MODULE_${M_NAME}_SUMMARY "${M_SUMMARY}")
  set_property(GLOBAL PROPERTY WEBUI_MODULE_${M_NAME}_DESCRIPTION "${M_DESCRIPTION}")
  set_property(GLOBAL PROPERTY WEBUI_MODULE_${M_NAME}_ENV ${has_env})
  set_property(GLOBAL PROPERTY WEBUI_MODULE_${M_NAME}_DEB_DEPENDS "${M_DEB_DEPENDS}")
endfunction()
