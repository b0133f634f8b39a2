#!/usr/bin/env bash
# Load curve of osaudit-server with its embedded store: for each host count,
# a fresh server (serve --dev, no dev agent) and bench/agentsim on this
# machine; prints hosts vs requests/s, worst p99 and CPU, and keeps each
# run's JSON report.
#   bench/load-curve.sh [HOSTS...]          (default: 1000 5000 10000 15000 20000)
#   RAMP=60s DURATION=120s OUT=DIR bench/load-curve.sh 20000
# Target (issue 4): 20,000 hosts, p99 < 250 ms on every endpoint, no errors.
# Where hosts share connections (wait_p99 > 0), latencies leave out the wait
# for the other host's request on the connection.
set -euo pipefail
cd "$(dirname "$0")/.."
hosts=("$@")
[ ${#hosts[@]} -eq 0 ] && hosts=(1000 5000 10000 15000 20000)
ramp=${RAMP:-60s}
duration=${DURATION:-120s}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
# One keep-alive connection per simulated host on each side, as osqueryd
# keeps, where the open-files limit allows; past it, two hosts share one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ "$nofile" -le 4096 ]; then
	echo "load-curve: the open-files limit ($nofile) is too low; raise it above 4096" >&2
	exit 1
fi
go build -trimpath -o "$out/osaudit-server" ./cmd/osaudit-server
go build -trimpath -o "$out/agentsim" ./bench/agentsim
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
printf '%7s %5s %9s %10s %9s %9s %7s %9s %9s %9s %9s %9s  %s\n' hosts conns req/s lines/s p99_read p99_max errors srv_cpu% srv_rssMB gen_cpu% lag_p99 wait_p99 worst
run=0
for n in "${hosts[@]}"; do
	run=$((run + 1))
	tag="$n-$run" # a repeated host count keeps each run's files
	data="$out/data-$tag"
	rm -rf "$data"
	"$out/osaudit-server" serve --dev --dev_agent=false --data_dir "$data" --listen 127.0.0.1:0 --log_level error \
		>"$out/server-$tag.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -s "$data/dev-credentials.json" ] && break; sleep 0.1; done
	hpc=$(( (n + nofile - 2048 - 1) / (nofile - 2048) ))
	"$out/agentsim" --dev_credentials "$data/dev-credentials.json" --hosts "$n" --hosts_per_conn "$hpc" --ramp "$ramp" --duration "$duration" \
		--server_pid "$pid" --progress 0 --json "$out/agentsim-$tag.json" >"$out/agentsim-$tag.txt"
	kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
	sleep 5 # the last server's sockets close
	python3 - "$out/agentsim-$tag.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ep = r['endpoints']
worst = max(ep, key=lambda k: ep[k].get('p99_ms', 0)) if ep else '-'
print('%7d %5d %9.0f %10.0f %9.1f %9.1f %7d %9.0f %9.0f %9.0f %9.1f %9.1f  %s (%d requests)' % (r['hosts'], r['connections'], r['requests_per_second'], r['result_lines_per_second'],
      ep.get('distributed_read', {}).get('p99_ms', 0), r['p99_max_ms'], r['errors'], r['server']['cpu_percent'],
      r['server']['rss_mb_median'], r['generator']['cpu_percent'], r['generator_lag_p99_ms'],
      r.get('shared_connection_wait_p99_ms', 0), worst, ep.get(worst, {}).get('requests', 0)))
PY
	rm -rf "$data"
done
echo "reports in $out"
