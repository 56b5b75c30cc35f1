#!/usr/bin/env bash
# Times `./baremetal image convert -O raw` against `qemu-img convert -O raw` on a 1 GiB qcow2 with
# realistic mixed data (~60% of the disk written: half random bytes, half compressible text),
# plain and zlib-compressed (qemu-img convert -c). Output goes to tmpfs so the disk is not measured.
# Usage: bench/convert-vs-qemu-img.sh [runs]   (needs qemu-utils, hyperfine, python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-3}"
work="$(mktemp -d /dev/shm/bm-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "bench: building the CLI" >&2
"$root/baremetal" --help >/dev/null
"$root/baremetal" image convert --help >/dev/null   # the native image tool, which ./baremetal runs for convert

echo "bench: generating 1 GiB of mixed data" >&2
python3 - "$work/src.raw" <<'PY'
import os, random, sys
path = sys.argv[1]
mib = 1 << 20
rng = random.Random(42)
words = [b"kernel", b"initrd", b"boot", b"node", b"disk", b"image", b"cluster", b"block", b"data", b"zero"]
with open(path, "wb") as f:
    f.truncate(1024 * mib)
    for i in range(1024):
        r = rng.random()
        if r >= 0.6:
            continue  # ~40% stays a hole
        f.seek(i * mib)
        if r < 0.3:
            f.write(os.urandom(mib))  # incompressible
        else:
            line = b" ".join(rng.choice(words) for _ in range(12)) + b"\n"
            chunk = (line + str(i).encode() * 8 + b"\n") * (mib // (len(line) + 1))
            f.write(chunk[:mib].ljust(mib, b"\n"))  # compressible text
PY
qemu-img convert -f raw -O qcow2 src.raw plain.qcow2
qemu-img convert -f raw -O qcow2 -c src.raw zlib.qcow2
rm -f src.raw
ls -l plain.qcow2 zlib.qcow2 >&2

bm="$root/baremetal"
for img in plain zlib; do
  echo "bench: $img.qcow2 ($runs runs after one warm-up)" >&2
  hyperfine --warmup 1 --runs "$runs" --export-json "$img.json" --style basic \
    -n qemu-img "qemu-img convert -O raw $img.qcow2 $work/q.raw" \
    -n baremetal "$bm image convert $img.qcow2 $work/b.raw -O raw" >&2
  cmp -s "$work/q.raw" "$work/b.raw" || { echo "bench: OUTPUTS DIFFER for $img" >&2; exit 1; }
  python3 - "$img" "$img.json" <<'PY'
import json, sys
name, path = sys.argv[1], sys.argv[2]
runs = {r["command"]: r for r in json.load(open(path))["results"]}
gib = 1.0
q, b = runs["qemu-img"], runs["baremetal"]
qt, bt = q["mean"], b["mean"]
qc, bc = q["user"] + q["system"], b["user"] + b["system"]
print(f"{name}.qcow2 wall: qemu-img {qt:.3f} s ({gib / qt:.2f} GiB/s), baremetal {bt:.3f} s ({gib / bt:.2f} GiB/s), ratio {qt / bt:.2f}x qemu-img")
print(f"{name}.qcow2 cpu (user+sys): qemu-img {qc:.3f} s, baremetal {bc:.3f} s, ratio {qc / bc:.2f}x (load average: {open('/proc/loadavg').read().split()[0]})")
PY
  rm -f "$work/q.raw" "$work/b.raw"
done
