#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: gofmt (must list nothing),
# go vet, then every package's tests with the race detector, with
# a throwaway PostgreSQL for the PostgreSQL tests (scripts/with-postgres.sh
# starts and removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v openssl >/dev/null || { echo "test.sh: openssl is needed (apt-get install -y openssl)" >&2; exit 1; }
scripts/test-deps.sh

unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "test.sh: gofmt would change these files (run gofmt -w on them):" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...

exec scripts/with-postgres.sh go test -race -count=1 -timeout 30m ./...
