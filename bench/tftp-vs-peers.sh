#!/usr/bin/env bash
# Our TFTP server against tftpd-hpa and dnsmasq, in one run, on loopback, files on /dev/shm.
#
#   bench/tftp-vs-peers.sh            # full run (about 5 minutes on 2 busy cores)
#   REPS=1 bench/tftp-vs-peers.sh     # quicker, noisier
#
# Each row runs REPS rounds (REPS256 for the 256 MiB rows, CREPS for the concurrent ones), each round
# every server once, in turn; the table gives the median throughput and, in brackets, the best run. A
# lock-step transfer waits on two wake-ups per block, and on this VM those vary by +-15% from minute to
# minute: interleaving and the median keep such phases from deciding a row. Every download is compared
# with its source; a failed or wrong download counts as a failure, not as a time.
# Our server is the product, `./baremetal serve` with the bench's folder as its TFTP root (OURS=host runs
# the TftpServer alone, from tests/BareMetal.Benchmarks, as earlier sessions measured it; see tftp-common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

REPS=${REPS:-7}
REPS256=${REPS256:-3}
CREPS=${CREPS:-3}
OUR_PORT=${OUR_PORT:-6979}
HPA_PORT=${HPA_PORT:-6989}
WORK=/dev/shm/tftp-bench.$$
ROOT=$WORK/root
OUT=$WORK/out
# shellcheck source=bench/tftp-common.sh
. bench/tftp-common.sh
need curl curl
need atftp atftp
need in.tftpd tftpd-hpa

mkdir -p "$ROOT" "$OUT"
chmod 755 "$WORK" "$ROOT"
head -c 32M /dev/urandom >"$ROOT/f32"
head -c 256M /dev/urandom >"$ROOT/f256"
head -c 4M /dev/urandom >"$ROOT/f4"
head -c 1M /dev/urandom >"$ROOT/f1"
chmod 644 "$ROOT"/*

# --- servers -----------------------------------------------------------------------------------
start_ours "$ROOT" "$OUR_PORT"
in.tftpd -L -s "$ROOT" -a "127.0.0.1:$HPA_PORT" &
PIDS+=($!)

HAVE_DNSMASQ=0
DNSMASQ_ADDR=""
if command -v dnsmasq >/dev/null; then
  # dnsmasq's TFTP is always on port 69: take the first 127.0.0.x nobody else is using.
  for a in 2 3 4 5 6 7 8 9; do
    if ! ss -Hlun "src 127.0.0.$a:69" | grep -q .; then DNSMASQ_ADDR=127.0.0.$a; break; fi
  done
  if [ -n "$DNSMASQ_ADDR" ]; then
    # --tftp-max: dnsmasq's default of 50 transfers would fail the 500-client row by design.
    dnsmasq --no-daemon --conf-file=/dev/null --pid-file= --user=root --port=0 --enable-tftp \
      --tftp-root="$ROOT" --tftp-max=1000 --listen-address="$DNSMASQ_ADDR" --bind-interfaces \
      --log-facility=/dev/null >"$WORK/dnsmasq.log" 2>&1 &
    PIDS+=($!)
    HAVE_DNSMASQ=1
  fi
else
  echo "dnsmasq not installed (apt-get install -y --no-install-recommends dnsmasq-base): its column stays empty" >&2
fi

sleep 0.5

SERVERS=(ours hpa)
[ "$HAVE_DNSMASQ" = 1 ] && SERVERS+=(dnsmasq)
host() { case $1 in ours) echo "127.0.0.1 $OUR_PORT" ;; hpa) echo "127.0.0.1 $HPA_PORT" ;; dnsmasq) echo "$DNSMASQ_ADDR 69" ;; esac; }
now() { date +%s.%N; }

# get SERVER CLIENT FILE OUTFILE [blksize] [limit]: one download; non-zero on failure or mismatch.
get() {
  local s=$1 client=$2 file=$3 out=$4 bs=${5:-1468} limit=${6:-300} h p
  read -r h p <<<"$(host "$s")"
  rm -f "$out"
  case $client in
    curl) timeout "$limit" curl -s --tftp-blksize "$bs" "tftp://$h:$p/$file" -o "$out" || return 1 ;;
    atftp) timeout "$limit" atftp --option "blksize $bs" --option "windowsize 16" -g -r "$file" -l "$out" "$h" "$p" >/dev/null 2>&1 || return 1 ;;
  esac
  cmp -s "$out" "$ROOT/$file"
}

declare -A RESULT BEST FAIL
FAIL[ours]=0; FAIL[hpa]=0; FAIL[dnsmasq]=0

# fastest TIMES...
fastest() { printf '%s\n' "$@" | sort -g | head -1; }

# record ROW SERVER BYTES-MIB TIMES...: median and best throughput of one row for one server.
record() {
  local row=$1 s=$2 mib=$3
  shift 3
  if [ "$#" -gt 0 ]; then
    RESULT[$row,$s]=$(echo "$mib / $(median "$@")" | bc -l)
    BEST[$row,$s]=$(echo "$mib / $(fastest "$@")" | bc -l)
  fi
  echo "  $row $s: median ${RESULT[$row,$s]:-failed} MB/s, best ${BEST[$row,$s]:-failed} MB/s ($# runs)" >&2
}

# Rounds are interleaved (ours, hpa, dnsmasq, ours, ...): a slow phase of the shared machine then falls on
# every server alike instead of on whichever ran through it.
single() { # ROW CLIENT FILE MIB BLKSIZE REPS
  local row=$1 client=$2 file=$3 mib=$4 bs=$5 reps=$6 s t0 t1
  declare -A times
  for _ in $(seq "$reps"); do
    for s in "${SERVERS[@]}"; do
      t0=$(now)
      if get "$s" "$client" "$file" "$OUT/$s.single" "$bs"; then
        t1=$(now)
        times[$s]+=" $(echo "$t1 - $t0" | bc -l)"
      else
        FAIL[$s]=$((FAIL[$s] + 1))
        echo "FAILED: $s $row" >&2
      fi
    done
  done
  for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    record "$row" "$s" "$mib" ${times[$s]:-}
  done
}

concurrent() { # ROW CLIENTS FILE MIB
  local row=$1 n=$2 file=$3 mib=$4 s t0 t1 fails i
  declare -A times
  for _ in $(seq "$CREPS"); do
    for s in "${SERVERS[@]}"; do
      local pids=()
      t0=$(now)
      for i in $(seq "$n"); do
        # 60 s each: dnsmasq drops some of 500 clients, and a stuck client must not stall the run.
        get "$s" curl "$file" "$OUT/$s.c$i" 1468 60 &
        pids+=($!)
      done
      fails=0
      for i in "${pids[@]}"; do wait "$i" || fails=$((fails + 1)); done
      t1=$(now)
      rm -f "$OUT/$s".c*
      FAIL[$s]=$((FAIL[$s] + fails))
      [ "$fails" -gt 0 ] && echo "FAILED: $s $row: $fails of $n" >&2
      times[$s]+=" $(echo "$t1 - $t0" | bc -l)"
    done
  done
  for s in "${SERVERS[@]}"; do
    # shellcheck disable=SC2086
    record "$row" "$s" "$((n * mib))" ${times[$s]:-}
  done
}

ROWS=()
run_single() { ROWS+=("$1"); single "$@"; }
run_concurrent() { ROWS+=("$1"); concurrent "$@"; }

START=$(now)
run_single "curl 32M blksize 1468" curl f32 32 1468 "$REPS"
run_single "curl 32M blksize 8192" curl f32 32 8192 "$REPS"
run_single "atftp 32M 1468 window 16" atftp f32 32 1468 "$REPS"
run_single "curl 256M blksize 1468" curl f256 256 1468 "$REPS256"
run_single "curl 256M blksize 8192" curl f256 256 8192 "$REPS256"
run_single "atftp 256M 1468 window 16" atftp f256 256 1468 "$REPS256"
run_concurrent "50 x curl 4M (1468)" 50 f4 4
run_concurrent "500 x curl 1M (1468)" 500 f1 1
END=$(now)

# --- table -------------------------------------------------------------------------------------
fmt() { [ -n "${1:-}" ] && printf "%.1f" "$1" || printf "-"; }
echo
echo "TFTP on loopback, MB/s (MiB/s), median of $REPS (32M) / $REPS256 (256M) / $CREPS (concurrent) interleaved rounds, best in brackets; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-26s %15s %15s %15s %11s %11s\n" "test" "ours" "tftpd-hpa" "dnsmasq" "ours/best" "(best runs)"
cell() { [ -n "${1:-}" ] && printf "%.1f (%.1f)" "$1" "$2" || printf "-"; }
# faster A B: the larger of two throughputs, either may be empty.
faster() { if [ -n "${2:-}" ] && { [ -z "${1:-}" ] || [ "$(echo "$2 > $1" | bc -l)" = 1 ]; }; then echo "$2"; else echo "${1:-}"; fi; }
for row in "${ROWS[@]}"; do
  o=${RESULT[$row,ours]:-}
  peer=$(faster "${RESULT[$row,hpa]:-}" "${RESULT[$row,dnsmasq]:-}")
  peerbest=$(faster "${BEST[$row,hpa]:-}" "${BEST[$row,dnsmasq]:-}")
  ratio="-"; bratio="-"
  [ -n "$o" ] && [ -n "$peer" ] && ratio=$(printf "%.2fx" "$(echo "$o / $peer" | bc -l)")
  [ -n "${BEST[$row,ours]:-}" ] && [ -n "$peerbest" ] && bratio=$(printf "(%.2fx)" "$(echo "${BEST[$row,ours]} / $peerbest" | bc -l)")
  printf "%-26s %15s %15s %15s %11s %11s\n" "$row" "$(cell "$o" "${BEST[$row,ours]:-}")" "$(cell "${RESULT[$row,hpa]:-}" "${BEST[$row,hpa]:-}")" \
    "$(cell "${RESULT[$row,dnsmasq]:-}" "${BEST[$row,dnsmasq]:-}")" "$ratio" "$bratio"
done
echo "failed transfers: ours ${FAIL[ours]}, tftpd-hpa ${FAIL[hpa]}, dnsmasq ${FAIL[dnsmasq]}$([ "$HAVE_DNSMASQ" = 1 ] || echo ' (not run)')"
printf "total time %.0f s\n" "$(echo "$END - $START" | bc -l)"
