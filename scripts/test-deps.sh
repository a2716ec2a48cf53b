#!/bin/sh
# Installs the Debian packages the test suite starts for real: the keychain
# daemon under a private D-Bus session, PostgreSQL, MariaDB, Redis and openssl
# (for generating test certificates). `npm test` runs this first. As root with
# apt-get it installs what is missing; otherwise it prints the install line
# and stops, so a missing server fails loudly instead of skipping tests.
set -eu

packages="gnome-keyring libsecret-tools dbus dbus-x11 postgresql mariadb-server redis-server openssl procps"

missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # policy-rc.d stops the packages' own services from starting: the tests
  # start every server themselves, in temporary folders on random ports.
  # An existing policy-rc.d is the machine's own: leave it alone.
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  status=0
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || status=$?
  [ -n "$own_policy" ] && rm -f /usr/sbin/policy-rc.d
  if [ "$status" != 0 ]; then
    echo "test-deps: apt-get install failed (exit $status)" >&2
    exit 1
  fi
  exit 0
fi

echo "test-deps: the test suite needs these Debian packages:$missing" >&2
echo "install them with:" >&2
echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
exit 1
