#!/usr/bin/env bash
# Converts a 1 GiB dynamic VHDX with ~60% data to raw on tmpfs, once with qemu-img and once with
# ./baremetal, checks both outputs are identical, and prints times and the throughput ratio.
# Usage: bench/convert-vhdx-vs-qemu-img.sh [workdir on tmpfs, default /dev/shm/bm-vhdx-bench]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-/dev/shm/bm-vhdx-bench}"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
src="$work/src.vhdx"

qemu-img create -q -f vhdx -o subformat=dynamic "$src" 1G
# ~60% data: 100 scattered 6 MiB runs of random-ish data (qemu-io -P fills a pattern per write).
cmds=()
for i in $(seq 0 99); do
  cmds+=(-c "write -P $(( (i * 37) % 251 + 1 )) $(( i * 10 + 2 ))M 6M")
done
qemu-io -f vhdx "${cmds[@]}" "$src" > /dev/null

"$root/baremetal" image info "$src" > /dev/null   # build the CLI outside the timing

# Prints "wall cpu" seconds; cpu = user + system (the machine may be shared: CPU time is the steadier number).
t() { /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{ printf "%s %.2f", $1, $2 + $3 }'; }
sync
read -r qemu_s qemu_cpu <<< "$(t qemu-img convert -f vhdx -O raw "$src" "$work/qemu.raw")"
read -r ours_s ours_cpu <<< "$(t "$root/baremetal" image convert "$src" "$work/ours.raw" -O raw)"
if ! cmp -s "$work/qemu.raw" "$work/ours.raw"; then
  echo "outputs differ" >&2
  exit 1
fi
data=$(qemu-img map --output=json -f raw "$work/qemu.raw" | grep -c '"data": true' || true)
echo "source: 1 GiB dynamic VHDX, $(du -m "$src" | cut -f1) MiB allocated; $data raw data extents"
printf 'qemu-img convert -f vhdx -O raw : %.2f s wall, %.2f s cpu\n' "$qemu_s" "$qemu_cpu"
printf 'baremetal image convert -O raw : %.2f s wall, %.2f s cpu (includes start-up: the native tool)\n' "$ours_s" "$ours_cpu"
printf 'throughput ratio (baremetal / qemu-img): %.2fx wall, %.2fx cpu\n' "$(echo "$qemu_s / $ours_s" | bc -l)" "$(echo "$qemu_cpu / $ours_cpu" | bc -l)"
