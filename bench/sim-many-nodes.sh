#!/usr/bin/env bash
# Wall time of the built-in 1000-node scenario (`baremetal sim run many-nodes`), with the load average,
# since the machine is usually shared: say so when quoting the figure. Runs it RUNS times (default 3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-3}"
"$root/baremetal" sim list >/dev/null # build first, outside the timing
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$runs"); do
  start=$(date +%s.%N)
  out=$("$root/baremetal" sim run many-nodes)
  end=$(date +%s.%N)
  printf 'run %d: %.1f s wall (process), %s\n' "$i" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(grep -o 'simulated in [0-9.]* s wall time' <<<"$out")"
done
echo "$out" | sed -n '3,6p'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
