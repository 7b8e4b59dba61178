#!/bin/sh
# Runs the native service under the restrictions of packaging/ikev2.service that can be applied without systemd
# as PID 1, against a strongSwan gateway, and checks what the unit assumes:
#
#   - capabilities: only CAP_NET_ADMIN in the bounding set (setpriv), no new privileges;
#   - MemoryDenyWriteExecute: the kernel's PR_SET_MDWE (Linux 6.3+) before exec, inherited by the service;
#   - SystemCallFilter=@system-service ~@privileged @resources and RestrictAddressFamilies: every system call and
#     socket family the service used (strace -f) is compared with those sets (systemd-analyze syscall-filter)
#     and with AF_UNIX AF_INET AF_INET6 AF_NETLINK;
#   - `systemd-analyze verify` and `systemd-analyze security --offline` of the unit.
#
# The service connects, carries an iperf3 burst, answers status, disconnects, connects again and stops on SIGTERM.
#
#   client (192.0.2.2) --veth-- (192.0.2.1) gateway (10.1.0.1) --veth-- (10.1.0.10) server
#
# usage (root): service-sandbox.sh
# env: IKEV2_NATIVE=path (default out/ikev2, published unless SKIP_BUILD=1); KEEP_TRACE=FILE keeps the strace.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$HERE/topology.sh"
IKE=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
PSK="ikev2client-sandbox-psk"
UNIT="$ROOT/packaging/ikev2.service"
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in strace setpriv systemd-analyze iperf3 python3; do command -v $t >/dev/null || { echo "service-sandbox: $t is needed" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/ikev2sb.XXXXXX)
ID=iksb$(printf %x $$)
DAEMON_PID=
cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
    sleep 0.3
    charon_stop "$WORK/gateway" 2>/dev/null
    topo_down "$ID"
    if [ -n "${KEEP_TRACE:-}" ]; then cp "$WORK/strace" "$KEEP_TRACE"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
FAILED=0
die() { echo "service-sandbox: $*" >&2; exit 1; }
check() { if [ "$1" = ok ]; then echo "ok    $2"; else echo "FAIL  $2"; FAILED=1; fi; }

IKEV2_NATIVE=${IKEV2_NATIVE:-$ROOT/out/ikev2}
if [ -z "${SKIP_BUILD:-}" ] && [ "$IKEV2_NATIVE" = "$ROOT/out/ikev2" ]; then
    dotnet publish "$ROOT/Ikev2Client" -c Release -o "$ROOT/out" -v q -nologo >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log" >&2; die "publish failed"; }
fi
[ -x "$IKEV2_NATIVE" ] || die "no native ikev2 at $IKEV2_NATIVE"
IK=$IKEV2_NATIVE

# ---- the unit itself ----
sed "s|/usr/local/bin/ikev2|$IK|" "$UNIT" > "$WORK/ikev2.service"
systemd-analyze verify "$WORK/ikev2.service" >"$WORK/verify.out" 2>&1 && check ok "systemd-analyze verify" || { cat "$WORK/verify.out"; check fail "systemd-analyze verify"; }
EXPOSURE=$(systemd-analyze security --offline=yes "$WORK/ikev2.service" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: *//p')
echo "      systemd-analyze security --offline: exposure $EXPOSURE"

# ---- the service under the restrictions ----
topo_up "$ID" || die "topology failed"
charon_conf "$WORK/gateway" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0"
psk_gateway_conf "$WORK/gateway/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_G" "$WORK/gateway" && charon_load "$WORK/gateway" || die "gateway charon did not start"
cat > "$WORK/profile.json" <<JSON
{
  "name": "sandbox", "serverAddr": "$SW_GW_ADDR", "authMethod": "psk", "psk": "$PSK",
  "userIdentity": "client.test", "remoteIdentity": "gw.test", "ikeProposal": "$IKE", "espProposal": "$ESP"
}
JSON
export IKEV2_HOME="$WORK/home" IKEV2_NO_AUTOSTART=1
mkdir -p "$IKEV2_HOME"
"$IK" profile import "$WORK/profile.json" >/dev/null || die "profile import failed"
PY=$(command -v /usr/bin/python3 || command -v python3)
cat > "$WORK/mdwe.py" <<'PY'
import ctypes, os, sys
PR_SET_MDWE, PR_GET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 66, 1
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
    sys.exit(f"PR_SET_MDWE failed: {os.strerror(ctypes.get_errno())} (needs Linux 6.3+)")
os.execv(sys.argv[1], sys.argv[1:])
PY
ip netns exec "$TOPO_C" strace -f -qq -o "$WORK/strace" \
    setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs \
    "$PY" "$WORK/mdwe.py" "$IK" daemon --foreground >"$WORK/daemon.log" 2>&1 &
DAEMON_PID=$!
n=0; until "$IK" status >/dev/null 2>&1 && [ -S "$IKEV2_HOME/run/ikev2.sock" ]; do n=$((n + 1)); [ $n -gt 300 ] && { cat "$WORK/daemon.log"; die "the service did not start"; }; sleep 0.1; done
SVC=$(pgrep -n -f "$IK daemon --foreground" || true)
[ -n "$SVC" ] && grep -q "^CapEff:.*0000000000001000$" "/proc/$SVC/status" && check ok "effective capabilities: CAP_NET_ADMIN only ($(grep CapEff /proc/$SVC/status | tr -s '\t ' ' '))" \
    || check fail "effective capabilities: $(grep CapEff "/proc/$SVC/status" 2>/dev/null)"
[ -n "$SVC" ] && grep -q "^NoNewPrivs:.*1" "/proc/$SVC/status" && check ok "no new privileges" || check fail "no new privileges"
"$IK" connect sandbox >"$WORK/connect.out" 2>&1 && check ok "connect: $(head -n 1 "$WORK/connect.out")" || { cat "$WORK/connect.out" "$WORK/daemon.log"; check fail "connect"; }
ip netns exec "$TOPO_S" iperf3 -s -1 -D >/dev/null 2>&1; sleep 0.5
ip netns exec "$TOPO_C" iperf3 -c "$SW_SERVER_ADDR" -t 3 >"$WORK/iperf.out" 2>&1 && check ok "iperf3 through the tunnel: $(grep receiver "$WORK/iperf.out" | awk '{print $7, $8}')" || check fail "iperf3 through the tunnel"
"$IK" status sandbox --json | grep -q '"state":"CONNECTED"' && check ok "status" || check fail "status"
"$IK" disconnect sandbox >/dev/null 2>&1 && check ok "disconnect" || check fail "disconnect"
"$IK" connect sandbox >/dev/null 2>&1 && check ok "connect again" || check fail "connect again"
kill -TERM "$SVC"
wait "$DAEMON_PID"; RC=$?; DAEMON_PID=
[ "$RC" = 0 ] && grep -q "ikev2 service stopped" "$WORK/daemon.log" && check ok "SIGTERM: clean stop" || { tail -n 5 "$WORK/daemon.log"; check fail "SIGTERM: exit $RC"; }
grep -qi "PROT_EXEC\|W^X\|mprotect" "$WORK/daemon.log" && check fail "the service logged a W^X problem" || check ok "runs with PR_SET_MDWE (MemoryDenyWriteExecute)"

# ---- system calls and socket families the service used ----
python3 - "$WORK/strace" "$IK" <<'PY'
import re, subprocess, sys
trace, prog = sys.argv[1], sys.argv[2]
def expand(group, seen):
    out = subprocess.run(["systemd-analyze", "syscall-filter", group], capture_output=True, text=True).stdout.splitlines()[1:]
    names = set()
    for line in (l.strip() for l in out):
        if not line or line.startswith("#"): continue
        if line.startswith("@"):
            if line not in seen: seen.add(line); names |= expand(line, seen)
        else: names.add(line)
    return names
allowed = expand("@system-service", set())
# Everything after setpriv and python exec'd the service is the service (it starts no process of its own).
used, families, execd = set(), set(), False
for line in open(trace):
    m = re.match(r"(\d+)\s+(?:<\.\.\. )?(\w+)[( ]", line)
    if not m: continue
    pid, call = m.groups()
    if call == "execve" and re.match(r'\d+\s+execve\("' + re.escape(prog) + '"', line) and line.rstrip().endswith("= 0"): execd = True
    if not execd or call in ("exited", "killed"): continue
    used.add(call)
    if call == "socket":
        f = re.search(r"socket\((AF_\w+)", line)
        if f: families.add(f.group(1))
if not {"socket", "ioctl", "sendmsg"} <= used:
    sys.exit(f"FAIL  the trace shows {len(used)} system calls of the service: it was not traced (strace output changed?)")
denied = expand("@privileged", set()) | expand("@resources", set())
missing = sorted((used - allowed) | (used & denied))
print(f"ok    {len(used)} system calls used, all in @system-service and none in @privileged or @resources" if not missing
      else f"FAIL  system calls the unit's SystemCallFilter refuses: {' '.join(missing)}")
bad = sorted(families - {"AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"})
print(f"{'ok  ' if not bad else 'FAIL'}  socket families: {' '.join(sorted(families))}")
sys.exit(1 if missing or bad else 0)
PY
[ $? = 0 ] || FAILED=1
[ $FAILED = 0 ] && echo "all checks passed" || echo "some checks FAILED"
exit $FAILED
