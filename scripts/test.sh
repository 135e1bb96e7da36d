#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: gofmt (must list nothing),
# go vet, staticcheck, then every package's tests with the race detector, with
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

# staticcheck 2026.2.2 (v0.8.2) understands Go 1.26 (go.mod's version); CI
# machines start fresh, so install it when it is missing (through the Go
# module proxy, into GOBIN or GOPATH/bin). It exits non-zero on any finding.
STATICCHECK_VERSION=v0.8.2
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin=$(go env GOPATH)/bin
staticcheck=$gobin/staticcheck
if ! "$staticcheck" -version 2>/dev/null | grep -qF "(${STATICCHECK_VERSION#v})"; then
	go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
fi
"$staticcheck" ./...

exec scripts/with-postgres.sh go test -race -count=1 -timeout 30m ./...
