#!/usr/bin/env bash
# Installs the system packages some tests use, when they are missing and we
# run in CI as root: chromium (the dashboard's browser tests) and
# python3-zxing-cpp (a second barcode decoder for the preview tests; gozxing
# has no PDF417 reader), curl and jq (the API reference's shell examples are
# run as written), libssl-dev (OpenSSL's headers and libcrypto, for the
# `-tags openssl` build test.sh also tests). Elsewhere it only says what is missing: those tests
# then skip, except under CI=true, where they fail.
set -euo pipefail
missing=()
command -v chromium >/dev/null || command -v chromium-browser >/dev/null || missing+=(chromium)
/usr/bin/python3 -c 'import zxingcpp, numpy' 2>/dev/null || missing+=(python3-zxing-cpp python3-numpy)
command -v curl >/dev/null || missing+=(curl)
command -v jq >/dev/null || missing+=(jq)
[ -e /usr/include/openssl/evp.h ] || pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ]; then
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
else
	echo "test-deps.sh: not installed: ${missing[*]} (apt-get install -y ${missing[*]}); their tests skip" >&2
fi
