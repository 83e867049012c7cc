# Run at install time for each component (install(CODE) in cmake/Packaging.cmake, which sets
# _wh_component, _wh_pkg_dir, _wh_pkg_build_dir and _wh_license). Places the documentation each
# package carries, in the layout of the package format cpack is building:
#   .deb  /usr/share/doc/<pkg>/{copyright (DEP-5), changelog.Debian.gz, README.Debian | sdk.md
#         | README (a module)},
#         /usr/share/lintian/overrides/<pkg> (packaging/deb/<pkg>.lintian-overrides, or for a
#         module packaging/deb/module.lintian-overrides.in)
#   .rpm, and `cmake --install`
#         <prefix>/share/licenses/<pkg>/LICENSE (%license),
#         <prefix>/share/doc/<pkg>/{README | sdk.md | README (a module)}
# The generator comes from packaging/CPackProjectConfig.cmake.in (empty for `cmake --install`).
set(_wh_generator "$ENV{WEBUI_CPACK_GENERATOR}")
# The SDK's guide is the -dev/-devel package's documentation.
set(_wh_sdk_guide "${_wh_pkg_dir}/../docs/sdk.md")
set(_wh_share "${CMAKE_INSTALL_PREFIX}/share")
# A module's README, written by cmake/Packaging.cmake from its SUMMARY and DESCRIPTION.
set(_wh_module_readme "${_wh_pkg_build_dir}/modules/${_wh_component}/README")

if(_wh_component STREQUAL "host")
  set(_wh_deb_name webui-host)
  set(_wh_rpm_name webui-host)
elseif(_wh_component STREQUAL "sdk")
  set(_wh_deb_name webui-host-dev)
  set(_wh_rpm_name webui-host-devel)
else() # e.g. the module packages: CPACK_DEBIAN_<C>_PACKAGE_NAME = webui-host-<component>
  set(_wh_deb_name webui-host-${_wh_component})
  set(_wh_rpm_name webui-host-${_wh_component})
endif()

if(_wh_generator STREQUAL "DEB")
  set(_wh_doc "${_wh_share}/doc/${_wh_deb_name}")
  file(INSTALL DESTINATION "${_wh_doc}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${_wh_pkg_build_dir}/deb/copyright" "${_wh_pkg_build_dir}/deb/changelog.Debian.gz")
  if(_wh_component STREQUAL "host")
    file(INSTALL DESTINATION "${_wh_doc}" TYPE FILE RENAME README.Debian
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${_wh_pkg_dir}/README.first-steps")
  elseif(_wh_component STREQUAL "sdk")
    file(INSTALL DESTINATION "${_wh_doc}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${_wh_sdk_guide}")
  elseif(EXISTS "${_wh_module_readme}")
    file(INSTALL DESTINATION "${_wh_doc}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${_wh_module_readme}")
  endif()
  set(_wh_overrides "${_wh_pkg_dir}/deb/${_wh_deb_name}.lintian-overrides")
  if(_wh_component MATCHES "^mod-")
    # The same overrides for every module package, under its own name.
    file(READ "${_wh_pkg_dir}/deb/module.lintian-overrides.in" _wh_text)
    string(REPLACE "@PACKAGE@" "${_wh_deb_name}" _wh_text "${_wh_text}")
    set(_wh_overrides "${_wh_pkg_build_dir}/deb/${_wh_component}/${_wh_deb_name}.lintian-overrides")
    file(WRITE "${_wh_overrides}" "${_wh_text}")
  endif()
  if(EXISTS "${_wh_overrides}")
    file(INSTALL DESTINATION "${_wh_share}/lintian/overrides" TYPE FILE
         RENAME "${_wh_deb_name}"
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${_wh_overrides}")
  endif()
else()
  file(INSTALL DESTINATION "${_wh_share}/licenses/${_wh_rpm_name}" TYPE FILE
       PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
       FILES "${_wh_license}")
  if(_wh_component STREQUAL "host")
    file(INSTALL DESTINATION "${_wh_share}/doc/${_wh_rpm_name}" TYPE FILE RENAME README
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES "${_wh_pkg_dir}/README.first-steps")
  elseif(_wh_component STREQUAL "sdk")
    file(INSTALL DESTINATION "${_wh_share}/doc/${_wh_rpm_name}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${_wh_sdk_guide}")
  elseif(EXISTS "${_wh_module_readme}")
    file(INSTALL DESTINATION "${_wh_share}/doc/${_wh_rpm_name}" TYPE FILE
         PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES "${_wh_module_readme}")
  endif()
endif()
