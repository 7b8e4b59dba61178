#!/bin/sh
# What `ikev2 connect` needs besides root, checked against a strongSwan gateway: a user that is not root (nobody)
# runs the native ikev2 with no capabilities, then with CAP_NET_ADMIN as an ambient capability (setpriv), and the
# service the same way with the CLI of that user (no capabilities) talking to it. docs/using.md, "Privileges".
#
#   client (192.0.2.2) --veth-- (192.0.2.1) gateway (10.1.0.1) --veth-- (10.1.0.10) server
#
# usage (root): privileges.sh
# env: IKEV2_NATIVE=path (default out/ikev2, published unless SKIP_BUILD=1); RUN_AS=user (default nobody)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
. "$HERE/topology.sh"
IKE=aes256gcm16-prfsha256-x25519
ESP=aes256gcm16
PSK="ikev2client-privileges-psk"
RUN_AS=${RUN_AS:-nobody}
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in setpriv nft ping unshare; do command -v $t >/dev/null || { echo "privileges: $t is needed" >&2; exit 1; }; done
WORK=$(mktemp -d /tmp/ikev2pv.XXXXXX)
chmod 0755 "$WORK"
ID=ikpv$(printf %x $$)
PIDS=
cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    sleep 0.3
    charon_stop "$WORK/gateway" 2>/dev/null
    topo_down "$ID"
    rm -rf "/etc/netns/${ID}c" "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "privileges: $*" >&2; exit 1; }
result() { printf '%-5s %s\n' "$1" "$2"; }

IKEV2_NATIVE=${IKEV2_NATIVE:-$ROOT/out/ikev2}
if [ -z "${SKIP_BUILD:-}" ] && [ "$IKEV2_NATIVE" = "$ROOT/out/ikev2" ]; then
    dotnet publish "$ROOT/Ikev2Client" -c Release -o "$ROOT/out" -v q -nologo >"$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log" >&2; die "publish failed"; }
fi
[ -x "$IKEV2_NATIVE" ] || die "no native ikev2 at $IKEV2_NATIVE"
cp "$IKEV2_NATIVE" "$WORK/ikev2" && chmod 0755 "$WORK/ikev2"
IK=$WORK/ikev2
UID_=$(id -u "$RUN_AS") || die "no user $RUN_AS"
GID_=$(id -g "$RUN_AS")

topo_up "$ID" || die "topology failed"
# `ip netns exec` bind-mounts this over /etc/resolv.conf: the host's file is never the one a test touches.
mkdir -p "/etc/netns/$TOPO_C" && printf 'nameserver 192.0.2.53\n' > "/etc/netns/$TOPO_C/resolv.conf"
charon_conf "$WORK/gateway" "ike 0 cfg 0 knl 0 net 0 enc 0 job 0 lib 0 mgr 0 chd 0 dmn 0"
psk_gateway_conf "$WORK/gateway/swanctl.conf" "$IKE" "$ESP" "$PSK"
charon_start "$TOPO_G" "$WORK/gateway" && charon_load "$WORK/gateway" || die "gateway charon did not start"

HOME_=$WORK/home
mkdir -p "$HOME_" && chown "$UID_:$GID_" "$HOME_" && chmod 0700 "$HOME_"
profile() { # NAME EXTRA-JSON
    cat > "$WORK/$1.json" <<JSON
{ "name": "$1", "serverAddr": "$SW_GW_ADDR", "authMethod": "psk", "psk": "$PSK", "userIdentity": "client.test",
  "remoteIdentity": "gw.test", "ikeProposal": "$IKE", "espProposal": "$ESP" $2 }
JSON
    chmod 0644 "$WORK/$1.json"
}
profile plain ""
profile locked ', "alwaysOn": true, "lockdown": true'
# as RUN_AS, in the client namespace; CAPS=1: CAP_NET_ADMIN ambient (inherited by what it runs, e.g. nft)
as_user() {
    if [ "${CAPS:-}" = 1 ]; then set -- setpriv --reuid="$UID_" --regid="$GID_" --clear-groups --inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin "$@"
    else set -- setpriv --reuid="$UID_" --regid="$GID_" --clear-groups --inh-caps=-all "$@"; fi
    ip netns exec "$TOPO_C" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin IKEV2_HOME="$HOME_" IKEV2_NO_AUTOSTART=1 "$@"
}
as_user "$IK" profile import "$WORK/plain.json" >/dev/null && as_user "$IK" profile import "$WORK/locked.json" >/dev/null || die "import failed"
ping_server() { ip netns exec "$TOPO_C" ping -c 1 -W 2 "$SW_SERVER_ADDR" >/dev/null 2>&1; }

# foreground: connect, ping through the tunnel, SIGTERM (a background job ignores SIGINT); prints what it wrote first
stop() { for _c in $(pgrep -P "$1"); do kill -TERM "$_c" 2>/dev/null; done; wait "$1"; }
foreground() { # LABEL ARGS...
    _label=$1; shift
    as_user "$IK" connect "$@" --foreground >"$WORK/fg.out" 2>&1 &
    _pid=$!; PIDS="$PIDS $_pid"
    _n=0; while kill -0 $_pid 2>/dev/null && ! grep -q "CONNECTED" "$WORK/fg.out" && [ $_n -lt 150 ]; do sleep 0.1; _n=$((_n + 1)); done
    if grep -q "^CONNECTED" "$WORK/fg.out"; then
        ping_server && _ping="ping through the tunnel ok" || _ping="ping FAILED"
        stop $_pid; _rc=$?
        result "ok" "$_label: $(grep "^CONNECTED" "$WORK/fg.out" | cut -c1-90)…; $_ping; exit $_rc after SIGTERM"
    else
        stop $_pid; _rc=$?
        result "fails" "$_label: exit $_rc: $(grep -v '^ *$' "$WORK/fg.out" | grep -v ' warn ' | head -n 2 | tr '\n' ' ' | cut -c1-300)"
    fi
}

echo "user $RUN_AS (uid $UID_), ikev2 $("$IK" --version)"
foreground "no capabilities, connect --foreground" plain
CAPS=1 foreground "CAP_NET_ADMIN, connect --foreground (DNS applied: resolv.conf)" plain
CAPS=1 foreground "CAP_NET_ADMIN, connect --foreground --no-dns" plain --no-dns
CAPS=1 foreground "CAP_NET_ADMIN, lockdown profile, --no-dns" locked --no-dns
left="$(ip netns exec "$TOPO_C" ip rule show | grep 2300)$(ip netns exec "$TOPO_C" ip route show table 2300)$(ip netns exec "$TOPO_C" nft list tables | grep ikev2)"
[ -z "$left" ] && result "ok" "nothing left behind (no rule or route of table 2300, no nftables table)" || result "FAIL" "left behind: $left"

# a file capability on a copy of the binary (setcap cap_net_admin+ep): every user who runs it gets CAP_NET_ADMIN
if command -v setcap >/dev/null; then
    cp "$IK" "$WORK/ikev2-fcap" && chmod 0755 "$WORK/ikev2-fcap" && setcap cap_net_admin+ep "$WORK/ikev2-fcap"
    IK_PLAIN=$IK; IK=$WORK/ikev2-fcap
    foreground "file capability cap_net_admin+ep, connect --foreground --no-dns" plain --no-dns
    foreground "file capability cap_net_admin+ep, lockdown profile, --no-dns" locked --no-dns
    IK=$IK_PLAIN
fi

# root as the systemd unit runs it: CAP_NET_ADMIN only, no new privileges, /etc read-only (ProtectSystem=strict) except
# /etc/resolv.conf when the unit's ReadWritePaths=-/etc/resolv.conf makes it writable (DNS applied, no systemd-resolved)
as_unit() { # RESOLV: rw|ro
    _ro_resolv=; [ "$1" = ro ] && _ro_resolv="&& mount -o remount,bind,ro /etc/resolv.conf"; shift
    ip netns exec "$TOPO_C" unshare -m sh -c "mount --make-rprivate / && mount --rbind /etc /etc && mount -o remount,bind,ro /etc $_ro_resolv \
        && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin IKEV2_HOME=$WORK/roothome IKEV2_NO_AUTOSTART=1 \
           setpriv --bounding-set=-all,+net_admin --inh-caps=-all --no-new-privs $*"
}
mkdir -p "$WORK/roothome" && chmod 0700 "$WORK/roothome"
IKEV2_HOME="$WORK/roothome" "$IK" profile import "$WORK/plain.json" >/dev/null || die "import failed"
unit_foreground() { # LABEL RESOLV
    as_unit "$2" "$IK" connect plain --foreground >"$WORK/unit.out" 2>&1 &
    _pid=$!; PIDS="$PIDS $_pid"
    _n=0; while kill -0 $_pid 2>/dev/null && ! grep -q "CONNECTED" "$WORK/unit.out" && [ $_n -lt 150 ]; do sleep 0.1; _n=$((_n + 1)); done
    _dns=$(ip netns exec "$TOPO_C" cat /etc/resolv.conf | grep -c "^nameserver $SW_DNS")
    if grep -q "^CONNECTED" "$WORK/unit.out"; then
        ping_server && _ping="ping ok" || _ping="ping FAILED"
        stop $_pid
        _back=$(grep -c "192.0.2.53" "/etc/netns/$TOPO_C/resolv.conf")
        result "ok" "$1: CONNECTED, $_ping, resolv.conf had the VPN's DNS ($_dns), restored after SIGTERM ($_back)"
    else
        stop $_pid; _rc=$?
        result "fails" "$1: exit $_rc: $(grep '^error' "$WORK/unit.out" | cut -c1-200)"
    fi
}
unit_foreground "root, CAP_NET_ADMIN only, /etc read-only but /etc/resolv.conf (the unit)" rw
unit_foreground "root, CAP_NET_ADMIN only, /etc and /etc/resolv.conf read-only" ro

# the service with the capability, the user's CLI without any
CAPS=1 as_user "$IK" daemon --foreground --no-dns --no-always-on >"$WORK/daemon.log" 2>&1 &
PIDS="$PIDS $!"
_n=0; until as_user "$IK" status 2>/dev/null | grep -q "plain" || [ $_n -gt 100 ]; do sleep 0.1; _n=$((_n + 1)); done
if as_user "$IK" connect plain >"$WORK/svc.out" 2>&1; then
    ping_server && _ping="ping ok" || _ping="ping FAILED"
    result "ok" "daemon with CAP_NET_ADMIN, CLI without: $(head -n 1 "$WORK/svc.out" | cut -c1-80)…; $_ping"
    as_user "$IK" disconnect >/dev/null 2>&1
else
    result "fails" "daemon with CAP_NET_ADMIN: $(cat "$WORK/svc.out" | tr '\n' ' ' | cut -c1-300)"
fi
