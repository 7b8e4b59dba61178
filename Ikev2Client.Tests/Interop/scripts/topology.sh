# Shell helpers for the strongSwan interop topology (sourced by capture-strongswan.sh and strongswan-baseline.sh).
#
#   client (192.0.2.2) --veth-- (192.0.2.1) gateway (10.1.0.1) --veth-- (10.1.0.10) server
#
# Needs root, iproute2 and strongSwan 5.9 (charon, swanctl). The kernel may lack ESP: charon runs with
# kernel-libipsec (userspace ESP over a TUN device), each instance in its own namespace with a private /run.

SW_CLIENT_ADDR=192.0.2.2
SW_GW_ADDR=192.0.2.1
SW_GW_INNER_ADDR=10.1.0.1
SW_SERVER_ADDR=10.1.0.10
SW_SERVER_SUBNET=10.1.0.0/24
SW_POOL=10.3.0.0/24
SW_DNS=10.1.0.53
SW_CHARON=${SW_CHARON:-/usr/lib/ipsec/charon}
SW_PLUGINS="random nonce x509 revocation constraints pubkey pkcs1 pkcs7 pkcs8 pkcs12 pgp dnskey sshkey pem openssl gcrypt aes sha1 sha2 md5 gmp curve25519 hmac cmac xcbc ctr ccm gcm chapoly drbg mgf1 kdf kernel-libipsec kernel-netlink socket-default vici updown eap-identity eap-md5 eap-mschapv2 eap-tls attr"

# topo_up ID: creates namespaces ${ID}c ${ID}g ${ID}s (ID at most 12 chars) and the two veth links.
topo_up() {
    _id=$1
    TOPO_C=${_id}c; TOPO_G=${_id}g; TOPO_S=${_id}s
    TOPO_CDEV=${_id}cg; TOPO_GDEV=${_id}gc
    for _n in "$TOPO_C" "$TOPO_G" "$TOPO_S"; do
        ip netns add "$_n" || return 1
        ip -n "$_n" link set lo up || return 1
    done
    # create each veth pair directly inside the namespaces: the names never clash in the root namespace
    ip -n "$TOPO_C" link add "$TOPO_CDEV" type veth peer name "$TOPO_GDEV" netns "$TOPO_G" || return 1
    ip -n "$TOPO_G" link add "${_id}gs" type veth peer name "${_id}sg" netns "$TOPO_S" || return 1
    ip -n "$TOPO_C" addr add "$SW_CLIENT_ADDR/24" dev "$TOPO_CDEV"
    ip -n "$TOPO_G" addr add "$SW_GW_ADDR/24" dev "$TOPO_GDEV"
    ip -n "$TOPO_G" addr add "$SW_GW_INNER_ADDR/24" dev "${_id}gs"
    ip -n "$TOPO_S" addr add "$SW_SERVER_ADDR/24" dev "${_id}sg"
    ip -n "$TOPO_C" link set "$TOPO_CDEV" up
    ip -n "$TOPO_G" link set "$TOPO_GDEV" up
    ip -n "$TOPO_G" link set "${_id}gs" up
    ip -n "$TOPO_S" link set "${_id}sg" up
    ip -n "$TOPO_S" route add default via "$SW_GW_INNER_ADDR"
    ip netns exec "$TOPO_G" sysctl -qw net.ipv4.ip_forward=1
}

# topo_down ID: kills every process in the three namespaces and deletes them (never fails).
topo_down() {
    for _n in "${1}c" "${1}g" "${1}s"; do
        for _p in $(ip netns pids "$_n" 2>/dev/null); do kill -9 "$_p" 2>/dev/null; done
    done
    sleep 0.2
    for _n in "${1}c" "${1}g" "${1}s"; do ip netns del "$_n" 2>/dev/null; done
    return 0
}

# charon_conf DIR "ike 4 chd 4" [EXTRA]: writes DIR/strongswan.conf (filelog DIR/charon.log; vici DIR/charon.vici).
# EXTRA is raw text placed inside the charon { } section.
charon_conf() {
    _dir=$1; _levels=$2; _extra=${3:-}
    mkdir -p "$_dir" "$_dir/x509" "$_dir/x509ca" "$_dir/private"
    _lv=""
    set -- $_levels
    while [ $# -ge 2 ]; do _lv="$_lv        $1 = $2
"; shift 2; done
    cat > "$_dir/strongswan.conf" <<CONF
charon {
    load = $SW_PLUGINS
    install_routes = yes
    install_virtual_ip = yes
    retransmit_tries = 3
    retransmit_timeout = 1.0
$_extra
    plugins {
        vici {
            socket = unix://$_dir/charon.vici
        }
    }
    filelog {
        main {
            path = $_dir/charon.log
            time_format = %H:%M:%S
            time_add_ms = yes
            append = no
            flush_line = yes
            default = 1
$_lv        }
    }
    syslog {
        daemon {
            default = -1
        }
    }
}
CONF
}

# sw DIR ARGS...: swanctl against the charon of DIR.
sw() { _dir=$1; shift; swanctl "$@" --uri "unix://$_dir/charon.vici"; }

# charon_start NS DIR: starts charon in NS with DIR/strongswan.conf, waits (10 s max) until vici answers.
charon_start() {
    _ns=$1; _dir=$2
    rm -f "$_dir/charon.vici" "$_dir/charon.pid"
    STRONGSWAN_CONF="$_dir/strongswan.conf" setsid ip netns exec "$_ns" unshare -m \
        sh -c "echo \$\$ > '$_dir/charon.pid'; mount -t tmpfs none /run && exec $SW_CHARON" \
        </dev/null >"$_dir/charon.stdout" 2>&1 &
    _i=0
    while [ $_i -lt 100 ]; do
        if [ -S "$_dir/charon.vici" ] && sw "$_dir" --stats >/dev/null 2>&1; then return 0; fi
        sleep 0.1; _i=$((_i + 1))
    done
    echo "charon in $_ns did not start; log tail:" >&2
    tail -n 30 "$_dir/charon.log" "$_dir/charon.stdout" >&2 2>/dev/null
    return 1
}

# charon_stop DIR: SIGTERM, then SIGKILL after 5 s.
charon_stop() {
    [ -f "$1/charon.pid" ] || return 0
    _pid=$(cat "$1/charon.pid")
    kill "$_pid" 2>/dev/null || return 0
    _i=0
    while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -9 "$_pid" 2>/dev/null
    rm -f "$1/charon.pid"
    return 0
}

# charon_load DIR: loads DIR/swanctl.conf (and DIR/x509*, DIR/private).
charon_load() { sw "$1" --load-all --file "$1/swanctl.conf" >"$1/load.out" 2>&1 || { cat "$1/load.out" >&2; return 1; }; }

# Writes a swanctl.conf for a PSK gateway: psk_gateway_conf FILE IKE_PROPOSAL ESP_PROPOSAL PSK
psk_gateway_conf() {
    cat > "$1" <<CONF
connections {
    gw {
        version = 2
        local_addrs = $SW_GW_ADDR
        proposals = $2
        pools = pool4
        local {
            auth = psk
            id = gw.test
        }
        remote {
            auth = psk
            id = %any
        }
        children {
            net {
                local_ts = $SW_SERVER_SUBNET
                esp_proposals = $3
            }
        }
    }
}
pools {
    pool4 {
        addrs = $SW_POOL
        dns = $SW_DNS
    }
}
secrets {
    ike-gw {
        secret = "$4"
    }
}
CONF
}

# Writes a swanctl.conf for a PSK road-warrior client: psk_client_conf FILE IKE_PROPOSAL ESP_PROPOSAL PSK
psk_client_conf() {
    cat > "$1" <<CONF
connections {
    home {
        version = 2
        remote_addrs = $SW_GW_ADDR
        vips = 0.0.0.0
        proposals = $2
        local {
            auth = psk
            id = client.test
        }
        remote {
            auth = psk
            id = gw.test
        }
        children {
            net {
                remote_ts = $SW_SERVER_SUBNET
                esp_proposals = $3
            }
        }
    }
}
secrets {
    ike-home {
        id = gw.test
        secret = "$4"
    }
}
CONF
}

# icmp_ping NS ADDR: one ICMP echo from NS (raw socket via python3, the machine has no ping binary); 0 on reply.
icmp_ping() {
    ip netns exec "$1" python3 - "$2" <<'PY'
import os, socket, struct, sys, time
def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
ident = os.getpid() & 0xffff
pkt = struct.pack('!BBHHH', 8, 0, 0, ident, 1) + b'ikev2-interop-ping'
pkt = pkt[:2] + struct.pack('!H', csum(pkt)) + pkt[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(2)
s.sendto(pkt, (sys.argv[1], 0)); end = time.time() + 2
while time.time() < end:
    d, a = s.recvfrom(2048)
    ihl = (d[0] & 15) * 4
    if d[ihl] == 0 and struct.unpack('!H', d[ihl + 4:ihl + 6])[0] == ident: sys.exit(0)
sys.exit(1)
PY
}
