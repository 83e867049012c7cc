# CPack: one package per install component (cmake/Install.cmake), as .deb and .rpm.
#   webui-host      (component host)  the server, its plugins, env file, systemd unit
#   webui-host-dev  (component sdk)   plugin SDK headers and the WebUIHostSDK CMake package
# From the build dir: `cpack -G DEB` or `cpack -G RPM` (after building everything).

set(CPACK_PACKAGE_NAME webui-host)
set(CPACK_PACKAGE_VENDOR "webui-host")
set(CPACK_PACKAGE_CONTACT "webui-host maintainers <webui-host@localhost>")
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
set(CPACK_COMPONENT_HOST_DISPLAY_NAME "webui-host server")
set(CPACK_COMPONENT_HOST_DESCRIPTION
    "The webui-host server: speaks the Open WebUI HTTP API, loads its features as plugins.")
set(CPACK_COMPONENT_SDK_DISPLAY_NAME "webui-host plugin SDK")
set(CPACK_COMPONENT_SDK_DESCRIPTION
    "C ABI and header-only C++ SDK to write webui-host plugins; CMake package WebUIHostSDK.")

set(_wh_pkg_dir ${PROJECT_SOURCE_DIR}/packaging)

# --- Debian ----------------------------------------------------------------------------------
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_HOST_PACKAGE_NAME webui-host)
set(CPACK_DEBIAN_HOST_PACKAGE_SECTION web)
# First line: the summary; the rest: the long description (CPack indents it).
set(CPACK_DEBIAN_HOST_DESCRIPTION
    "Open WebUI-compatible backend as a C++ plugin host
webui-host serves the HTTP API of Open WebUI from a small C++ core that loads each feature
(auth, chats, models, ...) as a plugin. Data lives in SQLite or PostgreSQL; Redis is
optional. Runs as the systemd service webui-host (not started on install).")
# Library dependencies come from dpkg-shlibdeps (POCO, spdlog, fmt, SQLite, libpq, libstdc++);
# passwd provides useradd for the maintainer scripts.
set(CPACK_DEBIAN_HOST_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_HOST_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_HOST_PACKAGE_SUGGESTS "postgresql (>= 15), redis-server, nginx")
# conffiles: dpkg keeps the admin's edits of the env file across upgrades.
set(CPACK_DEBIAN_HOST_PACKAGE_CONTROL_EXTRA
    "${_wh_pkg_dir}/deb/conffiles;${_wh_pkg_dir}/deb/postinst;${_wh_pkg_dir}/deb/prerm;${_wh_pkg_dir}/deb/postrm")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME webui-host-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_SDK_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_SDK_DESCRIPTION
    "plugin SDK for webui-host
The C ABI (webui_host/abi.h), the header-only C++ SDK (webui_host/sdk.hpp) and the
CMake package WebUIHostSDK with webui_host_add_plugin(), to build plugins for
webui-host outside its source tree.")
set(CPACK_DEBIAN_SDK_PACKAGE_SHLIBDEPS OFF)
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS "")
set(CPACK_DEBIAN_SDK_PACKAGE_RECOMMENDS "cmake (>= 3.14), g++ | c++-compiler")
set(CPACK_DEBIAN_SDK_PACKAGE_SUGGESTS "webui-host")

# --- RPM ---------------------------------------------------------------------------------------
set(CPACK_RPM_COMPONENT_INSTALL ON)
set(CPACK_RPM_FILE_NAME RPM-DEFAULT)
set(CPACK_RPM_PACKAGE_RELEASE 1)
set(CPACK_RPM_PACKAGE_GROUP "Applications/Internet")
# Not relocatable: /etc paths are absolute and cpack installs with DESTDIR.
set(CPACK_PACKAGE_RELOCATABLE OFF)
set(CPACK_RPM_PACKAGE_RELOCATABLE OFF)
# Directories other packages own; listing them in ours would make the packages conflict.
list(APPEND CPACK_RPM_EXCLUDE_FROM_AUTO_FILELIST_ADDITION
     /lib /lib/systemd /lib/systemd/system /usr/lib/systemd /usr/lib/systemd/system
     /usr/lib/cmake /usr/include /var /var/lib)

set(CPACK_RPM_HOST_PACKAGE_NAME webui-host)
set(CPACK_RPM_HOST_PACKAGE_SUMMARY "Open WebUI-compatible backend as a C++ plugin host")
set(CPACK_RPM_HOST_PACKAGE_DESCRIPTION
    "webui-host serves the HTTP API of Open WebUI from a small C++ core that loads each feature
as a plugin. Data lives in SQLite or PostgreSQL; Redis is optional.")
set(CPACK_RPM_HOST_PACKAGE_REQUIRES_PRE "shadow-utils")
set(CPACK_RPM_HOST_PRE_INSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/pre.sh)
set(CPACK_RPM_HOST_POST_INSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/post.sh)
set(CPACK_RPM_HOST_PRE_UNINSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/preun.sh)
set(CPACK_RPM_HOST_POST_UNINSTALL_SCRIPT_FILE ${_wh_pkg_dir}/rpm/postun.sh)
# An admin's edits to the env file survive upgrades.
set(CPACK_RPM_HOST_USER_FILELIST "%config(noreplace) /etc/webui-host/webui-host.env")

set(CPACK_RPM_SDK_PACKAGE_NAME webui-host-devel)
set(CPACK_RPM_SDK_PACKAGE_SUMMARY "webui-host plugin SDK")
set(CPACK_RPM_SDK_PACKAGE_DESCRIPTION
    "C ABI, header-only C++ SDK and the CMake package WebUIHostSDK to build webui-host plugins.")
set(CPACK_RPM_SDK_PACKAGE_ARCHITECTURE noarch)
set(CPACK_RPM_SDK_PACKAGE_GROUP "Development/Libraries")

include(CPack)

cpack_add_component(host DISPLAY_NAME "${CPACK_COMPONENT_HOST_DISPLAY_NAME}"
                    DESCRIPTION "${CPACK_COMPONENT_HOST_DESCRIPTION}")
cpack_add_component(sdk DISPLAY_NAME "${CPACK_COMPONENT_SDK_DISPLAY_NAME}"
                    DESCRIPTION "${CPACK_COMPONENT_SDK_DESCRIPTION}")
