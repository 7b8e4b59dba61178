#!/bin/sh
# Start-up, connect time and footprint of the `ikev2` command and service, beside strongSwan, in one run:
#
#   client (192.0.2.2) --veth-- (192.0.2.1) gateway (10.1.0.1) --veth-- (10.1.0.10) server
#
# The gateway is strongSwan charon (PSK, address pool). For each build of ours (the NativeAOT publish output and,
# unless NO_JIT=1, the JIT build) the service runs in the client namespace with its own IKEV2_HOME; the CLI talks
# to it over its Unix socket from outside the namespace (as swanctl talks to charon over vici), so no
# `ip netns exec` is timed. Then a strongSwan client charon runs in the client namespace and `swanctl --initiate`
# is timed against the same gateway.
#
#   1. `ikev2 --version`, `ikev2 status` without a service, `ikev2 status` with the service and a connected profile
#      (beside `swanctl --list-sas` with one IKE SA up);
#   2. `ikev2 connect NAME` (service running; `ikev2 disconnect NAME` before each run, untimed) and
#      `swanctl --initiate --child net` (`swanctl --terminate` before each run, untimed);
#   3. the service's VmRSS / RssAnon / RssFile / threads (from /proc/PID/status): idle, connected, and connected
#      after an iperf3 burst of BURST seconds through the tunnel.
#
# Times are wall-clock medians over COUNT runs: hyperfine (-N, no shell) when it is installed
# (apt-get install hyperfine), else a loop around each command with `date +%s%N`.
#
# usage (root): startup.sh [COUNT=30] [BURST=5]
# env: SKIP_BUILD=1 uses the existing build and publish output; IKEV2_NATIVE / IKEV2_JIT = paths to the binaries;
#      NO_JIT=1 measures the native build only.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$HERE/topology.sh"
COUNT=${1:-30}
BURST=${2:-5}
IKE=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
PSK="ikev2client-startup-psk"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/ikev2su.XXXXXX)
ID=iksu$(printf %x $$)
DAEMON_PID=
cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
    sleep 0.3
    charon_stop "$WORK/client" 2>/dev/null; charon_stop "$WORK/gateway" 2>/dev/null
    topo_down "$ID"; rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "startup: $*" >&2; exit 1; }

IKEV2_NATIVE=${IKEV2_NATIVE:-$ROOT/out/ikev2}
IKEV2_JIT=${IKEV2_JIT:-$ROOT/Ikev2Client/bin/Release/net10.0/ikev2}
if [ -z "${SKIP_BUILD:-}" ]; then
    dotnet publish "$ROOT/Ikev2Client" -c Release -o "$ROOT/out" -v q -nologo >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log" >&2; die "publish failed"; }
    [ -n "${NO_JIT:-}" ] || dotnet build "$ROOT/Ikev2Client/Ikev2Client.csproj" -c Release -v q -nologo >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build failed"; }
fi
[ -x "$IKEV2_NATIVE" ] || die "no native ikev2 at $IKEV2_NATIVE"
BUILDS="native"
if [ -z "${NO_JIT:-}" ]; then [ -x "$IKEV2_JIT" ] || die "no JIT ikev2 at $IKEV2_JIT"; BUILDS="native jit"; fi
binary_of() { if [ "$1" = native ]; then echo "$IKEV2_NATIVE"; else echo "$IKEV2_JIT"; fi; }
HYPERFINE=$(command -v hyperfine || true)
[ -n "$HYPERFINE" ] || echo "startup: hyperfine is not installed; timing with a date +%s%N loop" >&2
RESULTS="$WORK/results"
: > "$RESULTS"

# timeit LABEL PREPARE COMMAND: median wall time of COMMAND over COUNT runs, PREPARE (or "") before each run.
# Appends "LABEL<TAB>median_ms<TAB>min_ms" to RESULTS. COMMAND must succeed.
timeit() {
    _label=$1; _prep=$2; _cmd=$3
    if [ -n "$HYPERFINE" ]; then
        if [ -n "$_prep" ]; then
            "$HYPERFINE" -N --warmup 3 --runs "$COUNT" --prepare "$_prep" --export-json "$WORK/h.json" "$_cmd" >"$WORK/h.out" 2>&1 \
                || { cat "$WORK/h.out" >&2; die "$_label failed"; }
        else
            "$HYPERFINE" -N --warmup 3 --runs "$COUNT" --export-json "$WORK/h.json" "$_cmd" >"$WORK/h.out" 2>&1 \
                || { cat "$WORK/h.out" >&2; die "$_label failed"; }
        fi
        python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%s\t%.1f\t%.1f" % (sys.argv[2], r["median"]*1e3, r["min"]*1e3))' \
            "$WORK/h.json" "$_label" >> "$RESULTS"
    else
        : > "$WORK/samples"
        _i=0
        while [ $_i -lt $((COUNT + 3)) ]; do
            [ -n "$_prep" ] && { sh -c "$_prep" >/dev/null 2>&1 || die "$_label: prepare failed"; }
            _t0=$(date +%s%N)
            sh -c "exec $_cmd" >/dev/null 2>&1 || die "$_label failed"
            _t1=$(date +%s%N)
            [ $_i -ge 3 ] && echo $((_t1 - _t0)) >> "$WORK/samples"
            _i=$((_i + 1))
        done
        python3 -c 'import statistics,sys; s=[int(l)/1e6 for l in open(sys.argv[1])]; print("%s\t%.1f\t%.1f" % (sys.argv[2], statistics.median(s), min(s)))' \
            "$WORK/samples" "$_label" >> "$RESULTS"
    fi
    tail -n 1 "$RESULTS" | awk -F'\t' '{printf "  %-58s median %7s ms  (min %s ms)\n", $1, $2, $3}' >&2
}

# memory LABEL PID: VmRSS, RssAnon, RssFile and Threads of PID.
memory() {
    awk -v l="$1" '/^VmRSS|^RssAnon|^RssFile|^Threads/ { v[$1] = $2 } END {
        printf "%s\tVmRSS %.1f MB\tRssAnon %.1f MB\tRssFile %.1f MB\tthreads %d\n", l, v["VmRSS:"]/1024, v["RssAnon:"]/1024, v["RssFile:"]/1024, v["Threads:"] }' \
        "/proc/$2/status" | tee -a "$WORK/memory" >&2
}

# breakdown LABEL PID: where the resident memory of PID is (smaps Rss per mapping, anonymous mappings summed
# except the largest ones, which are the GC heap and thread stacks) and the names of its threads.
breakdown() {
    python3 - "$1" "$2" >> "$WORK/breakdown" <<'PY'
import collections, os, sys
label, pid = sys.argv[1], sys.argv[2]
rss, name, anon = collections.Counter(), None, []
for line in open(f"/proc/{pid}/smaps"):
    f = line.split()
    if not f[0].endswith(":") or len(f[0]) > 1 and "-" in f[0]:
        name = f[5] if len(f) > 5 else "[anon]"
        name = os.path.basename(name) if name.startswith("/") else name
    elif f[0] == "Rss:" and int(f[1]) > 0:
        rss[name] += int(f[1])
        if name == "[anon]": anon.append(int(f[1]))
threads = collections.Counter(open(f"/proc/{pid}/task/{t}/comm").read().strip() for t in os.listdir(f"/proc/{pid}/task"))
anon.sort(reverse=True)
print(f"{label}: " + ", ".join(f"{n} {k / 1024:.1f} MB" for n, k in rss.most_common(8)))
print(f"  largest anonymous mappings (KB): {anon[:8]}; {len(anon)} in all")
print("  threads: " + ", ".join(f"{n} x{c}" if c > 1 else n for n, c in sorted(threads.items())))
PY
}

# wait_until SECONDS COMMAND...: polls COMMAND every 0.1 s.
wait_until() { _n=$(($1 * 10)); shift; while [ $_n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; _n=$((_n - 1)); done; return 1; }

iperf_burst() {
    ip netns exec "$TOPO_S" iperf3 -s -1 -D >/dev/null 2>&1
    sleep 0.5
    ip netns exec "$TOPO_C" iperf3 -c "$SW_SERVER_ADDR" -t "$BURST" >/dev/null 2>&1
}

topo_up "$ID" || die "topology failed"
charon_conf "$WORK/gateway" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0"
psk_gateway_conf "$WORK/gateway/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_G" "$WORK/gateway" && charon_load "$WORK/gateway" || die "gateway charon did not start"

cat > "$WORK/profile.json" <<JSON
{
  "name": "bench", "serverAddr": "$SW_GW_ADDR", "authMethod": "psk", "psk": "$PSK",
  "userIdentity": "client.test", "remoteIdentity": "gw.test",
  "ikeProposal": "$IKE", "espProposal": "$ESP"
}
JSON

echo "== ikev2 (service in the client namespace; CLI over its Unix socket)" >&2
for b in $BUILDS; do
    IK=$(binary_of "$b")
    export IKEV2_HOME="$WORK/home-$b" IKEV2_NO_AUTOSTART=1
    mkdir -p "$IKEV2_HOME"
    "$IK" profile import "$WORK/profile.json" >/dev/null || die "$b: profile import failed"
    timeit "$b: ikev2 --version" "" "$IK --version"
    timeit "$b: ikev2 status (no service running)" "" "$IK status"
    ip netns exec "$TOPO_C" "$IK" daemon --foreground --no-always-on >"$WORK/daemon-$b.log" 2>&1 &
    DAEMON_PID=$!
    wait_until 30 "$IK" status || { cat "$WORK/daemon-$b.log" >&2; die "$b: the service did not start"; }
    sleep 1
    memory "$b: service idle (no connection)" "$DAEMON_PID"
    "$IK" connect bench >"$WORK/connect.out" 2>&1 || { cat "$WORK/connect.out" "$WORK/daemon-$b.log" >&2; die "$b: connect failed"; }
    sleep 1
    memory "$b: service connected, before traffic" "$DAEMON_PID"
    iperf_burst || die "$b: iperf3 through the tunnel failed"
    sleep 1
    memory "$b: service connected, after ${BURST} s of iperf3" "$DAEMON_PID"
    breakdown "$b: service connected, after ${BURST} s of iperf3" "$DAEMON_PID"
    timeit "$b: ikev2 status (service running, 1 profile connected)" "" "$IK status"
    timeit "$b: ikev2 connect bench (service running)" "$IK disconnect bench" "$IK connect bench"
    "$IK" disconnect bench >/dev/null 2>&1
    kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=
    unset IKEV2_HOME IKEV2_NO_AUTOSTART
done

echo "== strongSwan client (charon in the client namespace; swanctl over vici)" >&2
charon_conf "$WORK/client" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0"
psk_client_conf "$WORK/client/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_C" "$WORK/client" && charon_load "$WORK/client" || die "client charon did not start"
URI="--uri unix://$WORK/client/charon.vici"
timeit "strongSwan: swanctl --initiate --child net" "sh -c 'swanctl --terminate --ike home --timeout 10 $URI || true'" "swanctl --initiate --child net --timeout 10 $URI"
# the last timed run left the SA up
swanctl --list-sas $URI 2>/dev/null | grep -q ESTABLISHED || swanctl --initiate --child net --timeout 10 $URI >/dev/null 2>&1 \
    || die "strongSwan client did not connect"
timeit "strongSwan: swanctl --list-sas (1 IKE SA up)" "" "swanctl --list-sas $URI"
CHARON_PID=$(cat "$WORK/client/charon.pid")
memory "strongSwan: client charon connected" "$CHARON_PID"
breakdown "strongSwan: client charon connected" "$CHARON_PID"

echo
echo "median wall time over $COUNT runs ($([ -n "$HYPERFINE" ] && echo "hyperfine -N" || echo "date +%s%N loop")):"
awk -F'\t' '{printf "  %-58s %7s ms  (min %s ms)\n", $1, $2, $3}' "$RESULTS"
echo "memory (/proc/PID/status):"
sed 's/^/  /' "$WORK/memory"
echo "resident memory by mapping (/proc/PID/smaps) and threads:"
sed 's/^/  /' "$WORK/breakdown"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (2 cores shared with other work)"
