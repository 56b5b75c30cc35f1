#!/usr/bin/env bash
# One run, same client, same 1 GiB raw file on tmpfs: our NBD server (`baremetal export`) against
# qemu-nbd and nbdkit's file plugin. Measures nbdcopy whole-image throughput to null: with 1 and 4
# connections, and 4 KiB random reads at queue depth 1 and 32 with fio's nbd engine.
# Prints MB/s and IOPS per server and the ratio ours / best peer (target >= 1.0).
# Usage: bench/nbd-vs-peers.sh   (env: SIZE_MB=1024 RUNTIME=10 PORT=10950 IMG=/dev/shm/bm-nbd-bench.raw)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb=${SIZE_MB:-1024}
runtime=${RUNTIME:-10}
port=${PORT:-10950}
img=${IMG:-/dev/shm/bm-nbd-bench.raw}
name=bench

for tool in qemu-nbd nbdkit nbdcopy nbdinfo fio python3; do
  command -v "$tool" >/dev/null || { echo "nbd-vs-peers: $tool is missing (apt-get install qemu-utils nbdkit libnbd-bin fio)"; exit 1; }
done
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "nbd-vs-peers: this fio has no nbd engine"; exit 1; }

if [[ ! -f "$img" || $(stat -c %s "$img") -ne $((size_mb * 1024 * 1024)) ]]; then
  echo "nbd-vs-peers: writing ${size_mb} MiB of random data to $img"
  head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$img"
fi
"$root/baremetal" --help >/dev/null   # build the CLI once, outside the measurements
dll="$root/artifacts/cli/baremetal.dll"

pid=
stop_server() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
}
trap stop_server EXIT

start_server() {
  case "$1" in
    ours) dotnet "$dll" export "$img" --nbd "127.0.0.1:$port" --read-only --name "$name" >/dev/null 2>&1 & ;;
    qemu-nbd) qemu-nbd -r -t --shared=16 -x "$name" -p "$port" -b 127.0.0.1 -f raw "$img" & ;;
    nbdkit) nbdkit -f -p "$port" -i 127.0.0.1 -e "$name" file "$img" & ;;
  esac
  pid=$!
  for _ in $(seq 1 100); do
    nbdinfo --size "nbd://127.0.0.1:$port/$name" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "nbd-vs-peers: $1 did not come up"; exit 1
}

copy_mbs() { # connections
  local t0 t1
  t0=$(date +%s.%N)
  nbdcopy --connections="$1" "nbd://127.0.0.1:$port/$name" null:
  t1=$(date +%s.%N)
  python3 -c "print(f'{$size_mb * 1048576 / 1e6 / ($t1 - $t0):.0f}')"
}

rand_iops() { # iodepth
  fio --name=rand --ioengine=nbd --uri="nbd://127.0.0.1:$port/$name" --rw=randread --bs=4k \
      --iodepth="$1" --runtime="$runtime" --time_based --output-format=json 2>/dev/null |
    sed -n '/^{/,$p' | # the nbd engine prints "fio: connected to NBD server" before the JSON
    python3 -c 'import json,sys; j=json.load(sys.stdin); print(round(j["jobs"][0]["read"]["iops"]))'
}

declare -A result
servers=(ours qemu-nbd nbdkit)
for s in "${servers[@]}"; do
  start_server "$s"
  copy_mbs 1 >/dev/null # warm-up
  result[$s,seq1]=$(copy_mbs 1)
  result[$s,seq4]=$(copy_mbs 4)
  result[$s,qd1]=$(rand_iops 1)
  result[$s,qd32]=$(rand_iops 32)
  stop_server
  echo "nbd-vs-peers: $s done" >&2
done

printf '\n%-10s %14s %14s %14s %14s\n' server "seq 1conn MB/s" "seq 4conn MB/s" "4k QD1 IOPS" "4k QD32 IOPS"
for s in "${servers[@]}"; do
  printf '%-10s %14s %14s %14s %14s\n' "$s" "${result[$s,seq1]}" "${result[$s,seq4]}" "${result[$s,qd1]}" "${result[$s,qd32]}"
done
ratio() {
  python3 -c "print(f'{$1 / max($2, $3):.2f}x')"
}
printf '%-10s %14s %14s %14s %14s\n' "ours/best" \
  "$(ratio "${result[ours,seq1]}" "${result[qemu-nbd,seq1]}" "${result[nbdkit,seq1]}")" \
  "$(ratio "${result[ours,seq4]}" "${result[qemu-nbd,seq4]}" "${result[nbdkit,seq4]}")" \
  "$(ratio "${result[ours,qd1]}" "${result[qemu-nbd,qd1]}" "${result[nbdkit,qd1]}")" \
  "$(ratio "${result[ours,qd32]}" "${result[qemu-nbd,qd32]}" "${result[nbdkit,qd32]}")"
