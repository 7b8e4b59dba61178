#!/bin/sh
# Hybrid post-quantum IKE end to end with the real commands, C# to C#: `ikev2 responder` in one network namespace,
# `ikev2 daemon` + `ikev2 connect` + `ikev2 status` in another, X25519 + ML-KEM-768 (docs/post-quantum.md).
# Needs root (namespaces, TUN). Everything lives in two throw-away namespaces and a temporary IKEV2_HOME.
# usage: sudo sh Ikev2Client.Tests/Interop/scripts/post-quantum-cli.sh   (after dotnet build -c Release)
set -eu
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
B="dotnet $ROOT/Ikev2Client/bin/Release/net10.0/ikev2.dll"
GW=pqgw$$; CL=pqcl$$
WORK=$(mktemp -d /tmp/ikev2-pq.XXXXXX)
cleanup() { kill "${DP:-}" "${RP:-}" 2>/dev/null || true; ip netns del $GW 2>/dev/null || true; ip netns del $CL 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
ip netns add $GW; ip netns add $CL
ip link add vg$$ type veth peer name vc$$
ip link set vg$$ netns $GW; ip link set vc$$ netns $CL
ip -n $GW addr add 192.0.2.1/24 dev vg$$; ip -n $GW link set vg$$ up; ip -n $GW link set lo up
ip -n $CL addr add 192.0.2.2/24 dev vc$$; ip -n $CL link set vc$$ up; ip -n $CL link set lo up
ip -n $GW addr add 10.1.0.1/24 dev lo
PSK=$(head -c 18 /dev/urandom | base64)
umask 077
cat > "$WORK/responder.json" <<J
{"listenAddress":"192.0.2.1","psk":"$PSK","localId":"gw.test","remoteId":"client.test","addressPool":"10.3.0.0/24",
 "localSubnets":["10.1.0.0/24"],"ikeProposals":"aes256gcm16-prfsha384-x25519-ke1_mlkem768","interfaceName":"pqr%d"}
J
cat > "$WORK/pq.json" <<J
{"name":"pq","serverAddr":"192.0.2.1","authMethod":"psk","psk":"$PSK","userIdentity":"client.test","remoteIdentity":"gw.test",
 "ikeProposal":"aes256gcm16-prfsha384-x25519-ke1_mlkem768"}
J
ip netns exec $GW $B responder --config "$WORK/responder.json" > "$WORK/responder.log" 2>&1 & RP=$!
export IKEV2_HOME="$WORK/home" IKEV2_NO_AUTOSTART=1
ip netns exec $CL $B daemon --foreground --no-dns --no-always-on > "$WORK/daemon.log" 2>&1 & DP=$!
sleep 4
ip netns exec $CL $B connect "$WORK/pq.json"
ip netns exec $CL ping -c 5 -i 0.2 10.1.0.1 | tail -2
ip netns exec $CL $B status
ip netns exec $CL $B disconnect
grep "IKE SA established" "$WORK/responder.log"
