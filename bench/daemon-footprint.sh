#!/usr/bin/env bash
# Footprint of `osaudit daemon` (watcher + worker) with 10 queries every 60 s
# over this machine's tables: peak and median resident memory, average CPU.
#   bench/daemon-footprint.sh [SECONDS]   (default 600: the issue's 10 minutes)
# Targets: resident memory of watcher plus worker <= 40 MB, CPU <= 1% of one core.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
tmp=$(mktemp -d)
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
CGO_ENABLED=0 go build -trimpath -o "$tmp/osaudit" ./cmd/osaudit
cat >"$tmp/osquery.conf" <<'CONF'
{
  "options": {"schedule_splay_percent": 10},
  "schedule": {
    "processes": {"query": "SELECT pid, name, path, cmdline, on_disk, uid, parent FROM processes", "interval": 60},
    "listening_ports": {"query": "SELECT p.name, l.port, l.address FROM listening_ports l JOIN processes p USING (pid)", "interval": 60},
    "users": {"query": "SELECT * FROM users", "interval": 60},
    "groups": {"query": "SELECT * FROM groups", "interval": 60},
    "mounts": {"query": "SELECT * FROM mounts", "interval": 60},
    "kernel": {"query": "SELECT * FROM kernel_info", "interval": 60},
    "open_sockets": {"query": "SELECT pid, remote_address, remote_port FROM process_open_sockets WHERE remote_port != 0", "interval": 60},
    "crontab": {"query": "SELECT * FROM crontab", "interval": 60},
    "deb_packages": {"query": "SELECT name, version FROM deb_packages", "interval": 60},
    "etc_hosts": {"query": "SELECT * FROM etc_hosts", "interval": 60}
  }
}
CONF
"$tmp/osaudit" daemon --config_path="$tmp/osquery.conf" --logger_path="$tmp/logs" --database_path="$tmp/db" \
  --pidfile="$tmp/pid" --disable_events=true --watchdog_delay=5 >"$tmp/out" 2>&1 &
pid=$!
python3 - "$pid" "$secs" <<'PY'
import os, sys, time, statistics
root, secs = int(sys.argv[1]), int(sys.argv[2])
tick = os.sysconf("SC_CLK_TCK")
def tree():
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                f = open(f"/proc/{p}/stat").read()
                kids.setdefault(int(f.rsplit(")", 1)[1].split()[1]), []).append(int(p))
            except OSError:
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop(); out.append(p); todo += kids.get(p, [])
    return out
def sample():
    rss, cpu = 0, 0
    for p in tree():
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            cpu += int(f[11]) + int(f[12])
            for l in open(f"/proc/{p}/status"):
                if l.startswith("VmRSS:"):
                    rss += int(l.split()[1])
        except OSError:
            pass
    return rss, cpu
time.sleep(5)  # start-up
rss0, cpu0 = sample(); t0 = time.time(); rs = [rss0]
while time.time() - t0 < secs:
    time.sleep(min(5, secs))
    rss, _ = sample(); rs.append(rss)
rss, cpu1 = sample(); dt = time.time() - t0
cpu_pct = (cpu1 - cpu0) / tick / dt * 100
print(f"over {dt:.0f} s: resident memory (watcher + worker) median {statistics.median(rs)/1024:.1f} MB, peak {max(rs)/1024:.1f} MB (target <= 40); CPU {cpu_pct:.2f}% of one core (target <= 1%)")
PY
