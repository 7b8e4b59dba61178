#!/bin/sh
# Measures how long a strongSwan client needs to connect to the strongSwan gateway (IKE_SA_INIT sent until the
# CHILD_SA is established), in the same namespace topology as the interop tests.
#
# usage (root): strongswan-baseline.sh [COUNT=20] [IKE_PROPOSAL] [ESP_PROPOSAL]
# Prints every sample and the median in ms: "wall" = around `swanctl --initiate` (includes vici round trips),
# "log" = client charon log "initiating IKE_SA" -> "CHILD_SA ... established" (millisecond timestamps).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/topology.sh"
COUNT=${1:-20}
IKE=${2:-aes256gcm16-prfsha256-x25519}
ESP=${3:-aes256gcm16}
PSK="ikev2client-baseline-psk"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
WORK=$(mktemp -d /tmp/swbase.XXXXXX)
ID=swbl$(printf %x $$)
cleanup() { charon_stop "$WORK/client"; charon_stop "$WORK/gateway"; topo_down "$ID"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "baseline: $*" >&2; exit 1; }

topo_up "$ID" || die "topology failed"
charon_conf "$WORK/gateway" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0"
charon_conf "$WORK/client" "ike 1"
psk_gateway_conf "$WORK/gateway/swanctl.conf" "$IKE" "$ESP" "$PSK"
psk_client_conf "$WORK/client/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_G" "$WORK/gateway" && charon_load "$WORK/gateway" || die "gateway did not start"
charon_start "$TOPO_C" "$WORK/client" && charon_load "$WORK/client" || die "client did not start"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
: > "$WORK/wall"
i=0
while [ $i -lt "$COUNT" ]; do
    t0=$(now_us)
    sw "$WORK/client" --initiate --child net --timeout 10 >/dev/null 2>&1 || die "initiate $i failed"
    t1=$(now_us)
    echo $((t1 - t0)) >> "$WORK/wall"
    sw "$WORK/client" --terminate --ike home --timeout 10 >/dev/null 2>&1 || die "terminate $i failed"
    i=$((i + 1))
done

python3 - "$WORK/wall" "$WORK/client/charon.log" <<'PY'
import re, statistics, sys
from datetime import datetime
wall = [int(l) / 1000 for l in open(sys.argv[1]) if l.strip()]
log, starts, samples = open(sys.argv[2]).read().splitlines(), {}, []
ts = lambda l: datetime.strptime(l.split()[0], "%H:%M:%S.%f")
for l in log:
    m = re.search(r"initiating IKE_SA \S+\[(\d+)\]", l)
    if m: starts[m.group(1)] = ts(l)
    m = re.search(r"\[IKE\] CHILD_SA \S+ established", l)
    if m and starts:
        k = max(starts, key=int); samples.append((ts(l) - starts.pop(k)).total_seconds() * 1000)
print("wall ms:", " ".join(f"{x:.1f}" for x in wall))
print("log  ms:", " ".join(f"{x:.0f}" for x in samples))
print(f"median connect time (wall, swanctl --initiate): {statistics.median(wall):.1f} ms over {len(wall)} connects")
if samples:
    print(f"median connect time (charon log, IKE_SA_INIT -> CHILD_SA): {statistics.median(samples):.1f} ms")
PY
