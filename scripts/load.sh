#!/usr/bin/env bash
# Load run against a real server on loopback: builds the binary, starts
# `walletwallet serve` on a throwaway data folder (SQLite by default; set
# WW_DATABASE_URL for PostgreSQL), and drives it with cmd/wwload.
#   scripts/load.sh [N] [CONCURRENCIES...]     e.g. scripts/load.sh 3000 1 8 32
#   MODE=put scripts/load.sh 2000 8            changed PUTs to one pass
#   MODE=get scripts/load.sh 20000 8           cached GET /v1/passes
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}; shift || true
concs=("$@"); [ ${#concs[@]} -gt 0 ] || concs=(1 8 32)
mode=${MODE:-post}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; rm -rf "$tmp"' EXIT
go build -o "$tmp/walletwallet" ./cmd/walletwallet
go build -o "$tmp/wwload" ./cmd/wwload
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export WW_DATA_DIR="$tmp/data" WW_ADDR="127.0.0.1:$port" WW_PUBLIC_URL="https://passes.example.test" WW_LOG_LEVEL=warn
export WW_APNS_URL="https://127.0.0.1:1"   # no devices register in a load run: nothing is pushed
# Admin commands never create a database (only serve and migrate do).
"$tmp/walletwallet" migrate 2>/dev/null
key=$("$tmp/walletwallet" accounts create --plan pro --monthly-limit 1000000000 2>/dev/null)
"$tmp/walletwallet" serve 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), db=${WW_DATABASE_URL:-sqlite}"
for c in "${concs[@]}"; do
  "$tmp/wwload" -url "http://127.0.0.1:$port" -key "$key" -mode "$mode" -c "$c" -n "$n"
done
