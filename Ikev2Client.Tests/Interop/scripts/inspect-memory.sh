#!/bin/sh
# Peak memory (maximum RSS) of `ikev2 inspect` on ~120 MB captures, to show it streams (docs/hostile-input.md):
#   ike.pcap  the cert-fragmented strongSwan exchange (Fixtures/strongswan) repeated: 303,084 IKE frames
#   esp.pcap  83,001 ESP frames of 1,500 bytes
#   esp12.pcap the first 12 MiB of esp.pcap
# Each is inspected as text, as JSON and (ike.pcap) with the keys; output goes to /dev/null.
#
# usage: inspect-memory.sh [IKEV2=path to the ikev2 binary]   (needs python3 and GNU time)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
IKEV2=${1:-$ROOT/Ikev2Client/bin/Release/net10.0/ikev2}
FIX=$ROOT/Ikev2Client.Tests/Fixtures/strongswan/cert-fragmented
WORK=$(mktemp -d /tmp/ikev2mem.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 - "$FIX/capture.pcap" "$WORK" <<'PY'
import struct, sys
src = open(sys.argv[1], 'rb').read()
recs, off = [], 24
while off < len(src):
    incl = struct.unpack('<I', src[off + 8:off + 12])[0]
    recs.append(src[off:off + 16 + incl]); off += 16 + incl
body = b''.join(recs)
with open(sys.argv[2] + '/ike.pcap', 'wb') as out:
    out.write(src[:24]); size = 24
    while size < 120 << 20: out.write(body); size += len(body)
def frame(payload):
    u = struct.pack('>HHHH', 4500, 4500, 8 + len(payload), 0) + payload
    ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 0, 0, 64, 17, 0, bytes([192, 0, 2, 2]), bytes([192, 0, 2, 1]))
    return b'\0' * 12 + b'\x08\x00' + ip + u
rec = frame(struct.pack('>II', 0xc0010203, 1) + b'\xab' * 1450)
with open(sys.argv[2] + '/esp.pcap', 'wb') as out:
    out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)); size, n = 24, 0
    while size < 120 << 20:
        out.write(struct.pack('<IIII', 1700000000 + n // 1000, n % 1000, len(rec), len(rec)) + rec); size += 16 + len(rec); n += 1
PY
head -c 12582912 "$WORK/esp.pcap" > "$WORK/esp12.pcap"
run() {
    /usr/bin/time -f '%M %e' -o "$WORK/t" "$IKEV2" inspect "$@" > /dev/null 2>&1 || true
    read -r kb secs <<EOT
$(tail -n 1 "$WORK/t")
EOT
    printf '%-40s %6d MB  %6.1f s\n' "$*" $((kb / 1024)) "$secs" | sed "s|$WORK/||g; s|$FIX/||g"
}
run "$WORK/ike.pcap"
run "$WORK/ike.pcap" --keys "$FIX/keys.json"
run "$WORK/esp.pcap"
run "$WORK/esp.pcap" --json
run "$WORK/esp12.pcap"
