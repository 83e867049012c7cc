#!/usr/bin/env bash
# A throwaway OpenLDAP server for the ldap plugin's tests (plugins/ldap/tests) and for trying the
# module by hand: slapd on loopback with a test CA made at run time, ldap:// (StartTLS too) and
# ldaps://, and a small tree.
#
#   scripts/slapd.sh start DIR    start it with its files in DIR (created; must not hold a running
#                                 slapd); prints the variables the tests read, as `export` lines:
#                                 eval "$(scripts/slapd.sh start /tmp/slapd)"
#   scripts/slapd.sh stop DIR     stop it and remove DIR
#
# Ports: LDAP_PORT / LDAPS_PORT (default: free ports). Needs slapd, ldap-utils and openssl
# (scripts/install-deps.sh). slapd runs as the calling user and only listens on 127.0.0.1.
#
# The tree (suffix dc=example,dc=org, admin cn=admin,dc=example,dc=org / adminpw):
#   cn=svc-webui,dc=example,dc=org  svcpw     the application account the plugin binds as
#   uid=alice,ou=people             alicepw   mail alice@example.org, member of ai-users and
#                                             "R&D, Europe" (memberOf through the memberof overlay)
#   uid=bob,ou=people               bobpw     no mail
#   uid=o'brien+x,ou=people         obrienpw  a name with special characters, mail obrien@example.org
#   cn=ai-users,ou=groups / cn=R&D\, Europe,ou=groups   groupOfNames
# Client certificate checks use the test CA: $DIR/ca.crt (WEBUI_TEST_LDAP_CA); $DIR/other-ca.crt is
# a CA that did not sign the server's certificate (WEBUI_TEST_LDAP_BAD_CA).
set -euo pipefail

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

stop() {
  local dir="$1"
  if [[ -s "$dir/slapd.pid" ]]; then
    local pid
    pid="$(cat "$dir/slapd.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
}

start() {
  local dir="$1"
  if [[ -s "$dir/slapd.pid" ]] && kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; then
    echo "slapd.sh: a slapd from $dir is already running" >&2
    exit 1
  fi
  command -v slapd >/dev/null || [[ -x /usr/sbin/slapd ]] || {
    echo "slapd.sh: slapd is not installed (scripts/install-deps.sh)" >&2
    exit 1
  }
  local slapd=/usr/sbin/slapd
  command -v slapd >/dev/null && slapd="$(command -v slapd)"
  local port="${LDAP_PORT:-$(free_port)}" sport="${LDAPS_PORT:-$(free_port)}"
  rm -rf "$dir"
  mkdir -p "$dir/db"
  dir="$(cd "$dir" && pwd)"

  (
    cd "$dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=webui-test-ca \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=webui-other-ca \
      -keyout other-ca.key -out other-ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout srv.key -out srv.csr 2>/dev/null
    # The IP SAN: libldap checks the name in the URL, and the tests connect to 127.0.0.1.
    echo 'subjectAltName=DNS:localhost,IP:127.0.0.1' >san.ext
    openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile san.ext -out srv.crt 2>/dev/null
    chmod 600 ca.key other-ca.key srv.key
  )

  cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
TLSCACertificateFile $dir/ca.crt
TLSCertificateFile $dir/srv.crt
TLSCertificateKeyFile $dir/srv.key
database mdb
maxsize 16777216
suffix "dc=example,dc=org"
rootdn "cn=admin,dc=example,dc=org"
rootpw $(slappasswd -s adminpw)
directory $dir/db
overlay memberof
CONF
  slaptest -Q -u -f "$dir/slapd.conf"
  # Daemonizes once it listens; writes slapd.pid.
  "$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$sport/" \
    >"$dir/slapd.log" 2>&1
  for _ in $(seq 100); do
    [[ -s "$dir/slapd.pid" ]] && break
    sleep 0.1
  done
  [[ -s "$dir/slapd.pid" ]] || {
    echo "slapd.sh: slapd did not start" >&2
    cat "$dir/slapd.log" >&2
    exit 1
  }

  local url="ldap://127.0.0.1:$port" b="dc=example,dc=org"
  add() {
    printf '%b\n' "$1" | ldapadd -x -H "$url" -D "cn=admin,$b" -w adminpw >/dev/null
  }
  pw() { slappasswd -s "$1"; }
  add "dn: $b\nobjectClass: dcObject\nobjectClass: organization\no: Example"
  add "dn: ou=people,$b\nobjectClass: organizationalUnit\nou: people"
  add "dn: ou=groups,$b\nobjectClass: organizationalUnit\nou: groups"
  add "dn: cn=svc-webui,$b\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: svc-webui\nuserPassword: $(pw svcpw)"
  add "dn: uid=alice,ou=people,$b\nobjectClass: inetOrgPerson\nuid: alice\ncn: Alice Liddell\nsn: Liddell\nmail: alice@example.org\nuserPassword: $(pw alicepw)"
  add "dn: uid=bob,ou=people,$b\nobjectClass: inetOrgPerson\nuid: bob\ncn: Bob Nomail\nsn: Nomail\nuserPassword: $(pw bobpw)"
  add "dn: uid=o'brien\\\\2Bx,ou=people,$b\nobjectClass: inetOrgPerson\nuid: o'brien+x\ncn: Pat O'Brien\nsn: O'Brien\nmail: obrien@example.org\nuserPassword: $(pw obrienpw)"
  add "dn: cn=ai-users,ou=groups,$b\nobjectClass: groupOfNames\ncn: ai-users\nmember: uid=alice,ou=people,$b"
  add "dn: cn=R&D\\\\2C Europe,ou=groups,$b\nobjectClass: groupOfNames\ncn: R&D, Europe\nmember: uid=alice,ou=people,$b"

  cat <<ENV
export WEBUI_TEST_LDAP_URL=ldap://127.0.0.1:$port
export WEBUI_TEST_LDAPS_URL=ldaps://127.0.0.1:$sport
export WEBUI_TEST_LDAP_CA=$dir/ca.crt
export WEBUI_TEST_LDAP_BAD_CA=$dir/other-ca.crt
export WEBUI_TEST_LDAP_DIR=$dir
ENV
}

[[ $# -eq 2 ]] || usage
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
