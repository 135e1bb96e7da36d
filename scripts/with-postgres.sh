#!/usr/bin/env bash
# with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster in a temporary directory on a free
# loopback port, exports WW_TEST_POSTGRES_URL (a superuser DSN), runs CMD and
# always stops the cluster and removes the directory. PostgreSQL refuses to
# run as root, so when run as root the server runs as the `postgres` user.
#
# With CI=true a PostgreSQL that cannot start is a failure; otherwise the
# script warns and runs CMD without the variable (Postgres tests then skip).
set -euo pipefail

if [ $# -eq 0 ]; then
	echo "usage: $0 CMD [ARGS...]" >&2
	exit 2
fi

CMD=("$@")
log() { echo "with-postgres: $*" >&2; }

# unavailable explains why there is no database, then fails (CI) or runs CMD without it.
unavailable() {
	if [ "${CI:-}" = "true" ]; then
		log "ERROR: $1 (CI=true, so this is fatal)"
		exit 1
	fi
	log "WARNING: $1; running without WW_TEST_POSTGRES_URL (PostgreSQL tests will skip)"
	unset WW_TEST_POSTGRES_URL
	set +e
	"${CMD[@]}"
	exit $?
}

find_bindir() {
	local d
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		# /usr/local/bin may hold only symlinks; the real directory also has pg_isready.
		dirname "$(readlink -f "$(command -v initdb)")"
		return 0
	fi
	# Prefer the newest installed major version.
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			echo "$d"
			return 0
		fi
	done
	return 1
}

BINDIR=$(find_bindir || true)
if [ -z "$BINDIR" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	log "PostgreSQL not found; installing it with apt-get"
	if apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; then
		BINDIR=$(find_bindir || true)
	fi
fi
if [ -z "$BINDIR" ]; then
	unavailable "no PostgreSQL binaries (initdb, pg_ctl) found in PATH or /usr/lib/postgresql/*/bin"
fi

# as_pg runs a command as the cluster owner: postgres when we are root, else ourselves.
PGUSER_NAME=$(id -un)
if [ "$(id -u)" = 0 ]; then
	PGUSER_NAME=postgres
	if ! id postgres >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin postgres ||
			unavailable "could not create the postgres user"
	fi
	if command -v runuser >/dev/null 2>&1; then
		as_pg() { runuser -u postgres -- "$@"; }
	else
		as_pg() { setpriv --reuid=postgres --regid="$(id -g postgres)" --init-groups -- "$@"; }
	fi
else
	as_pg() { "$@"; }
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/ww-postgres.XXXXXX") || unavailable "could not create a temporary directory"
PGDATA="$TMP/data"
STARTED=0
cleanup() {
	local rc=$?
	if [ "$STARTED" = 1 ]; then
		as_pg "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" = 0 ]; then
	chown postgres: "$TMP"
fi
chmod 700 "$TMP"

# free_port asks the kernel for an unused loopback port.
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
	else
		echo $((20000 + RANDOM % 20000))
	fi
}

start_cluster() {
	as_pg "$BINDIR/initdb" -D "$PGDATA" -U "$PGUSER_NAME" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		>"$TMP/initdb.log" 2>&1 ||
		as_pg "$BINDIR/initdb" -D "$PGDATA" -U "$PGUSER_NAME" --auth=trust --encoding=UTF8 --no-locale \
			>"$TMP/initdb.log" 2>&1 ||
		{ cat "$TMP/initdb.log" >&2; return 1; }
	local attempt
	for attempt in 1 2 3; do
		PORT=$(free_port)
		STARTED=1
		if as_pg "$BINDIR/pg_ctl" -D "$PGDATA" -l "$TMP/server.log" -w -t 30 start -o \
			"-c listen_addresses=127.0.0.1 -p $PORT -k $TMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=200" \
			>/dev/null 2>&1; then
			return 0
		fi
		STARTED=0
		log "start on port $PORT failed (attempt $attempt)"
		tail -n 20 "$TMP/server.log" >&2 || true
	done
	return 1
}

if ! start_cluster; then
	unavailable "PostgreSQL did not start"
fi

PG_ISREADY="$BINDIR/pg_isready"
[ -x "$PG_ISREADY" ] || PG_ISREADY=$(command -v pg_isready || echo pg_isready)

# pg_ctl -w waits for start-up, but be sure the server accepts TCP connections.
ready=0
for _ in $(seq 1 60); do
	if "$PG_ISREADY" -q -h 127.0.0.1 -p "$PORT" -d postgres -U "$PGUSER_NAME" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.5
done
if [ "$ready" != 1 ]; then
	tail -n 20 "$TMP/server.log" >&2 || true
	as_pg "$BINDIR/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	STARTED=0
	unavailable "PostgreSQL did not accept connections on 127.0.0.1:$PORT within 30 s"
fi

export WW_TEST_POSTGRES_URL="postgres://$PGUSER_NAME@127.0.0.1:$PORT/postgres?sslmode=disable"
log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT; WW_TEST_POSTGRES_URL=$WW_TEST_POSTGRES_URL"
# Not exec: the trap must run after CMD to stop the cluster.
set +e
"$@"
rc=$?
set -e
exit "$rc"
