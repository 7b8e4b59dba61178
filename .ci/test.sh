#!/usr/bin/env bash
# Runs the whole test suite: unit, known-answer, mutation, in-process two-peer, Linux TUN, and interop tests
# against a real strongSwan gateway in network namespaces. Needs root (namespaces, TUN) and installs what
# it needs (strongSwan, iperf3, iproute2, nftables, tcpdump) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

if [ "$(id -u)" -ne 0 ]; then
  echo "The test suite needs root (network namespaces, TUN devices, strongSwan). Run: sudo bash .ci/test.sh" >&2
  exit 2
fi

need=()
for pkg in strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-extra-plugins strongswan-pki \
           iperf3 iproute2 nftables tcpdump iputils-ping; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian may start a system charon on install; the tests run their own in namespaces.
pkill -x charon 2>/dev/null || true
mkdir -p /var/run/netns

command -v dotnet >/dev/null || { echo "dotnet (the .NET 10 SDK) is not on PATH" >&2; exit 2; }

dotnet restore Ikev2Client.sln
dotnet build Ikev2Client.sln -c Release --no-restore
results="$(pwd)/TestResults"
rm -rf "$results"
set +e
dotnet test Ikev2Client.sln -c Release --no-build --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
set -e
# One plain summary line for CI.
if [ -f "$results/results.trx" ]; then
  passed=$(grep -o 'passed="[0-9]*"' "$results/results.trx" | head -1 | grep -o '[0-9]*')
  failed=$(grep -o 'failed="[0-9]*"' "$results/results.trx" | head -1 | grep -o '[0-9]*')
  echo "${passed:-0} passed, ${failed:-0} failed"
fi
exit $status
