#!/bin/sh
# Throughput benchmark of our userspace data plane against strongSwan's (kernel-libipsec), same topology:
#
#   client (192.0.2.2) --veth-- (192.0.2.1) gateway (10.1.0.1) --veth-- (10.1.0.10) server
#
# (a) `ikev2 responder` in the gateway namespace + `ikev2 connect --foreground` in the client namespace, once per
#     build of ours (by default the JIT build; with NATIVE=1 also the NativeAOT `dotnet publish` build), ROUNDS
#     times, alternating the builds so that both see the same background load;
# (b) strongSwan charon (kernel-libipsec) on both sides.
# Each: iperf3 -t SECONDS client -> server through the tunnel (TCP). Prints every rate in Mbit/s and the ratios,
# and for ours the CPU seconds client and responder spent per GB during the iperf3 run.
#
# usage (root): throughput.sh [SECONDS=10] [IKE_PROPOSAL] [ESP_PROPOSAL]
# env: SKIP_BUILD=1 uses the existing Release build / publish output; IKEV2=path to a JIT ikev2 (apphost);
#      NATIVE=1 adds the native build (IKEV2_NATIVE=path to use an existing one); ROUNDS=N (default 1);
#      EXTRA_BUILDS="LABEL=PATH ..." adds more builds (e.g. publish variants) to the rounds.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$HERE/topology.sh"
SECONDS_RUN=${1:-10}
IKE=${2:-aes256gcm16-prfsha256-x25519}
ESP=${3:-aes256gcm16}
PSK="ikev2client-throughput-psk"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "iperf3 is needed" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ikev2tp.XXXXXX)
ID=iktp$(printf %x $$)
RESP_PID= CONN_PID=
cleanup() {
    [ -n "$CONN_PID" ] && kill "$CONN_PID" 2>/dev/null
    [ -n "$RESP_PID" ] && kill "$RESP_PID" 2>/dev/null
    sleep 0.5
    charon_stop "$WORK/client" 2>/dev/null; charon_stop "$WORK/gateway" 2>/dev/null
    topo_down "$ID"; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "throughput: $*" >&2; exit 1; }

ROUNDS=${ROUNDS:-1}
if [ -z "${IKEV2:-}" ]; then
    if [ -z "${SKIP_BUILD:-}" ]; then
        dotnet build "$ROOT/Ikev2Client/Ikev2Client.csproj" -c Release -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build failed"; }
    fi
    IKEV2="$ROOT/Ikev2Client/bin/Release/net10.0/ikev2"
fi
[ -x "$IKEV2" ] || die "no ikev2 binary at $IKEV2"
BUILDS="jit"
if [ -n "${NATIVE:-}${IKEV2_NATIVE:-}" ]; then
    if [ -z "${IKEV2_NATIVE:-}" ]; then
        IKEV2_NATIVE="$ROOT/out/ikev2"
        if [ -z "${SKIP_BUILD:-}" ]; then
            dotnet publish "$ROOT/Ikev2Client" -c Release -o "$ROOT/out" -v q -nologo >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log" >&2; die "publish failed"; }
        fi
    fi
    [ -x "$IKEV2_NATIVE" ] || die "no native ikev2 at $IKEV2_NATIVE"
    BUILDS="jit native"
fi
# EXTRA_BUILDS="LABEL=PATH ...": more builds to compare in the same run (e.g. publish variants).
for _e in ${EXTRA_BUILDS:-}; do [ -x "${_e#*=}" ] || die "no ikev2 at ${_e#*=}"; BUILDS="$BUILDS ${_e%%=*}"; done
binary_of() {
    case "$1" in
        jit) echo "$IKEV2" ;;
        native) echo "$IKEV2_NATIVE" ;;
        *) for _e in ${EXTRA_BUILDS:-}; do [ "${_e%%=*}" = "$1" ] && echo "${_e#*=}"; done ;;
    esac
}
# The service's defaults (runtimeconfig): workstation GC, concurrent off (the data path allocates nothing per
# packet); the JIT build tiers up with dynamic PGO, as it does by default.

# wait_for FILE TEXT SECONDS
wait_for() { _i=0; while [ $_i -lt $(($3 * 10)) ]; do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; _i=$((_i + 1)); done; return 1; }

# iperf_run: prints the received rate in Mbit/s
iperf_run() {
    ip netns exec "$TOPO_S" iperf3 -s -1 -D >/dev/null 2>&1
    sleep 0.5
    ip netns exec "$TOPO_C" iperf3 -c "$SW_SERVER_ADDR" -t "$SECONDS_RUN" -J > "$WORK/iperf.json" 2>&1 || { cat "$WORK/iperf.json" >&2; return 1; }
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' "$WORK/iperf.json"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"])' "$WORK/iperf.json" > "$WORK/iperf.bytes"
}

# cpu_ticks PID...: user + system CPU time of the processes so far, in clock ticks (/proc/PID/stat fields 14, 15).
cpu_ticks() { cat $(for _p in "$@"; do echo "/proc/$_p/stat"; done) | awk '{ t += $14 + $15 } END { print t }'; }
TICK=$(getconf CLK_TCK)

topo_up "$ID" || die "topology failed"

# ---- (a) ours ----
cat > "$WORK/responder.json" <<JSON
{
  "listenAddress": "$SW_GW_ADDR", "listenPort": 500, "natTPort": 4500,
  "psk": "$PSK", "localId": "gw.test", "remoteId": "client.test",
  "addressPool": "$SW_POOL", "dns": ["$SW_DNS"], "localSubnets": ["$SW_SERVER_SUBNET"],
  "ikeProposals": "$IKE", "espProposals": "$ESP", "mtu": 1400
}
JSON
cat > "$WORK/profile.json" <<JSON
{
  "name": "throughput", "serverAddr": "$SW_GW_ADDR", "authMethod": "psk", "psk": "$PSK",
  "userIdentity": "client.test", "remoteIdentity": "gw.test",
  "ikeProposal": "$IKE", "espProposal": "$ESP", "maxMtu": 1400
}
JSON
# ours_run BINARY: responder + connect with that binary, one iperf3 run; prints the rate.
ours_run() {
    ip netns exec "$TOPO_G" "$1" responder --config "$WORK/responder.json" >"$WORK/responder.out" 2>&1 &
    RESP_PID=$!
    wait_for "$WORK/responder.out" READY 30 || { cat "$WORK/responder.out" >&2; die "responder did not start"; }
    ip netns exec "$TOPO_C" "$1" connect "$WORK/profile.json" --foreground --stats >"$WORK/connect.out" 2>&1 &
    CONN_PID=$!
    wait_for "$WORK/connect.out" CONNECTED 30 || { cat "$WORK/connect.out" "$WORK/responder.out" >&2; die "our client did not connect"; }
    _cpu0=$(cpu_ticks "$CONN_PID" "$RESP_PID")
    _rate=$(iperf_run) || die "iperf3 through our tunnel failed"
    _cpu1=$(cpu_ticks "$CONN_PID" "$RESP_PID")
    kill -TERM "$CONN_PID"; wait "$CONN_PID"; _rc=$?; CONN_PID=
    kill -TERM "$RESP_PID"; wait "$RESP_PID"; RESP_PID=
    [ "$_rc" = 0 ] || { cat "$WORK/connect.out" >&2; die "ikev2 connect exited with $_rc"; }
    grep -E "^  out " "$WORK/connect.out" | sed 's/^/  client counters: /' >&2
    # CPU seconds that client and responder spent per GB carried (both ends of the tunnel are ours): the cost of
    # the data path, which the load of other work on the machine does not change as much as the rate.
    echo "$_rate $(python3 -c 'import sys; print("%.2f" % ((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]) / (int(sys.argv[4]) / 1e9)))' "$_cpu0" "$_cpu1" "$TICK" "$(cat "$WORK/iperf.bytes")")"
}
: > "$WORK/rates"
r=1
while [ $r -le "$ROUNDS" ]; do
    for b in $BUILDS; do
        result=$(ours_run "$(binary_of "$b")") || die "our $b build failed"
        echo "round $r, ours ($b): ${result% *} Mbit/s, ${result#* } CPU s/GB" >&2
        echo "$b $result" >> "$WORK/rates"
    done
    r=$((r + 1))
done

# ---- (b) strongSwan on both sides ----
charon_conf "$WORK/gateway" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0 esp 0"
charon_conf "$WORK/client" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0 esp 0"
psk_gateway_conf "$WORK/gateway/swanctl.conf" "$IKE" "$ESP" "$PSK"
psk_client_conf "$WORK/client/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_G" "$WORK/gateway" && charon_load "$WORK/gateway" || die "gateway charon did not start"
charon_start "$TOPO_C" "$WORK/client" && charon_load "$WORK/client" || die "client charon did not start"
sw "$WORK/client" --initiate --child net --timeout 15 >/dev/null 2>&1 || die "strongSwan client did not connect"
THEIRS=$(iperf_run) || die "iperf3 through the strongSwan tunnel failed"

echo "ESP $ESP, iperf3 -t $SECONDS_RUN TCP client -> server, $ROUNDS round(s)"
python3 - "$WORK/rates" "$THEIRS" <<'PY'
import statistics, sys
rates, cpu, theirs = {}, {}, float(sys.argv[2])
for line in open(sys.argv[1]):
    b, r, c = line.split(); rates.setdefault(b, []).append(float(r)); cpu.setdefault(b, []).append(float(c))
for b, rs in rates.items():
    med = statistics.median(rs)
    print(f"ours ({b}, ikev2 responder + ikev2 connect): {' / '.join(f'{r:.1f}' for r in rs)} Mbit/s, median {med:.1f}, ratio to strongSwan {med / theirs:.2f}x")
    print(f"  CPU (client + responder) per GB: {' / '.join(f'{c:.2f}' for c in cpu[b])} s, median {statistics.median(cpu[b]):.2f} s")
if "jit" in rates and "native" in rates:
    print(f"native / jit: rate {statistics.median(rates['native']) / statistics.median(rates['jit']):.2f}x, CPU per GB {statistics.median(cpu['native']) / statistics.median(cpu['jit']):.2f}x")
PY
echo "strongSwan (charon kernel-libipsec x2):  $THEIRS Mbit/s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared with other work: compare within a run, repeat for the spread)"
