# Shared by bench/tftp-vs-peers.sh and bench/tftp-lockstep.sh (sourced, after WORK is set): the servers
# they start are killed and WORK removed on exit, whatever happens.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# need TOOL PACKAGE: stop with the Debian package to install when TOOL is missing.
need() { command -v "$1" >/dev/null || { echo "missing $1 (apt-get install -y --no-install-recommends $2)" >&2; exit 2; }; }

# median TIMES...: the middle value (the mean of the two middle ones for an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# start_ours ROOT PORT: our TFTP server in the background on 127.0.0.1:PORT serving ROOT, logging to
# $WORK/ours.log; returns once it listens. OURS=serve (the default) runs the product, `./baremetal serve`
# with ROOT as its TFTP folder (HTTP on PORT+1 for its console; NBD and iSCSI off). OURS=host runs the bare
# TftpServer (tests/BareMetal.Benchmarks `tftp-serve`, Release) with the socket settings it used to be
# measured with (inline socket completions, no thread-pool spinning); extra arguments go to it.
start_ours() {
  local root=$1 port=$2
  shift 2
  case ${OURS:-serve} in
    serve)
      echo "building our server (./baremetal, Release)..." >&2
      ./baremetal --help >/dev/null
      mkdir -p "$WORK/serve"
      ln -sfn "$root" "$WORK/serve/tftp"
      ./baremetal serve --data "$WORK/serve" --tftp "127.0.0.1:$port" --http "127.0.0.1:$((port + 1))" --nbd off --iscsi off \
        --admin-password bench-only-password >"$WORK/ours.log" 2>&1 &
      PIDS+=($!)
      for _ in $(seq 300); do grep -q "tftp .*/udp" "$WORK/ours.log" 2>/dev/null && break; sleep 0.1; done
      grep -q "tftp .*/udp" "$WORK/ours.log" || { echo "our server did not start:" >&2; cat "$WORK/ours.log" >&2; exit 1; }
      ;;
    host)
      echo "building our server (Release)..." >&2
      dotnet build -c Release tests/BareMetal.Benchmarks/BareMetal.Benchmarks.csproj -v q -nologo >/dev/null
      DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 \
        dotnet tests/BareMetal.Benchmarks/bin/Release/net10.0/BareMetal.Benchmarks.dll tftp-serve "$root" "127.0.0.1:$port" "$@" >"$WORK/ours.log" 2>&1 &
      PIDS+=($!)
      for _ in $(seq 100); do grep -q listening "$WORK/ours.log" 2>/dev/null && break; sleep 0.1; done
      grep -q listening "$WORK/ours.log" || { echo "our server did not start:" >&2; cat "$WORK/ours.log" >&2; exit 1; }
      ;;
    *) echo "OURS must be serve or host" >&2; exit 2 ;;
  esac
}
