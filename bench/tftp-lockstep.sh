#!/usr/bin/env bash
# Lock-step TFTP (curl, one block per round trip) against tftpd-hpa, dnsmasq and the machine's floor: a
# do-nothing C responder (bench/floor/tftp-floor.c) that answers each ACK with the next block from memory.
# Interleaved rounds, medians. The floor says how far any server could get ahead of the peers here.
#
#   bench/tftp-lockstep.sh            # 15 rounds of 32 MiB at blksize 1468 and 8192 (about 4 minutes)
#   ROUNDS=5 bench/tftp-lockstep.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-15}
OUR_PORT=${OUR_PORT:-6979}
HPA_PORT=${HPA_PORT:-6989}
FLOOR_PORT=${FLOOR_PORT:-6999}
WORK=/dev/shm/tftp-lockstep.$$
# shellcheck source=bench/tftp-common.sh
. bench/tftp-common.sh
need curl curl
need in.tftpd tftpd-hpa
need gcc gcc
need dnsmasq dnsmasq-base

mkdir -p "$WORK/root"
chmod 755 "$WORK" "$WORK/root"
head -c 32M /dev/urandom >"$WORK/root/f32"
chmod 644 "$WORK/root/f32"
gcc -O2 -o "$WORK/tftp-floor" bench/floor/tftp-floor.c
start_ours "$WORK/root" "$OUR_PORT"
in.tftpd -L -s "$WORK/root" -a "127.0.0.1:$HPA_PORT" &
PIDS+=($!)
"$WORK/tftp-floor" "$FLOOR_PORT" "$(stat -c %s "$WORK/root/f32")" >"$WORK/floor.log" &
PIDS+=($!)
DNSMASQ_ADDR=""
for a in 2 3 4 5 6 7 8 9; do
  if ! ss -Hlun "src 127.0.0.$a:69" | grep -q .; then DNSMASQ_ADDR=127.0.0.$a; break; fi
done
dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --user=root --port=0 --enable-tftp --tftp-root="$WORK/root" \
  --listen-address="$DNSMASQ_ADDR" --bind-interfaces --log-facility=/dev/null >"$WORK/dnsmasq.log" 2>&1 &
PIDS+=($!)
sleep 0.5

SERVERS=(ours hpa dnsmasq floor)
url() { case $1 in ours) echo "127.0.0.1:$OUR_PORT" ;; hpa) echo "127.0.0.1:$HPA_PORT" ;; dnsmasq) echo "$DNSMASQ_ADDR:69" ;; floor) echo "127.0.0.1:$FLOOR_PORT" ;; esac; }
now() { date +%s.%N; }

echo
echo "lock-step TFTP, curl 32 MiB on loopback, median MB/s of $ROUNDS interleaved rounds; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-10s %8s %10s %9s %9s %14s %14s\n" "blksize" "ours" "tftpd-hpa" "dnsmasq" "floor" "ours/best peer" "floor/best peer"
for bs in 1468 8192; do
  declare -A times=()
  for _ in $(seq "$ROUNDS"); do
    for s in "${SERVERS[@]}"; do
      t0=$(now)
      curl -s --tftp-blksize "$bs" "tftp://$(url "$s")/f32" -o "$WORK/out" || { echo "FAILED: $s $bs" >&2; continue; }
      t1=$(now)
      if [ "$s" != floor ] && ! cmp -s "$WORK/out" "$WORK/root/f32"; then echo "WRONG CONTENT: $s $bs" >&2; continue; fi
      times[$s]+=" $(echo "$t1 - $t0" | bc -l)"
    done
  done
  declare -A mbs=()
  for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    mbs[$s]=$(echo "32 / $(median ${times[$s]})" | bc -l)
  done
  peer=${mbs[hpa]}
  [ "$(echo "${mbs[dnsmasq]} > $peer" | bc -l)" = 1 ] && peer=${mbs[dnsmasq]}
  printf "%-10s %8.1f %10.1f %9.1f %9.1f %13.2fx %13.2fx\n" "$bs" "${mbs[ours]}" "${mbs[hpa]}" "${mbs[dnsmasq]}" "${mbs[floor]}" \
    "$(echo "${mbs[ours]} / $peer" | bc -l)" "$(echo "${mbs[floor]} / $peer" | bc -l)"
done
