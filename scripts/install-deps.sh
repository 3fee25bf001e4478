#!/bin/sh
# Install the Debian packages strata needs to build, test and run its demo.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -eu

PKGS="build-essential pkg-config libpq-dev libpg-query-dev libprotobuf-c-dev
nettle-dev libinih-dev libcmocka-dev postgresql-15 postgresql-contrib
pgbouncer perl python3 bsdutils procps"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
