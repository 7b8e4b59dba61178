#!/usr/bin/env bash
# Runs the whole test suite: unit, known-answer, mutation, in-process two-peer, Linux TUN, and interop tests
# against a real strongSwan gateway in network namespaces. Needs root (namespaces, TUN) and installs what
# it needs (strongSwan with the plugins the tests load, iperf3, iproute2, nftables, tcpdump, NetworkManager and D-Bus
# for the NetworkManager plugin tests) when it is missing. NetworkManager is only run by the tests, in their own
# namespaces on a private bus (policy-rc.d below keeps apt from starting the machine's own).
# It never stops or kills a process it did not start: the strongSwan daemons of the tests run in their own
# namespaces with their own /run and vici socket, beside any strongSwan service of the machine's own.
#
#   sudo bash .ci/test.sh                          everything
#   bash .ci/test.sh --filter "Requires!=root"     (as any user) everything that needs neither root nor strongSwan
#   sudo bash .ci/test.sh --filter "FullyQualifiedName~Interop"   extra arguments go to dotnet test
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# Without root, only the tests that need neither root nor strongSwan can run; say so instead of failing 60 tests.
if [ "$(id -u)" -ne 0 ]; then
  case " $* " in
    *"Requires!=root"*) ;;
    *) echo "The test suite needs root (network namespaces, TUN devices, strongSwan). Run: sudo bash .ci/test.sh" >&2
       echo "Without root: bash .ci/test.sh --filter \"Requires!=root\"" >&2
       exit 2 ;;
  esac
else
  # Debian package of each strongSwan plugin the tests load (Interop/charon-plugins.txt), as Debian 12 splits them.
  declare -A plugin_pkg=(
    [random]=libstrongswan [nonce]=libstrongswan [x509]=libstrongswan [revocation]=libstrongswan
    [constraints]=libstrongswan [pubkey]=libstrongswan [pkcs1]=libstrongswan [pkcs7]=libstrongswan
    [pkcs8]=libstrongswan [pkcs12]=libstrongswan [pgp]=libstrongswan [dnskey]=libstrongswan [sshkey]=libstrongswan
    [pem]=libstrongswan [aes]=libstrongswan [sha1]=libstrongswan [sha2]=libstrongswan [md5]=libstrongswan
    [gmp]=libstrongswan [hmac]=libstrongswan [xcbc]=libstrongswan [drbg]=libstrongswan [mgf1]=libstrongswan
    [kdf]=libstrongswan [kernel-netlink]=libstrongswan [attr]=strongswan-libcharon
    [socket-default]=strongswan-libcharon [updown]=strongswan-libcharon [vici]=strongswan-swanctl
    [openssl]=libstrongswan-standard-plugins [gcm]=libstrongswan-standard-plugins [aesni]=libstrongswan-standard-plugins
    [gcrypt]=libstrongswan-extra-plugins [curve25519]=libstrongswan-extra-plugins [cmac]=libstrongswan-extra-plugins
    [ctr]=libstrongswan-extra-plugins [ccm]=libstrongswan-extra-plugins [chapoly]=libstrongswan-extra-plugins
    [kernel-libipsec]=libcharon-extra-plugins [eap-identity]=libcharon-extra-plugins [eap-md5]=libcharon-extra-plugins
    [eap-tls]=libcharon-extra-plugins [eap-mschapv2]=libcharon-extauth-plugins
  )
  plugins=$(cat Ikev2Client.Tests/Interop/charon-plugins.txt)

  need=()
  for pkg in strongswan-charon strongswan-swanctl strongswan-pki libstrongswan-standard-plugins \
             libstrongswan-extra-plugins libcharon-extra-plugins libcharon-extauth-plugins \
             iperf3 iproute2 nftables tcpdump iputils-ping dbus-daemon libsystemd-shared util-linux \
             network-manager dbus; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
  done
  for p in $plugins; do
    [ -n "${plugin_pkg[$p]:-}" ] || { echo "test.sh: no Debian package known for the strongSwan plugin '$p'" >&2; exit 2; }
    [ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || need+=("${plugin_pkg[$p]}")
  done
  if [ ${#need[@]} -gt 0 ]; then
    mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
    echo "Installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep apt from starting the machine's own strongSwan service: the tests run their own charons. A
    # policy-rc.d that is already there is left alone; ours is removed again on exit.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  # Every plugin in charon's load list must exist, or charon starts without it and tests fail far from the cause.
  missing=()
  for p in $plugins; do
    [ -f "/usr/lib/ipsec/plugins/libstrongswan-$p.so" ] || missing+=("$p (Debian package ${plugin_pkg[$p]})")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "strongSwan plugins the tests load are missing: ${missing[*]}" >&2
    exit 2
  fi
  mkdir -p /var/run/netns

  # systemd-resolved for the DNS tests (NetGuard/ResolvedInteropTests), unpacked, not installed: its postinst would turn
  # this host's /etc/resolv.conf into a symlink to a stub that nothing serves here. The tests run it in a private mount
  # and network namespace on a private D-Bus. Its version must match the installed libsystemd-shared exactly.
  resolved_root=/var/cache/ikev2-tests/systemd-resolved
  unpack_resolved() {
    local ver tmp
    ver=$(dpkg-query -W -f='${Version}' libsystemd-shared) || return 1
    if [ -x "$resolved_root/lib/systemd/systemd-resolved" ] && [ "$(cat "$resolved_root/.version" 2>/dev/null)" = "$ver" ]; then
      return 0
    fi
    tmp=$(mktemp -d) && chmod 755 "$tmp" || return 1
    if ! (cd "$tmp" && apt-get download -qq "systemd-resolved=$ver" 2>/dev/null); then
      apt-get update -qq && (cd "$tmp" && apt-get download -qq "systemd-resolved=$ver") || { rm -rf "$tmp"; return 1; }
    fi
    rm -rf "$resolved_root" && mkdir -p "$resolved_root" &&
      dpkg-deb -x "$tmp"/systemd-resolved_"${ver//:/%3a}"_*.deb "$resolved_root" && echo "$ver" > "$resolved_root/.version"
    local status=$?
    rm -rf "$tmp"
    return $status
  }
  # A failure here fails only the resolved tests, each with a message saying how to get it.
  unpack_resolved || echo "test.sh: could not unpack systemd-resolved to $resolved_root; the systemd-resolved tests will fail" >&2
fi

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
