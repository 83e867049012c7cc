# CPack: one package per install component (cmake/Install.cmake), as .deb and .rpm.
#   webui-host      (component host)  the server, its core plugins, env file, systemd unit
#   webui-host-dev  (component sdk)   plugin SDK headers and the WebUIHostSDK CMake package
#   webui-host-mod-<name>  (component mod-<name>)  one optional module each
#                   (webui_add_module_package() in cmake/ModulePackages.cmake)
# From the build dir: `cpack -G DEB` or `cpack -G RPM` (after building everything).

# Who builds the packages: a distributor or a site sets their own address at configure time
# (-DWEBUI_PACKAGE_MAINTAINER="Name <mail>"); it becomes the Debian Maintainer field, the RPM
# Packager tag and the author of the changelog entry.
set(WEBUI_PACKAGE_MAINTAINER "webui-host maintainers <maintainers@webui-host.org>"
    CACHE STRING "Maintainer of the .deb/.rpm packages, as 'Name <address>'")
set(WEBUI_PACKAGE_HOMEPAGE "https://github.com/webui-host/webui-host"
    CACHE STRING "Project home page named by the packages")
if(NOT WEBUI_PACKAGE_MAINTAINER MATCHES "^[^<>]+ <[^<>@ ]+@[^<>@ ]+\\.[^<>@ ]+>$")
  message(FATAL_ERROR "WEBUI_PACKAGE_MAINTAINER must look like 'Name <user@example.org>', "
                      "not '${WEBUI_PACKAGE_MAINTAINER}'")
endif()

set(CPACK_PACKAGE_NAME webui-host)
set(CPACK_PACKAGE_VENDOR "webui-host")
set(CPACK_PACKAGE_CONTACT "${WEBUI_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "${WEBUI_PACKAGE_HOMEPAGE}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
# Packages always install under /usr, whatever CMAKE_INSTALL_PREFIX the build was configured with.
# cpack runs the install with DESTDIR=<staging> and CMAKE_INSTALL_PREFIX=/usr, so the install-time
# logic of cmake/InstallHostFiles.cmake.in sees the real prefix and puts the env file in /etc.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)

# Everything not in these components (e.g. a stray install() without COMPONENT) stays out.
set(CPACK_COMPONENTS_ALL host sdk)
get_property(_wh_modules GLOBAL PROPERTY WEBUI_MODULE_PACKAGES)
foreach(_wh_module IN LISTS _wh_modules)
  list(APPEND CPACK_COMPONENTS_ALL mod-${_wh_module})
endforeach()
set(CPACK_COMPONENT_HOST_DISPLAY_NAME "webui-host server")
set(CPACK_COMPONENT_HOST_DESCRIPTION
    "The webui-host server: speaks the Open WebUI HTTP API, loads its features as plugins.")
set(CPACK_COMPONENT_SDK_DISPLAY_NAME "webui-host plugin SDK")
set(CPACK_COMPONENT_SDK_DESCRIPTION
    "C ABI and header-only C++ SDK to write webui-host plugins; CMake package WebUIHostSDK.")

set(_wh_pkg_dir ${PROJECT_SOURCE_DIR}/packaging)
set(_wh_pkg_build_dir ${CMAKE_BINARY_DIR}/packaging)

# cpack reads this once per generator, before it installs: the install script below learns from
# it whether it stages a .deb (Debian's doc layout) or an .rpm (%license layout).
configure_file(${_wh_pkg_dir}/CPackProjectConfig.cmake.in
               ${_wh_pkg_build_dir}/CPackProjectConfig.cmake @ONLY)
set(CPACK_PROJECT_CONFIG_FILE ${_wh_pkg_build_dir}/CPackProjectConfig.cmake)

# Changelogs (one entry per release, in each distribution's format) and the DEP-5 copyright.
set(WEBUI_DEB_VERSION "${PROJECT_VERSION}-1")
set(WEBUI_RPM_VERSION "${PROJECT_VERSION}-1")
configure_file(${_wh_pkg_dir}/deb/changelog.in ${_wh_pkg_build_dir}/deb/changelog.Debian @ONLY)
configure_file(${_wh_pkg_dir}/rpm/changelog.in ${_wh_pkg_build_dir}/rpm/changelog @ONLY)
configure_file(${_wh_pkg_dir}/copyright ${_wh_pkg_build_dir}/deb/copyright @ONLY)
find_program(WEBUI_GZIP gzip REQUIRED)
# -9n: what Debian policy asks of changelogs (no time stamp: reproducible).
execute_process(COMMAND ${WEBUI_GZIP} -9nc ${_wh_pkg_build_dir}/deb/changelog.Debian
                OUTPUT_FILE ${_wh_pkg_build_dir}/deb/changelog.Debian.gz
                COMMAND_ERROR_IS_FATAL ANY)
# A module package's README: what it is and how an admin turns it on (read by
# cmake/InstallPackageDocs.cmake), and its conffiles list when it ships an env snippet.
foreach(_wh_module IN LISTS _wh_modules)
  get_property(_wh_summary GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_SUMMARY)
  get_property(_wh_description GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_DESCRIPTION)
  get_property(_wh_env GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_ENV)
  set(_wh_readme "webui-host-mod-${_wh_module}: ${_wh_summary}\n\n${_wh_description}\n\n")
  string(APPEND _wh_readme
         "The plugin is in /usr/lib/webui-host/plugins, where webui-host finds it. It is loaded\n"
         "when the service restarts:\n\n  systemctl daemon-reload\n  systemctl restart webui-host\n"
         "  webui-host plugins list        # as the service account, with its environment\n\n"
         "Removing the package takes the plugin away at the next restart; its data stays in the\n"
         "database, and reinstalling the package finds it again.\n")
  if(_wh_env)
    string(APPEND _wh_readme
           "\nIts settings: /etc/webui-host/modules/${_wh_module}.env (all commented out), read by\n"
           "the service through the drop-in\n"
           "/usr/lib/systemd/system/webui-host.service.d/mod-${_wh_module}.conf.\n")
    file(WRITE ${_wh_pkg_build_dir}/deb/mod-${_wh_module}/conffiles
         "/etc/webui-host/modules/${_wh_module}.env\n")
  endif()
  file(WRITE ${_wh_pkg_build_dir}/modules/mod-${_wh_module}/README "${_wh_readme}")
endforeach()

# Per component: the documentation files each package carries (cmake/InstallPackageDocs.cmake).
# A component added to CPACK_COMPONENTS_ALL gets them too (and tests/packaging/
# package_lint_test.sh lints every package cpack makes).
foreach(_wh_component IN LISTS CPACK_COMPONENTS_ALL)
  install(CODE "set(_wh_component ${_wh_component})
set(_wh_pkg_dir \"${_wh_pkg_dir}\")
set(_wh_pkg_build_dir \"${_wh_pkg_build_dir}\")
set(_wh_license \"${PROJECT_SOURCE_DIR}/LICENSE\")

include(\"${PROJECT_SOURCE_DIR}/cmake/InstallPackageDocs.cmake\")"
          COMPONENT ${_wh_component})
endforeach()

# --- Debian ----------------------------------------------------------------------------------
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${WEBUI_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${WEBUI_PACKAGE_HOMEPAGE}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_HOST_PACKAGE_NAME webui-host)
set(CPACK_DEBIAN_HOST_PACKAGE_SECTION web)
# First line: the summary; the rest: the long description (CPack indents it). Lines stay under
# 80 columns (lintian: extended-description-line-too-long).
set(CPACK_DEBIAN_HOST_DESCRIPTION
    "Open WebUI-compatible backend as a C++ plugin host
webui-host serves the HTTP API of Open WebUI from a small C++ core that
loads each feature (auth, chats, models, ...) as a plugin. Data lives in
SQLite or PostgreSQL; Redis is optional. Runs as the systemd service
webui-host, which is not enabled on install: see README.Debian.")
# Library dependencies come from dpkg-shlibdeps (POCO, spdlog, fmt, SQLite, libpq, libstdc++);
# passwd provides useradd for the maintainer scripts, init-system-helpers the deb-systemd-*
# helpers they call (the version debhelper asks for its snippets).
set(CPACK_DEBIAN_HOST_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "passwd, init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_HOST_PACKAGE_SUGGESTS "postgresql (>= 15), redis-server, nginx")
# conffiles: dpkg keeps the admin's edits of the env file across upgrades.
set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_EXTRA
    "${_wh_pkg_dir}/deb/conffiles;${_wh_pkg_dir}/deb/postinst;${_wh_pkg_dir}/deb/prerm;${_wh_pkg_dir}/deb/postrm")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME webui-host-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_SDK_DESCRIPTION
    "plugin SDK for webui-host
The C ABI (webui_host/abi.h), the header-only C++ SDK
(webui_host/sdk.hpp) and the CMake package WebUIHostSDK with
webui_host_add_plugin(), to build plugins for webui-host outside its
source tree.")
set(CPACK_DEBIAN_SDK_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "")
set(CPACK_DEBIAN_SDK_PACKAGE_RECOMMENDS "cmake (>= 3.14), g++ | c++-compiler")
set(CPACK_DEBIAN_SDK_PACKAGE_SUGGESTS "webui-host")

# --- RPM ---------------------------------------------------------------------------------------
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_GROUP "Applications/Internet")
set(CPACK_RPM_PACKAGE_LICENSE "Apache-2.0")
set(CPACK_RPM_PACKAGE_URL "${WEBUI_PACKAGE_HOMEPAGE}")
# CPack writes no Packager tag; rpmbuild fills it from the %packager macro.
set(CPACK_RPM_SPEC_MORE_DEFINE "%define packager ${WEBUI_PACKAGE_MAINTAINER}")
set(CPACK_RPM_CHANGELOG_FILE ${_wh_pkg_build_dir}/rpm/changelog)
# Not relocatable: /etc paths are absolute and cpack installs with DESTDIR.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
# Directories other packages own; listing them in ours would make the packages conflict.
list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
     /lib /lib/systemd /lib/systemd/system /usr/lib/systemd /usr/lib/systemd/system
     /usr/lib/cmake /usr/include /var /var/lib /usr/share/licenses /usr/share/man /usr/share/man/man8)

set(CPACK_RPM_HOST_PACKAGE_NAME webui-host)
set(CPACK_RPM_HOST_PACKAGE_SUMMARY "Open WebUI-compatible backend as a C++ plugin host")
set(CPACK_RPM_HOST_PACKAGE_DESCRIPTION
    "webui-host serves the HTTP API of Open WebUI from a small C++ core that
loads each feature (auth, chats, models, ...) as a plugin. Data lives in
SQLite or PostgreSQL; Redis is optional. Runs as the systemd service
webui-host, which is not enabled on install: see README in its doc dir.")
set(CPACK_RPM_HOST_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_HOST_PRE_INSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/pre.sh)
set(CPACK_RPM_HOST_POST_INSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/post.sh)
set(CPACK_RPM_HOST_PRE_UNINSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/preun.sh)
set(CPACK_RPM_HOST_POST_UNINSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/postun.sh)
# An admin's edits to the env file survive upgrades. It may hold passwords: the directory is
# root:webui-host 0750 (set by the file list, not by a chown in %post), so only root and the
# service read it; the file itself keeps the mode rpmlint expects of a config file.
set(CPACK_RPM_HOST_USER_FILELIST
    "%dir %attr(0750,root,webui-host) /etc/webui-host"
    "%config(noreplace) %attr(0644,root,root) /etc/webui-host/webui-host.env"
    "%license /usr/share/licenses/webui-host/LICENSE")

set(CPACK_RPM_SDK_PACKAGE_NAME webui-host-devel)
set(CPACK_RPM_SDK_PACKAGE_SUMMARY "Plugin SDK for webui-host")
set(CPACK_RPM_SDK_PACKAGE_DESCRIPTION
    "The C ABI, the header-only C++ SDK and the CMake package WebUIHostSDK,
to build plugins for webui-host outside its source tree.")
set(CPACK_RPM_SDK_USER_FILELIST "%license /usr/share/licenses/webui-host-devel/LICENSE")
set(CPACK_RPM_SDK_PACKAGE_ARCHITECTURE noarch)
set(CPACK_RPM_SDK_PACKAGE_GROUP "Development/Libraries")

# --- module packages (cmake/ModulePackages.cmake) ------------------------------------------------
# The core package owns the plugin directory and /etc/webui-host; a module package only adds
# files to them (RPM: a directory in two packages' file lists must agree on its mode and owner).
list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
     /etc/webui-host /usr/lib/webui-host /usr/lib/webui-host/plugins)
list(APPEND CPACK_RPM_HOST_USER_FILELIST "%dir /usr/lib/webui-host" "%dir /usr/lib/webui-host/plugins")
foreach(_wh_module IN LISTS _wh_modules)
  string(TOUPPER "mod-${_wh_module}" _wh_c)
  get_property(_wh_summary GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_SUMMARY)
  get_property(_wh_description GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_DESCRIPTION)
  get_property(_wh_env GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_ENV)
  set(CPACK_DEBIAN_${_wh_c}_PACKAGE_NAME webui-host-mod-${_wh_module})
  set(CPACK_DEBIAN_${_wh_c}_PACKAGE_SECTION web)
  set(CPACK_DEBIAN_${_wh_c}_DESCRIPTION "${_wh_summary}\n${_wh_description}")
  # Its libraries from dpkg-shlibdeps; the host of exactly this build (the plugin ABI and the
  # plugin directory are the host's).
  set(CPACK_DEBIAN_${_wh_c}_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_${_wh_c}_PACKAGE_DEPENDS "webui-host (= ${WEBUI_DEB_VERSION})")
  get_property(_wh_deb_depends GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_DEB_DEPENDS)
  if(_wh_deb_depends)
    string(APPEND CPACK_DEBIAN_${_wh_c}_PACKAGE_DEPENDS ", ${_wh_deb_depends}")
  endif()
  if(_wh_env)
    set(CPACK_DEBIAN_${_wh_c}_PACKAGE_CONTROL_EXTRA ${_wh_pkg_build_dir}/deb/mod-${_wh_module}/conffiles)
  endif()
  set(CPACK_RPM_${_wh_c}_PACKAGE_NAME webui-host-mod-${_wh_module})
  set(CPACK_RPM_${_wh_c}_PACKAGE_SUMMARY "${_wh_summary}")
  set(CPACK_RPM_${_wh_c}_PACKAGE_DESCRIPTION "${_wh_description}")
  # The version without the release: rpmlint's requires-on-release; a rebuild (new release) of
  # the same version has the same plugin ABI and directory.
  set(CPACK_RPM_${_wh_c}_PACKAGE_REQUIRES "webui-host = ${PROJECT_VERSION}")
  set(CPACK_RPM_${_wh_c}_USER_FILELIST "%license /usr/share/licenses/webui-host-mod-${_wh_module}/LICENSE")
  if(_wh_env)
    list(APPEND CPACK_RPM_${_wh_c}_USER_FILELIST "%dir /etc/webui-host/modules"
         "%config(noreplace) /etc/webui-host/modules/${_wh_module}.env")
  endif()
endforeach()

include(CPack)

cpack_add_component(host DISPLAY_NAME "${CPACK_COMPONENT_HOST_DISPLAY_NAME}"
                    DESCRIPTION "${CPACK_COMPONENT_HOST_DESCRIPTION}")
cpack_add_component(sdk DISPLAY_NAME "${CPACK_COMPONENT_SDK_DISPLAY_NAME}"
                    DESCRIPTION "${CPACK_COMPONENT_SDK_DESCRIPTION}")
foreach(_wh_module IN LISTS _wh_modules)
  get_property(_wh_summary GLOBAL PROPERTY WEBUI_MODULE_${_wh_module}_SUMMARY)
  cpack_add_component(mod-${_wh_module} DISPLAY_NAME "webui-host module ${_wh_module}"
                      DESCRIPTION "${_wh_summary}" DEPENDS host)
endforeach()
