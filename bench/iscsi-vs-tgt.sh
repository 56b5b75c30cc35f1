#!/usr/bin/env bash
# One run, same client, same raw file on tmpfs: our iSCSI target (`baremetal export --iscsi`) against
# tgtd (Debian tgt). Client: libiscsi's iscsi-perf, sequential reads of 128 KiB (256 blocks) at queue
# depth 1 and 16. Prints MB/s per target and the ratio ours / tgt. Record the load average with the
# figures: this machine is shared.
# Usage: bench/iscsi-vs-tgt.sh   (env: SIZE_MB=1024 RUNTIME=10 PORT=13270 IMG=/dev/shm/bm-iscsi-bench.raw)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb=${SIZE_MB:-1024}
runtime=${RUNTIME:-10}
port=${PORT:-13270}
img=${IMG:-/dev/shm/bm-iscsi-bench.raw}
iqn=iqn.2026-11.dev.baremetal:bench
# tgtd's management socket is per control port: a port of our own keeps us off any other tgtd.
ctl=${TGT_CONTROL_PORT:-17}

for tool in tgtd tgtadm iscsi-perf; do
  command -v "$tool" >/dev/null || { echo "iscsi-vs-tgt: $tool is missing (apt-get install tgt libiscsi-bin)"; exit 1; }
done
if [[ ! -f "$img" || $(stat -c %s "$img") -ne $((size_mb * 1024 * 1024)) ]]; then
  echo "iscsi-vs-tgt: writing ${size_mb} MiB of random data to $img"
  head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$img"
fi
"$root/baremetal" --help >/dev/null   # build the CLI once, outside the measurements
dll="$root/artifacts/cli/baremetal.dll"

pid=
tgt_up=
stop() {
  if [[ -n "$tgt_up" ]]; then
    # tgtd ignores SIGTERM: it stops only through its management interface, and refuses to stop
    # while a target exists (unless the target is deleted with --force first).
    tgtadm -C "$ctl" --lld iscsi --op delete --mode target --tid 1 --force >/dev/null 2>&1 || true
    tgtadm -C "$ctl" --op delete --mode system >/dev/null 2>&1 || true
    tgt_up=
  fi
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap stop EXIT

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "iscsi-vs-tgt: nothing listens on $port"; exit 1
}

# iscsi-perf prints "iops average N (M MB/s)" at the end.
perf() { # url depth  (iscsi-perf exits non-zero when it stops on its timer)
  { iscsi-perf -t "$runtime" -b 256 -m "$2" "$1" 2>&1 || true; } | tr '\r' '\n' | sed -n 's/^ *iops average [0-9]* (\([0-9]*\) MB\/s).*/\1/p' | tail -1
}

declare -A mbs
for server in ours tgt; do
  case $server in
    ours)
      dotnet "$dll" export "$img" --nbd 127.0.0.1:0 --iscsi "127.0.0.1:$port" --read-only --name bench >/dev/null 2>&1 &
      pid=$!
      url="iscsi://127.0.0.1:$port/$iqn/0"
      ;;
    tgt)
      tgtd -f -C "$ctl" --iscsi "portal=127.0.0.1:$port" >/dev/null 2>&1 &
      pid=$!
      tgt_up=1
      wait_port
      tgtadm -C "$ctl" --lld iscsi --op new --mode target --tid 1 -T "$iqn"
      tgtadm -C "$ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 -b "$img"
      tgtadm -C "$ctl" --lld iscsi --op update --mode logicalunit --tid 1 --lun 1 --params readonly=1
      tgtadm -C "$ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
      url="iscsi://127.0.0.1:$port/$iqn/1"   # tgt's LUN 0 is its controller
      ;;
  esac
  wait_port
  for depth in 1 16; do
    mbs[$server,$depth]=$(perf "$url" "$depth")
  done
  stop
done

echo "iSCSI sequential read, 128 KiB requests, ${size_mb} MiB file on tmpfs, iscsi-perf ${runtime} s each"
echo "load: $(uptime | sed 's/.*load average/load average/')"
printf '%-8s %12s %12s\n' depth ours tgt
for depth in 1 16; do
  o=${mbs[ours,$depth]:-0}; t=${mbs[tgt,$depth]:-0}
  ratio=$(awk -v o="$o" -v t="$t" 'BEGIN { if (t > 0) printf "%.2f", o / t; else print "n/a" }')
  printf '%-8s %9s MB/s %9s MB/s  ratio %s\n' "$depth" "$o" "$t" "$ratio"
done
