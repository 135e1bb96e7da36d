#!/usr/bin/env bash
# Load run against a real server on loopback: builds the binary, starts
# `walletwallet serve` on a throwaway data folder (SQLite by default; set
# WW_DATABASE_URL for PostgreSQL), and drives it with cmd/wwload.
#   scripts/load.sh [N] [CONCURRENCIES...]     e.g. scripts/load.sh 3000 1 8 32
#   MODE=put scripts/load.sh 2000 8            changed PUTs to one pass (PASSES=K: to K passes in turn)
#   MODE=get scripts/load.sh 20000 8           cached GET /v1/passes
#   MODE=ratio scripts/load.sh [N] [C]         issue 16's figure in one run (default 3000 at c=8):
#       the pure-Go RSA-2048 ceiling (signatures/s on every core, same build), the POST rate and
#       p99 at concurrency C, the ceiling again, the ratio POST/ceiling (mean of the two ceilings)
#       and the server's peak RSS (VmHWM). The default build is the static pure-Go one
#       (CGO_ENABLED=0). FAST=1 repeats the POST run with the OpenSSL build (-tags openssl) in
#       the same run and prints its rate, its own signer's ceiling and the speed-up.
#       SIGNS=N sets the signatures per ceiling measurement (default 2000). RUNS=N repeats the
#       whole measurement N times (the builds in turn) and prints the medians. The summary also
#       gives the CPU each POST cost the server and the load tool (from /proc and getrusage), the
#       BUDGET line (a signature's CPU, the CPU a POST spends outside it, what 70 % would allow, and
#       how busy the cores were) and, before each load, what a commit's writes and fsync cost on the
#       data folder's disk (wwload -mode disk).
#   PROFILE=SECONDS (any mode) takes a CPU profile of the server one second into each load run,
#       through WW_PPROF_ADDR, into load-NAME.cpu.prof here: go tool pprof -top load-default.cpu.prof
#       CLIENT=std drives the server with net/http's client instead of wwload's minimal
#       keep-alive HTTP/1.1 client (the default, -client raw), which costs ~0.1 ms of CPU a
#       request against net/http's ~0.3 ms.
# The load tool runs on the same cores as the server: the ratio is what this measures.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-}; shift || true
concs=("$@")
mode=${MODE:-post}
if [ "$mode" = ratio ]; then
	n=${n:-3000}
	[ ${#concs[@]} -gt 0 ] || concs=(8)
else
	n=${n:-2000}
	[ ${#concs[@]} -gt 0 ] || concs=(1 8 32)
fi
runs=${RUNS:-1}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
	echo "load.sh: RUNS must be a whole number of rounds, 1 or more (got '$runs')" >&2
	exit 2
fi
tmp=$(mktemp -d)
pid=
stop_server() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

# build NAME [GO BUILD FLAGS...]: the server and the load tool, with the same flags, into $tmp/NAME.
build() {
	local name=$1; shift
	mkdir -p "$tmp/$name"
	go build "$@" -o "$tmp/$name/walletwallet" ./cmd/walletwallet
	go build "$@" -o "$tmp/$name/wwload" ./cmd/wwload
}

# start_server NAME: a fresh data folder and account; sets pid, port and key.
start_server() {
	local bin=$tmp/$1/walletwallet
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	rm -rf "$tmp/data"
	export WW_DATA_DIR="$tmp/data" WW_ADDR="127.0.0.1:$port" WW_PUBLIC_URL="https://passes.example.test" WW_LOG_LEVEL=warn
	export WW_APNS_URL="https://127.0.0.1:1" # no devices register in a load run: nothing is pushed
	if [ -n "${PROFILE:-}" ]; then
		pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
		export WW_PPROF_ADDR="127.0.0.1:$pport"
	fi
	# Admin commands never create a database (only serve and migrate do).
	"$bin" migrate 2>/dev/null
	key=$("$bin" accounts create --plan pro --monthly-limit 1000000000 2>/dev/null)
	"$bin" serve 2>"$tmp/serve-$1.log" &
	pid=$!
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return 0; sleep 0.1; done
	echo "load.sh: the server did not answer /healthz; its log:" >&2
	cat "$tmp/serve-$1.log" >&2
	exit 1
}

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<<"$2" | tr -d 'a-z/'; }

# profile NAME: with PROFILE set, a CPU profile of the running server, taken in the background
# one second from now (sets prof_pid); profile_wait waits for it after the load.
prof_pid=
profile() {
	[ -n "${PROFILE:-}" ] || return 0
	(sleep 1; curl -sf -o "load-$1.cpu.prof" "http://$WW_PPROF_ADDR/debug/pprof/profile?seconds=$PROFILE" &&
		echo "load.sh: CPU profile of the server in load-$1.cpu.prof") &
	prof_pid=$!
}
profile_wait() {
	if [ -n "$prof_pid" ]; then wait "$prof_pid" || echo "load.sh: the profile failed" >&2; prof_pid=; fi
}

# cpu_ticks PID: user+system CPU time of a process so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# timed CMD...: runs CMD, then prints its user+system CPU seconds on stderr as "cpu=S".
timed() { python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:]).returncode
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"cpu={u.ru_utime + u.ru_stime:.3f}", file=sys.stderr)
sys.exit(r)' "$@"; }

echo "# $(date -u '+%F %H:%M') UTC, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg), db=${WW_DATABASE_URL:-sqlite}"

if [ "$mode" != ratio ]; then
	build default
	start_server default
	for c in "${concs[@]}"; do
		profile "default-c$c"
		"$tmp/default/wwload" -url "http://127.0.0.1:$port" -key "$key" -mode "$mode" -c "$c" -n "$n" -passes "${PASSES:-1}" -client "${CLIENT:-raw}"
		profile_wait
	done
	exit 0
fi

# ratio_run NAME SIGNER: ceiling, POST load, ceiling, peak RSS; sets post_rate and prints a summary.
ratio_run() {
	local name=$1 signer=$2 c=${concs[0]} before after load hwm
	start_server "$name"
	"$tmp/$name/wwload" -mode disk -dir "$tmp/data" -n 300
	before=$("$tmp/$name/wwload" -mode sign -signer "$signer" -n "${SIGNS:-2000}")
	echo "$before"
	profile "$name"
	local t0; t0=$(cpu_ticks "$pid")
	load=$(timed "$tmp/$name/wwload" -url "http://127.0.0.1:$port" -key "$key" -mode post -c "$c" -n "$n" -client "${CLIENT:-raw}" 2>"$tmp/load.err") ||
		{ cat "$tmp/load.err" >&2; exit 1; }
	profile_wait
	echo "$load"
	local server_ms load_ms
	server_ms=$(python3 -c "print(f'{($(cpu_ticks "$pid") - $t0) * 1000 / $(getconf CLK_TCK) / $n:.2f}')")
	load_ms=$(python3 -c "print(f'{float(\"$(sed -n 's/^cpu=//p' "$tmp/load.err")\") * 1000 / $n:.2f}')")
	echo "CPU per POST: server ${server_ms} ms, load tool ${load_ms} ms (client=${CLIENT:-raw})"
	hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	after=$("$tmp/$name/wwload" -mode sign -signer "$signer" -n "${SIGNS:-2000}")
	echo "$after"
	stop_server
	post_rate=$(field throughput "$load")
	local summary
	summary=$(python3 - "$name" "$post_rate" "$(field throughput "$before")" "$(field throughput "$after")" "$(field p99 "$load")" "$hwm" "$c" \
		"$server_ms" "$load_ms" <<'PY'
import os, sys
name, rate, b, a, p99, hwm, c = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
server_ms, load_ms = float(sys.argv[8]), float(sys.argv[9])
ceil = (a + b) / 2
print(f"RESULT build={name} c={c} post={rate:.1f}/s ceiling={ceil:.1f} signs/s ratio={100*rate/ceil:.1f}% "
      f"p99={p99:.2f}ms server-VmHWM={hwm/1024:.1f}MB load-average={os.getloadavg()[0]:.2f}")
# The CPU budget behind the ratio: a signature costs cores/ceiling of CPU,
# so the ratio is that over the CPU a POST costs (server and load tool, who
# share the cores) times the share of the cores that was busy. 70 % with
# the cores fully busy leaves cores/(0.7 ceiling) - signature for the rest.
cores = os.cpu_count()
sign_ms = 1000 * cores / ceil
per_post = server_ms + load_ms
print(f"BUDGET signature={sign_ms:.2f}ms outside-signature={per_post - sign_ms:.2f}ms per POST "
      f"(70 % allows {1000 * cores / (0.7 * ceil) - sign_ms:.2f}ms) cores-busy={100 * per_post * rate / 1000 / cores:.0f}%")
if abs(a - b) > 0.1 * ceil:
    print(f"WARNING: the two ceilings differ by {100*abs(a-b)/ceil:.0f} %: something else used the cores; "
          "the ratio is not meaningful, run again on an idle machine")
PY
)
	echo "$summary"
	last_ratio=$(sed -n 's/.* ratio=\([0-9.]*\)%.*/\1/p' <<<"$summary")
}

CGO_ENABLED=0 build default
if [ "${FAST:-}" = 1 ]; then build openssl -tags openssl; fi
# RUNS=N repeats the whole measurement N times, the builds in turn, and ends
# with the median of the rounds: on a shared machine one round can be off
# by 10 % either way, and a median of rounds taken in turn is what holds.
ratios=() speedups=()
for round in $(seq "$runs"); do
	if [ "$runs" -gt 1 ]; then echo "# round $round of $runs"; fi
	ratio_run default go
	default_rate=$post_rate
	ratios+=("$last_ratio")
	if [ "${FAST:-}" = 1 ]; then
		ratio_run openssl build
		speedup=$(python3 -c "print(f'{$post_rate / $default_rate:.2f}')")
		echo "RESULT openssl/default POST rate = ${speedup}x"
		speedups+=("$speedup")
	fi
done
if [ "$runs" -gt 1 ]; then
	python3 - "${ratios[*]}" "${speedups[*]:-}" <<'PY'
import statistics, sys
ratios = [float(x) for x in sys.argv[1].split()]
line = f"SUMMARY rounds={len(ratios)} default ratio median={statistics.median(ratios):.1f}% (min {min(ratios):.1f}, max {max(ratios):.1f})"
if sys.argv[2].strip():
    s = [float(x) for x in sys.argv[2].split()]
    line += f", openssl/default median={statistics.median(s):.2f}x (min {min(s):.2f}, max {max(s):.2f})"
print(line)
PY
fi
