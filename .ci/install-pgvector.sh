#!/usr/bin/env bash
# Builds pgvector for the machine's PostgreSQL from Debian trixie's source package.
# Debian bookworm ships no pgvector package (see shared/docs/dependencies.md). Idempotent:
# does nothing when the extension control file is already installed.
set -euo pipefail
PGVER=${PGVER:-$(ls /usr/lib/postgresql | sort -n | tail -1)}
PG_CONFIG=/usr/lib/postgresql/$PGVER/bin/pg_config
if [ -f "/usr/share/postgresql/$PGVER/extension/vector.control" ]; then
  echo "pgvector already installed for PostgreSQL $PGVER"
  exit 0
fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" > /tmp/pgv-src.list
O="-o Dir::Etc::sourcelist=/tmp/pgv-src.list -o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists=/tmp/pgv-lists"
mkdir -p /tmp/pgv-lists/partial
work=$(mktemp -d)
cd "$work"
$SUDO apt-get $O update -qq
$SUDO apt-get $O source --download-only pgvector
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "postgresql-server-dev-$PGVER" build-essential
tar xzf pgvector_*.orig.tar.gz
cd pgvector-*/
# OPTFLAGS="" keeps the build portable (no -march=native).
make -s PG_CONFIG="$PG_CONFIG" OPTFLAGS=""
$SUDO make -s install PG_CONFIG="$PG_CONFIG"
rm -rf "$work"
echo "pgvector built and installed for PostgreSQL $PGVER"
