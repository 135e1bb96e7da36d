#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: gofmt (must list nothing),
# go vet, staticcheck, then every package's tests with the race detector, with
# a throwaway PostgreSQL for the PostgreSQL tests (scripts/with-postgres.sh
# starts and removes it); then the suite again on the faster build
# (`-tags openssl`: RSA signatures through OpenSSL's libcrypto), without the
# race detector to keep CI's time down: that build differs from the default
# only in the one private-key operation, whose concurrency the race run
# already covers.
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
# The faster build needs libcrypto's headers (libssl-dev); test-deps.sh
# installs them in CI. Elsewhere its run is skipped with a warning.
openssl_build=true
if ! [ -e /usr/include/openssl/evp.h ] && ! pkg-config --exists libcrypto 2>/dev/null; then
	[ "${CI:-}" = true ] && { echo "test.sh: libssl-dev is missing (CI=true)" >&2; exit 1; }
	echo "test.sh: WARNING: no OpenSSL headers (apt-get install -y libssl-dev): skipping the -tags openssl run" >&2
	openssl_build=false
fi
if $openssl_build; then go vet -tags openssl ./...; fi

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

# Tests that build the binary themselves inherit the tags through GOFLAGS.
openssl_flags="$(go env GOFLAGS) -tags=openssl"
exec scripts/with-postgres.sh bash -c '
	set -e
	go test -race -count=1 -timeout 30m ./...
	if '"$openssl_build"'; then
		echo "test.sh: the suite again with -tags openssl (signer: OpenSSL libcrypto)"
		GOFLAGS="'"$openssl_flags"'" go test -count=1 -timeout 30m ./...
	fi'

