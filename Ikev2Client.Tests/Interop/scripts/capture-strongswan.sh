#!/bin/sh
# Captures real strongSwan IKEv2 exchanges for the wire-codec tests.
#
# usage (root): capture-strongswan.sh [OUTDIR] [SCENARIO...]
#   OUTDIR    default: Ikev2Client.Tests/Fixtures/strongswan
#   SCENARIO  psk-gcm psk-cbc cert-fragmented (default: all)
#
# For each scenario it builds a fresh client/gateway/server namespace topology, runs a strongSwan gateway and a
# strongSwan client (client log 'ike 4, chd 4': prints SK_* and child SA keys), records tcpdump on the client
# veth (UDP 500/4500), connects, pings the server through the tunnel, disconnects, and writes
# OUTDIR/<scenario>/{capture.pcap,keys.json,messages.json,charon-client.log,msg-*.hex,esp-*.hex}.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/topology.sh"
OUT=${1:-$HERE/../../Fixtures/strongswan}
[ $# -gt 0 ] && shift
SCENARIOS=${*:-psk-gcm psk-cbc cert-fragmented}
PSK="ikev2client-interop-test-psk"

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for t in swanctl pki tcpdump python3 ip; do command -v $t >/dev/null || { echo "missing $t" >&2; exit 1; }; done
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
WORK=$(mktemp -d /tmp/swcap.XXXXXX)
ID=swcap$(printf %x $$)
TCPDUMP_PID=
cleanup() {
    [ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
    charon_stop "$WORK/client" 2>/dev/null; charon_stop "$WORK/gateway" 2>/dev/null
    topo_down "$ID"
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "capture: $*" >&2; for f in "$WORK"/*/charon.log; do [ -f "$f" ] && { echo "== $f" >&2; tail -n 25 "$f" >&2; }; done; exit 1; }

# throwaway PKI: root CA -> intermediate CA -> gw.test / client.test (RSA 3072)
make_pki() {
    p=$WORK/pki; mkdir -p "$p"
    for k in ca im gw client; do pki --gen --type rsa --size 3072 --outform pem > "$p/$k.key" || return 1; done
    pki --self --ca --lifetime 3650 --in "$p/ca.key" --dn "C=CH, O=Ikev2Client Test, CN=Test Root CA" --outform pem > "$p/ca.crt"
    pki --issue --ca --lifetime 3650 --in "$p/im.key" --type priv --cacert "$p/ca.crt" --cakey "$p/ca.key" \
        --dn "C=CH, O=Ikev2Client Test, CN=Test Intermediate CA" --outform pem > "$p/im.crt"
    pki --issue --lifetime 3650 --in "$p/gw.key" --type priv --cacert "$p/im.crt" --cakey "$p/im.key" \
        --dn "C=CH, O=Ikev2Client Test, CN=gw.test" --san gw.test --flag serverAuth --flag ikeIntermediate --outform pem > "$p/gw.crt"
    pki --issue --lifetime 3650 --in "$p/client.key" --type priv --cacert "$p/im.crt" --cakey "$p/im.key" \
        --dn "C=CH, O=Ikev2Client Test, CN=client.test" --san client.test --flag clientAuth --outform pem > "$p/client.crt"
}

cert_conf() { # FILE ROLE(gw|client) IKE ESP
    f=$1; role=$2
    if [ "$role" = gw ]; then
        cat > "$f" <<CONF
connections {
    gw {
        version = 2
        local_addrs = $SW_GW_ADDR
        proposals = $3
        fragmentation = yes
        send_cert = always
        pools = pool4
        local { auth = pubkey
            certs = gw.crt
            cacerts = ca.crt
            id = gw.test }
        remote { auth = pubkey
            cacerts = ca.crt
            id = %any }
        children { net { local_ts = $SW_SERVER_SUBNET
            esp_proposals = $4 } }
    }
}
pools { pool4 { addrs = $SW_POOL
    dns = $SW_DNS } }
CONF
    else
        cat > "$f" <<CONF
connections {
    home {
        version = 2
        remote_addrs = $SW_GW_ADDR
        vips = 0.0.0.0
        proposals = $3
        fragmentation = yes
        send_cert = always
        local { auth = pubkey
            certs = client.crt
            cacerts = ca.crt
            id = client.test }
        remote { auth = pubkey
            cacerts = ca.crt
            id = gw.test }
        children { net { remote_ts = $SW_SERVER_SUBNET
            esp_proposals = $4 } }
    }
}
CONF
    fi
}

run_scenario() {
    name=$1; ike=$2; esp=$3; auth=$4; extra=${5:-}
    echo "== scenario $name ($auth, IKE $ike, ESP $esp)"
    topo_up "$ID" || die "topology failed"
    gw=$WORK/gateway; cl=$WORK/client
    rm -rf "$gw" "$cl"
    charon_conf "$gw" "ike 2 cfg 2" "$extra"
    # the client loads 'resolve' (writing to its own file) so that it requests DNS servers in CPRQ
    charon_conf "$cl" "ike 4 chd 4 cfg 2 net 1 enc 1" "$extra
    plugins { resolve { file = $cl/resolv.conf } }"
    sed -i "s/^\(    load = .*\)$/\1 resolve/" "$cl/strongswan.conf"
    if [ "$auth" = psk ]; then
        psk_gateway_conf "$gw/swanctl.conf" "$ike" "$esp" "$PSK"
        psk_client_conf "$cl/swanctl.conf" "$ike" "$esp" "$PSK"
    else
        [ -f "$WORK/pki/gw.crt" ] || make_pki || die "pki failed"
        cert_conf "$gw/swanctl.conf" gw "$ike" "$esp"
        cert_conf "$cl/swanctl.conf" client "$ike" "$esp"
        for d in "$gw" "$cl"; do cp "$WORK/pki/ca.crt" "$d/x509ca/"; cp "$WORK/pki/im.crt" "$d/x509/"; done
        cp "$WORK/pki/gw.crt" "$gw/x509/"; cp "$WORK/pki/gw.key" "$gw/private/"
        cp "$WORK/pki/client.crt" "$cl/x509/"; cp "$WORK/pki/client.key" "$cl/private/"
    fi
    charon_start "$TOPO_G" "$gw" || die "gateway charon"
    charon_load "$gw" || die "gateway config"
    charon_start "$TOPO_C" "$cl" || die "client charon"
    charon_load "$cl" || die "client config"

    rm -f "$WORK/capture.pcap" "$WORK/tcpdump.out"   # a stale "listening on" would let us start too early
    ip netns exec "$TOPO_C" tcpdump -i "$TOPO_CDEV" --immediate-mode -Z root -U -n -s 0 -w "$WORK/capture.pcap" 'udp port 500 or udp port 4500' \
        </dev/null >"$WORK/tcpdump.out" 2>&1 &
    TCPDUMP_PID=$!
    i=0; until grep -q "listening on" "$WORK/tcpdump.out" 2>/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
    sw "$cl" --initiate --child net --timeout 15 > "$WORK/initiate.out" 2>&1 || { cat "$WORK/initiate.out"; die "initiate failed"; }
    replies=0; tries=0
    while [ $replies -lt 2 ] && [ $tries -lt 6 ]; do
        icmp_ping "$TOPO_C" "$SW_SERVER_ADDR" && replies=$((replies + 1)); tries=$((tries + 1))
    done
    [ $replies -ge 2 ] || die "no ping reply through the tunnel"
    sw "$cl" --list-sas > "$WORK/list-sas.out" 2>&1
    sw "$cl" --terminate --ike home --timeout 10 > "$WORK/terminate.out" 2>&1 || die "terminate failed"
    sleep 0.3
    kill -INT "$TCPDUMP_PID"; wait "$TCPDUMP_PID" 2>/dev/null; TCPDUMP_PID=
    charon_stop "$cl"; charon_stop "$gw"
    topo_down "$ID"

    dest=$OUT/$name; mkdir -p "$dest"
    cp "$WORK/capture.pcap" "$dest/capture.pcap"
    if [ "$auth" = cert ]; then
        cp "$WORK/pki/ca.crt" "$WORK/pki/im.crt" "$WORK/pki/gw.crt" "$WORK/pki/client.crt" "$dest/"
    fi
    meta="{\"scenario\":\"$name\",\"ikeProposal\":\"$ike\",\"espProposal\":\"$esp\",\"auth\":\"$auth\",\"clientAddress\":\"$SW_CLIENT_ADDR\""
    [ "$auth" = psk ] && meta="$meta,\"psk\":\"$PSK\""
    python3 "$HERE/capture-extract.py" "$dest/capture.pcap" "$cl/charon.log" "$dest" "$meta}" || die "extract failed"
}

for s in $SCENARIOS; do
    case $s in
        psk-gcm) run_scenario psk-gcm aes256gcm16-prfsha256-x25519 aes256gcm16 psk ;;
        psk-cbc) run_scenario psk-cbc aes128-sha256-modp2048 aes128-sha256 psk ;;
        cert-fragmented) run_scenario cert-fragmented aes256-sha256-ecp256 aes256-sha256 cert "    fragment_size = 600" ;;
        *) die "unknown scenario $s" ;;
    esac
done
echo "fixtures written to $OUT"
