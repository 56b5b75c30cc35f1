#!/usr/bin/env bash
# Builds everything and runs every test. Installs the Debian packages the interop tests need when
# they are missing (we are root on CI and dev machines). Last line: "Tests: N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
out="$root/.test-output"
rm -rf "$out"
mkdir -p "$out"

# Peers the interop tests run against (see ../shared/DESIGN.md), and gcc to link the Native AOT image tool.
packages=(gcc openssl libc6-dev nasm zlib1g-dev qemu-utils qemu-block-extra libnbd-bin nbdkit tftp-hpa atftp curl busybox libvhdi-utils libvmdk-utils xorriso genisoimage fio graphviz iproute2 qemu-system-x86 ipxe-qemu ipxe ovmf dnsmasq-base python3-libnbd libiscsi-bin tgt postgresql chromium syslinux syslinux-common mtools dosfstools e2fsprogs gdisk fdisk xfsprogs btrfs-progs openipmi ipmitool)
# The os-up end-to-end test's Linux disk also needs Debian's kernel and busybox-static (which conflicts with
# busybox): LinuxBootDisk fetches both with apt-get download into its cache ($BAREMETAL_TEST_CACHE), never installs them.
# The web console's front-end packages come from npm at build time.
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test.sh: installing missing peers: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$out/apt.log" 2>&1 || true
    apt-get install -y --no-install-recommends "${missing[@]}" >>"$out/apt.log" 2>&1 || {
      echo "test.sh: apt-get install failed (see $out/apt.log); interop tests will skip or, under CI, fail"
    }
  else
    echo "test.sh: not root, cannot install them; interop tests will skip (or fail under CI)"
  fi
fi

summary() {
  echo "Tests: $1 passed, $2 failed, $3 skipped"
}

# LinuxBootDisk (the os-up end-to-end test) fetches Debian's kernel with apt-get download: it needs the
# package lists, which a machine that already had every peer may never have fetched.
if [[ $(id -u) -eq 0 ]] && ! apt-cache show linux-image-amd64 >/dev/null 2>&1; then
  apt-get update -qq >>"$out/apt.log" 2>&1 || echo "test.sh: apt-get update failed (see $out/apt.log)"
fi

echo "test.sh: building"
if ! dotnet build BareMetal.sln -c Release --nologo -v q -clp:ErrorsOnly >"$out/build.log" 2>&1; then
  cat "$out/build.log"
  echo "test.sh: build failed"
  summary 0 1 0
  exit 1
fi

# The offline image verbs run native (Native AOT) under ./baremetal; the interop tests run that binary.
echo "test.sh: publishing the native image tool"
if ! dotnet publish imagestore/BareMetal.ImageStore.Tool/BareMetal.ImageStore.Tool.csproj -c Release --use-current-runtime \
    -o artifacts/image --nologo -v q >"$out/publish-native.log" 2>&1; then
  cat "$out/publish-native.log"
  echo "test.sh: the native image tool did not build"
  summary 0 1 0
  exit 1
fi
touch artifacts/image/.built

echo "test.sh: checking formatting"
format_failed=0
if ! dotnet format whitespace BareMetal.sln --verify-no-changes >"$out/format.log" 2>&1; then
  cat "$out/format.log" | head -40
  echo "test.sh: formatting differs (run: dotnet format whitespace BareMetal.sln)"
  format_failed=1
fi

echo "test.sh: running tests"
dotnet test BareMetal.sln -c Release --no-build --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$out" 2>&1 | tee "$out/test.log" | grep -vE '^\s*$'
test_rc=${PIPESTATUS[0]}

passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$out"/*.trx; do
  p=$(grep -o 'outcome="Passed"' "$trx" | wc -l)
  f=$(grep -o 'outcome="Failed"' "$trx" | wc -l)
  s=$(grep -o 'outcome="NotExecuted"' "$trx" | wc -l)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
# Each <UnitTestResult> carries one outcome; the run's own <ResultSummary outcome=...> is not a test.
for trx in "$out"/*.trx; do
  if grep -q '<ResultSummary outcome="Failed"' "$trx"; then failed=$((failed - 1)); fi
  if grep -q '<ResultSummary outcome="Passed"' "$trx"; then passed=$((passed - 1)); fi
done
failed=$((failed + format_failed))
if [[ $test_rc -ne 0 && $failed -eq 0 ]]; then
  echo "test.sh: dotnet test exited $test_rc with no failed test recorded (a test host crashed?)"
  failed=1
fi
summary "$passed" "$failed" "$skipped"
[[ $failed -eq 0 ]]
