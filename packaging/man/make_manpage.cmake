# Writes the manual page webui-host(8) (roff, gzip -9n) at build time, from the two texts it must
# never disagree with:
#   host/app/usage.txt      what `webui-host --help` prints (compiled into the binary): the
#                           DESCRIPTION, verbatim, between the markers below
#   docs/configuration.md   the configuration reference: its prose and every `| Variable |
#                           Default | Meaning |` table become the CONFIGURATION section
# tests/packaging/package_lint_test.sh checks that the installed page holds exactly --help.
#
#   cmake -DUSAGE=<usage.txt> -DCONFIG_MD=<configuration.md> -DVERSION=<x.y.z> -DGZIP=<gzip>
#         -DOUTPUT=<dir> -P make_manpage.cmake        → <dir>/webui-host.8 and webui-host.8.gz
cmake_minimum_required(VERSION 3.20)
foreach(_var USAGE CONFIG_MD VERSION GZIP OUTPUT)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "make_manpage.cmake: -D${_var}=... missing")
  endif()
endforeach()

# CMake lists split on ';' and treat '[' ']' specially: hide them while a text is a list of lines.
string(ASCII 1 _semi)
string(ASCII 2 _lbr)
string(ASCII 3 _rbr)
function(_wh_lines text out)
  string(REPLACE ";" "${_semi}" text "${text}")
  string(REPLACE "[" "${_lbr}" text "${text}")
  string(REPLACE "]" "${_rbr}" text "${text}")
  string(REGEX REPLACE "\n$" "" text "${text}")
  string(REPLACE "\n" ";" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# One line of text as roff: backslashes and hyphens escaped, no line read as a request, the few
# non-ASCII signs of the reference as groff glyphs (the page stays ASCII).
function(_wh_roff line out)
  string(REPLACE "${_semi}" ";" line "${line}")
  string(REPLACE "${_lbr}" "[" line "${line}")
  string(REPLACE "${_rbr}" "]" line "${line}")
  string(REPLACE "\\" "\\e" line "${line}")
  string(REPLACE "-" "\\-" line "${line}")
  string(REPLACE "—" "\\(em" line "${line}")
  string(REPLACE "→" "\\(->" line "${line}")
  string(REPLACE "…" "..." line "${line}")
  string(REPLACE "≥" "\\(>=" line "${line}")
  if(line MATCHES "^[.']")
    set(line "\\&${line}")
  endif()
  set(${out} "${line}" PARENT_SCOPE)
endfunction()

# Markdown inline markup the reference uses: `code` and [text](link).
function(_wh_plain line out)
  string(REPLACE "`" "" line "${line}")
  string(REGEX REPLACE "${_lbr}([^${_rbr}]*)${_rbr}\\([^)]*\\)" "\\1" line "${line}")
  string(REGEX REPLACE "^ +" "" line "${line}")
  set(${out} "${line}" PARENT_SCOPE)
endfunction()

set(_page [[.\" Generated at build time by packaging/man/make_manpage.cmake from host/app/usage.txt
.\" (the text of webui-host --help) and docs/configuration.md. Edit those, not this file.
]])
string(APPEND _page ".TH WEBUI\\-HOST 8 \"\" \"webui\\-host ${VERSION}\" \"System Administration\"\n")
string(APPEND _page [[.SH NAME
webui\-host \- Open WebUI\-compatible backend as a C++ plugin host
.SH SYNOPSIS
.B webui\-host
.RB [ \-\-help ]
.RB [ \-\-version ]
.RB [ \-\-check\-config ]
.SH DESCRIPTION
.\" begin --help
.nf
]])
file(READ "${USAGE}" _usage)
_wh_lines("${_usage}" _usage_lines)
foreach(_line IN LISTS _usage_lines)
  _wh_roff("${_line}" _line)
  if(_line STREQUAL "")
    set(_line ".sp")
  endif()
  string(APPEND _page "${_line}\n")
endforeach()
string(APPEND _page [[.fi
.\" end --help
.SH CONFIGURATION
]])

file(READ "${CONFIG_MD}" _config)
_wh_lines("${_config}" _config_lines)
set(_in_paragraph OFF)
foreach(_line IN LISTS _config_lines)
  if(_line MATCHES "^# ")
    continue() # the page title: the section heading above says it
  elseif(_line MATCHES "^## +(.*)$")
    _wh_roff("${CMAKE_MATCH_1}" _heading)
    string(APPEND _page ".SS ${_heading}\n")
    set(_in_paragraph OFF)
  elseif(_line MATCHES "^\\| *Variable *\\|" OR _line MATCHES "^\\|[-|: ]+\\|$")
    continue() # table header and rule
  elseif(_line MATCHES "^\\| *(.*[^ ]) *\\| *(.*[^ ]) *\\| *(.*[^ ]) *\\|$")
    set(_cell_default "${CMAKE_MATCH_2}")
    set(_cell_meaning "${CMAKE_MATCH_3}")
    _wh_plain("${CMAKE_MATCH_1}" _name)
    _wh_plain("${_cell_default}" _default)
    _wh_plain("${_cell_meaning}" _meaning)
    _wh_roff("${_name}" _name)
    _wh_roff("${_default}" _default)
    _wh_roff("${_meaning}" _meaning)
    if(_cell_default STREQUAL "—")
      string(APPEND _page ".TP\n.B ${_name}\n${_meaning}\n")
    else()
      string(APPEND _page ".TP\n.B ${_name}\n${_meaning} (default: ${_default})\n")
    endif()
    set(_in_paragraph OFF)
  elseif(_line STREQUAL "")
    set(_in_paragraph OFF)
  else()
    if(NOT _in_paragraph)
      if(_line MATCHES "^[0-9]+\\. ")
        string(APPEND _page ".IP\n")
      else()
        string(APPEND _page ".PP\n")
      endif()
      set(_in_paragraph ON)
    elseif(_line MATCHES "^[0-9]+\\. ")
      string(APPEND _page ".IP\n")
    endif()
    _wh_plain("${_line}" _line)
    _wh_roff("${_line}" _line)
    string(APPEND _page "${_line}\n")
  endif()
endforeach()

string(APPEND _page [[.SH FILES
.TP
.I /etc/webui\-host/webui\-host.env
the settings of the packaged service, all commented out at first (readable by root and the
group webui\-host only: it may hold passwords and WEBUI_SECRET_KEY)
.TP
.I /usr/lib/systemd/system/webui\-host.service
the systemd unit; it runs the server as the user webui\-host with DATA_DIR=/var/lib/webui\-host
.TP
.I /var/lib/webui\-host
the data directory of the service (SQLite database, uploads)
.TP
.I /usr/lib/webui\-host/plugins
the plugins loaded when WEBUI_PLUGIN_PATH is not set
.SH NOTES
The first account that signs up becomes the administrator: review the env file, then start the
service with
.B systemctl enable \-\-now webui\-host
and sign up at once.
.SH EXIT STATUS
0 after a clean shutdown (SIGTERM, SIGINT) or a passed
.BR \-\-check\-config ;
1 for an invalid configuration; 2 for an unknown argument; 3 when
.B \-\-check\-config
finds a plugin that is refused.
.SH SEE ALSO
.BR systemctl (1),
.BR systemd.exec (5)
]])

file(MAKE_DIRECTORY "${OUTPUT}")
file(WRITE "${OUTPUT}/webui-host.8" "${_page}")
# -n: no name or time stamp in the gzip header, so the package is reproducible (lintian checks it).
execute_process(COMMAND "${GZIP}" -9nc "${OUTPUT}/webui-host.8"
                OUTPUT_FILE "${OUTPUT}/webui-host.8.gz" RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "gzip of the manual page failed: ${_rc}")
endif()
