# Run at install time for a module component (install(CODE) in cmake/ModulePackages.cmake, which
# sets _wh_module, _wh_env_snippet, _wh_sysconfdir and _wh_staging). Places the module's env
# snippet and the systemd drop-in that makes webui-host.service read it:
#   <sysconfdir>/webui-host/modules/<module>.env
#   <prefix>/lib/systemd/system/webui-host.service.d/mod-<module>.conf
# <sysconfdir> follows the GNU rule of cmake/InstallHostFiles.cmake.in: /etc for the prefix /usr
# (packages), else <prefix>/etc, so `cmake --install --prefix /tmp/x` never writes to /etc.

set(_wh_prefix "${CMAKE_INSTALL_PREFIX}")
set(_wh_sysconf "${_wh_sysconfdir}")
if(NOT IS_ABSOLUTE "${_wh_sysconf}")
  if(_wh_prefix STREQUAL "/usr")
    set(_wh_sysconf "/${_wh_sysconf}")
  else()
    set(_wh_sysconf "${_wh_prefix}/${_wh_sysconf}")
  endif()
endif()
set(_wh_env "${_wh_sysconf}/webui-host/modules/${_wh_module}.env")

# One staged copy per destination: cpack and `cmake --install --prefix` may run at once.
string(MD5 _wh_key "$ENV{DESTDIR}|${_wh_prefix}|${_wh_module}")
set(_wh_dropin "${_wh_staging}/${_wh_key}/mod-${_wh_module}.conf")
# Later EnvironmentFile= lines override earlier ones: a module's snippet is read after
# webui-host.env, and holds only the module's own variables.
file(WRITE "${_wh_dropin}"
     "# Installed by webui-host-mod-${_wh_module}: the module's settings (commented out by default)\n"
     "# live in ${_wh_env}.\n"
     "[Service]\n"
     "EnvironmentFile=-${_wh_env}\n")

file(INSTALL DESTINATION "${_wh_sysconf}/webui-host/modules" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${_wh_env_snippet}" RENAME "${_wh_module}.env")
file(INSTALL DESTINATION "${_wh_prefix}/lib/systemd/system/webui-host.service.d" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
     FILES "${_wh_dropin}")
