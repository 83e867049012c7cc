#!/usr/bin/env bash
# What a distribution reviewer runs on the packages: cpack builds every .deb and .rpm of this
# build dir, then
#   - lintian on each .deb: no error and no warning (a warning we accept is overridden, with its
#     reason, in packaging/deb/<pkg>.lintian-overrides, which the package installs);
#   - rpmlint on each .rpm with packaging/rpm/rpmlint.toml: 0 errors, 0 warnings (accepted
#     warnings are filtered there, each with its reason);
#   - the licence, changelog, maintainer, home page and first-steps note in each format;
#   - the installed manual page webui-host(8) holds exactly what `webui-host --help` prints and
#     renders without a groff warning.
# Every package found is checked, so packages added later (more components) are covered too.
#   package_lint_test.sh <source dir> <build dir>
set -euo pipefail
src="$(cd "$1" && pwd)"
build="$(cd "$2" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for tool in dpkg-deb lintian rpmbuild rpmlint man; do
  command -v "$tool" >/dev/null || skip "$tool not installed (scripts/install-deps.sh installs it)"
done
setup_work_dir
cd "$work"

maintainer="$(sed -n 's/^WEBUI_PACKAGE_MAINTAINER:STRING=//p' "$build/CMakeCache.txt")"
homepage="$(sed -n 's/^WEBUI_PACKAGE_HOMEPAGE:STRING=//p' "$build/CMakeCache.txt")"
[[ -n "$maintainer" && -n "$homepage" ]] || fail "no WEBUI_PACKAGE_MAINTAINER/HOMEPAGE in the cache"

for gen in DEB RPM; do
  cpack -G "$gen" --config "$build/CPackConfig.cmake" -B "$work/pkgs" >"$work/cpack-$gen.log" 2>&1 ||
    fail "cpack -G $gen: $(tail -30 "$work/cpack-$gen.log")"
done
mapfile -t debs < <(find "$work/pkgs" -maxdepth 1 -name '*.deb' | sort)
mapfile -t rpms < <(find "$work/pkgs" -maxdepth 1 -name '*.rpm' | sort)
[[ ${#debs[@]} -ge 2 ]] || fail "expected at least 2 .deb, got: $(ls "$work/pkgs")"
[[ ${#rpms[@]} -ge 2 ]] || fail "expected at least 2 .rpm, got: $(ls "$work/pkgs")"

# --- lintian ------------------------------------------------------------------------------------
for deb in "${debs[@]}"; do
  name="$(dpkg-deb -f "$deb" Package)"
  # --fail-on error,warning: a warning fails like an error (overridden tags are not reported).
  if ! lintian --fail-on error,warning --tag-display-limit 0 "$deb" \
    >"$work/lintian-$name.log" 2>&1; then
    fail "lintian $name: $(head -40 "$work/lintian-$name.log")"
  fi
  ! grep -Eq '^[EW]: ' "$work/lintian-$name.log" || fail "lintian $name: $(cat "$work/lintian-$name.log")"
  echo "lintian $name: 0 errors, 0 warnings"

  [[ "$(dpkg-deb -f "$deb" Maintainer)" == "$maintainer" ]] || fail "$name: Maintainer is not $maintainer"
  [[ "$(dpkg-deb -f "$deb" Homepage)" == "$homepage" ]] || fail "$name: Homepage is not $homepage"
  files="$(dpkg-deb -c "$deb" | awk '{print $6}')"
  for f in copyright changelog.Debian.gz; do
    grep -xF "./usr/share/doc/$name/$f" <<<"$files" >/dev/null || fail "$name lacks /usr/share/doc/$name/$f"
  done
  root="$work/deb-$name"
  dpkg-deb -x "$deb" "$root"
  grep -x 'License: Apache-2.0' "$root/usr/share/doc/$name/copyright" >/dev/null || fail "$name: copyright not Apache-2.0"
  # Every binary package carries the changelog of the source package, webui-host.
  zcat "$root/usr/share/doc/$name/changelog.Debian.gz" | sed -n 1p |
    grep -F "webui-host ($(dpkg-deb -f "$deb" Version))" >/dev/null ||
    fail "$name: changelog does not start with this version"
done

# --- rpmlint ------------------------------------------------------------------------------------
for rpm in "${rpms[@]}"; do
  name="$(rpm -qp --qf '%{NAME}' "$rpm" 2>/dev/null)"
  rpmlint -c "$src/packaging/rpm/rpmlint.toml" "$rpm" >"$work/rpmlint-$name.log" 2>&1 || true
  summary="$(grep -E '[0-9]+ errors?, [0-9]+ warnings?' "$work/rpmlint-$name.log" | tail -1)"
  [[ "$summary" =~ ([0-9]+)\ errors?,\ ([0-9]+)\ warnings? ]] ||
    fail "rpmlint $name: no summary: $(tail -20 "$work/rpmlint-$name.log")"
  [[ "${BASH_REMATCH[1]}" -eq 0 && "${BASH_REMATCH[2]}" -eq 0 ]] ||
    fail "rpmlint $name: $(cat "$work/rpmlint-$name.log")"
  echo "rpmlint $name: $summary"

  tags="$(rpm -qp --qf '%{LICENSE}|%{URL}|%{PACKAGER}' "$rpm" 2>/dev/null)"
  [[ "$tags" == "Apache-2.0|$homepage|$maintainer" ]] || fail "$name: License|URL|Packager = $tags"
  rpm -qp --changelog "$rpm" 2>/dev/null | grep -F "$maintainer" >/dev/null || fail "$name: no %changelog entry"
  rpm -qpL "$rpm" 2>/dev/null | grep -x "/usr/share/licenses/$name/LICENSE" >/dev/null ||
    fail "$name: LICENSE is not a %license file"
done

# --- the manual page is --help plus the configuration reference ----------------------------------
host_deb="$(find "$work/pkgs" -maxdepth 1 -name 'webui-host_*.deb' -print -quit)"
root="$work/deb-webui-host"
[[ -n "$host_deb" && -d "$root" ]] || fail "no webui-host .deb"
page="$root/usr/share/man/man8/webui-host.8.gz"
[[ -f "$page" ]] || fail "webui-host.deb has no /usr/share/man/man8/webui-host.8.gz"
[[ -f "$root/usr/share/doc/webui-host/README.Debian" ]] || fail "webui-host.deb has no README.Debian"
host_rpm="$(find "$work/pkgs" -maxdepth 1 -name 'webui-host-[0-9]*.rpm' -print -quit)"
rpm -qpl "$host_rpm" 2>/dev/null | grep -x /usr/share/man/man8/webui-host.8.gz >/dev/null ||
  fail "webui-host.rpm has no man page"
rpm -qpd "$host_rpm" 2>/dev/null | grep -x /usr/share/doc/webui-host/README >/dev/null ||
  fail "webui-host.rpm has no first-steps README"

"$root/usr/bin/webui-host" --help >"$work/help.txt" || fail "webui-host --help failed"
# The DESCRIPTION between the markers, roff escapes undone (make_manpage.cmake's inverse).
zcat "$page" | sed -n '/^\.\\" begin --help$/,/^\.\\" end --help$/p' | sed '1,2d;$d' | sed '$d' |
  sed -e 's/^\.sp$//' -e 's/^\\&//' -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$work/man-help.txt"
[[ -s "$work/man-help.txt" ]] || fail "man page has no --help block"
diff -u "$work/help.txt" "$work/man-help.txt" >&2 || fail "man page and --help differ"
# Every variable of the configuration reference is in the page.
while read -r var; do
  zcat "$page" | grep -xF ".B ${var//-/\\-}" >/dev/null || fail "man page lacks $var"
done < <(grep -oE '^\| `[A-Z_0-9]+`' "$src/docs/configuration.md" | tr -d '|` ')
warnings="$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null)"
[[ -z "$warnings" ]] || fail "groff warnings in the man page: $warnings"
echo "man page: --help block identical, $(grep -cE '^\| `[A-Z_0-9]+`' "$src/docs/configuration.md") variables"

echo "PASS: lintian and rpmlint clean, man page matches --help"
