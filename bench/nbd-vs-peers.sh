#!/usr/bin/env bash
# One run, same client, same 1 GiB of random data on tmpfs: our NBD server (`baremetal export`) against
# qemu-nbd and nbdkit's file plugin. Measures nbdcopy whole-image throughput to null with 1 and 4
# connections, and 4 KiB random reads at queue depth 1 and 32 with fio's nbd engine.
# Three sources, each a block of rows:
#   raw      the raw file, read-only            peers: qemu-nbd, nbdkit file
#   qcow2    a qcow2 copy of it, read-only      peer:  qemu-nbd (this nbdkit has no qcow2 plugin/filter)
#   overlay  a fresh qcow2 overlay whose backing file is the qcow2 (served writable, nothing written yet)
#                                               peers: qemu-nbd on an overlay made by qemu-img create -b,
#                                                      nbdkit --filter=cow file on the raw file
#            (nbdkit's copy-on-write layer, its blocks in a temporary file under DIR as our overlay is;
#            its base is the raw file, as this nbdkit reads no qcow2, so its reads of unwritten blocks
#            cost what the raw row's do, where ours and qemu-nbd's go through the qcow2 base)
# Prints MB/s and IOPS per server, the ratio ours / each peer and ours / best peer (target >= 1.0), and each server's CPU
# time (utime + stime from /proc/PID/stat) per GiB moved for the sequential rows and per 100k random
# reads: CPU time is far less disturbed by a loaded machine than wall-clock time.
# Usage: bench/nbd-vs-peers.sh
#   env: SIZE_MB=1024 RUNTIME=10 PORT=10950 DIR=/dev/shm SOURCES="raw qcow2 overlay" TESTS="seq1 seq4 qd1 qd32"
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
size_mb=${SIZE_MB:-1024}
runtime=${RUNTIME:-10}
port=${PORT:-10950}
dir=${DIR:-/dev/shm}
read -r -a sources <<<"${SOURCES:-raw qcow2 overlay}"
read -r -a tests <<<"${TESTS:-seq1 seq4 qd1 qd32}"
raw=$dir/bm-nbd-bench.raw
qcow=$dir/bm-nbd-bench.qcow2
name=bench
hz=$(getconf CLK_TCK)

for tool in qemu-nbd qemu-img nbdkit nbdcopy nbdinfo fio python3; do
  command -v "$tool" >/dev/null || { echo "nbd-vs-peers: $tool is missing (apt-get install qemu-utils nbdkit libnbd-bin fio)"; exit 1; }
done
fio --enghelp 2>/dev/null | grep -qw nbd || { echo "nbd-vs-peers: this fio has no nbd engine"; exit 1; }

if [[ ! -f "$raw" || $(stat -c %s "$raw") -ne $((size_mb * 1024 * 1024)) ]]; then
  echo "nbd-vs-peers: writing ${size_mb} MiB of random data to $raw" >&2
  head -c $((size_mb * 1024 * 1024)) /dev/urandom >"$raw"
  rm -f "$qcow"
fi
if [[ " ${sources[*]} " =~ " qcow2 " || " ${sources[*]} " =~ " overlay " ]] && [[ ! -f "$qcow" || "$qcow" -ot "$raw" ]]; then
  qemu-img convert -f raw -O qcow2 "$raw" "$qcow"
fi
"$root/baremetal" --help >/dev/null   # build the CLI once, outside the measurements
dll="$root/artifacts/cli/baremetal.dll"

pid=
overlay_file=
stop_server() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=; fi
  if [[ -n "$overlay_file" ]]; then rm -f "$overlay_file"; overlay_file=; fi
}
trap stop_server EXIT

start_server() { # server source
  case "$1,$2" in
    ours,raw) dotnet "$dll" export "$raw" --nbd "127.0.0.1:$port" --read-only --name "$name" >/dev/null 2>&1 & ;;
    ours,qcow2) dotnet "$dll" export "$qcow" --nbd "127.0.0.1:$port" --read-only --name "$name" >/dev/null 2>&1 & ;;
    ours,overlay)
      overlay_file=$dir/bm-nbd-bench.ours-overlay.qcow2
      rm -f "$overlay_file"
      dotnet "$dll" export "$qcow" --overlay "$overlay_file" --nbd "127.0.0.1:$port" --name "$name" >/dev/null 2>&1 & ;;
    qemu-nbd,raw) qemu-nbd -r -t --shared=16 -x "$name" -p "$port" -b 127.0.0.1 -f raw "$raw" & ;;
    qemu-nbd,qcow2) qemu-nbd -r -t --shared=16 -x "$name" -p "$port" -b 127.0.0.1 -f qcow2 "$qcow" & ;;
    qemu-nbd,overlay)
      overlay_file=$dir/bm-nbd-bench.qemu-overlay.qcow2
      rm -f "$overlay_file"
      qemu-img create -q -f qcow2 -b "$qcow" -F qcow2 "$overlay_file"
      qemu-nbd -t --shared=16 -x "$name" -p "$port" -b 127.0.0.1 -f qcow2 "$overlay_file" & ;;
    nbdkit,raw) nbdkit -f -p "$port" -i 127.0.0.1 -e "$name" file "$raw" & ;;
    # The cow filter keeps written blocks in an unlinked file in TMPDIR: on DIR, beside the other overlays.
    nbdkit,overlay) TMPDIR="$dir" nbdkit -f -p "$port" -i 127.0.0.1 -e "$name" --filter=cow file "$raw" & ;;
  esac
  pid=$!
  for _ in $(seq 1 100); do
    nbdinfo --size "nbd://127.0.0.1:$port/$name" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "nbd-vs-peers: $1 on $2 did not come up"; exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

copy_mbs() { # connections; prints "MB/s cpu-ticks"
  local t0 t1 c0 c1
  c0=$(cpu_ticks)
  t0=$(date +%s.%N)
  nbdcopy --connections="$1" "nbd://127.0.0.1:$port/$name" null:
  t1=$(date +%s.%N)
  c1=$(cpu_ticks)
  python3 -c "print(f'{$size_mb * 1048576 / 1e6 / ($t1 - $t0):.0f} $((c1 - c0))')"
}

rand_iops() { # iodepth; prints "IOPS cpu-ticks total-ios"
  local c0 c1 out
  c0=$(cpu_ticks)
  out=$(fio --name=rand --ioengine=nbd --uri="nbd://127.0.0.1:$port/$name" --rw=randread --bs=4k \
      --iodepth="$1" --runtime="$runtime" --time_based --output-format=json 2>/dev/null |
    sed -n '/^{/,$p' | # the nbd engine prints "fio: connected to NBD server" before the JSON
    python3 -c 'import json,sys; r=json.load(sys.stdin)["jobs"][0]["read"]; print(round(r["iops"]), r["total_ios"])')
  c1=$(cpu_ticks)
  read -r iops ios <<<"$out"
  echo "$iops $((c1 - c0)) $ios"
}

peers_of() { case "$1" in raw|overlay) echo "qemu-nbd nbdkit" ;; *) echo "qemu-nbd" ;; esac; }

declare -A result cpu
for src in "${sources[@]}"; do
  read -r -a peers <<<"$(peers_of "$src")"
  for s in ours "${peers[@]}"; do
    start_server "$s" "$src"
    nbdcopy --connections=1 "nbd://127.0.0.1:$port/$name" null: # warm-up (and JIT for ours)
    for t in "${tests[@]}"; do
      case "$t" in
        seq1|seq4)
          read -r v ticks <<<"$(copy_mbs "${t#seq}")"
          result[$src,$s,$t]=$v
          # CPU seconds per GiB moved
          cpu[$src,$s,$t]=$(python3 -c "print(f'{$ticks / $hz / ($size_mb / 1024):.2f}s/GiB')") ;;
        qd1|qd32)
          read -r v ticks ios <<<"$(rand_iops "${t#qd}")"
          result[$src,$s,$t]=$v
          # CPU seconds per 100k requests
          cpu[$src,$s,$t]=$(python3 -c "print(f'{$ticks / $hz / max($ios, 1) * 1e5:.2f}s/100k')") ;;
      esac
    done
    stop_server
    echo "nbd-vs-peers: $s on $src done" >&2
  done
done

header() { printf '%-18s' "$1"; for t in "${tests[@]}"; do printf ' %16s' "$t"; done; echo; }
echo
echo "NBD, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); seq in MB/s, qd in IOPS; server CPU per GiB (seq) / per 100k reads (qd)"
header source/server
for src in "${sources[@]}"; do
  read -r -a peers <<<"$(peers_of "$src")"
  for s in ours "${peers[@]}"; do
    printf '%-18s' "$src/$s"; for t in "${tests[@]}"; do printf ' %16s' "${result[$src,$s,$t]}"; done; echo
    printf '%-18s' "  cpu"; for t in "${tests[@]}"; do printf ' %16s' "${cpu[$src,$s,$t]}"; done; echo
  done
  if ((${#peers[@]} > 1)); then
    for p in "${peers[@]}"; do
      printf '%-18s' "  ours/$p"
      for t in "${tests[@]}"; do printf ' %16s' "$(python3 -c "print(f'{${result[$src,ours,$t]} / ${result[$src,$p,$t]}:.2f}x')")"; done
      echo
    done
  fi
  printf '%-18s' "$src ours/best"
  for t in "${tests[@]}"; do
    best=0
    for p in "${peers[@]}"; do best=$(python3 -c "print(max($best, ${result[$src,$p,$t]}))"); done
    printf ' %16s' "$(python3 -c "print(f'{${result[$src,ours,$t]} / $best:.2f}x')")"
  done
  echo
done
