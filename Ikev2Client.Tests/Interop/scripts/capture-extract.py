#!/usr/bin/env python3
"""Turns one strongSwan capture (client-side pcap + client charon log with 'ike 4, chd 4') into test fixtures.

usage: capture-extract.py PCAP CHARON_LOG OUTDIR META_JSON

Writes into OUTDIR: msg-NN-<EXCHANGE>-<request|response>[-fragKofM].hex (IKE message bytes, the non-ESP marker
of port 4500 removed), esp-NN-<out|in>.hex (ESP-in-UDP packets), messages.json (index), keys.json
(SPIs, SK_* and child SA keys parsed from the log) and charon-client.log (trimmed; the PSK dump removed).
"""
import json, os, re, struct, sys

EXCHANGES = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL", 43: "IKE_INTERMEDIATE"}


def read_pcap(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap file")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def udp_packets(path):
    for linktype, frame in read_pcap(path):
        if linktype == 1:  # Ethernet
            if struct.unpack("!H", frame[12:14])[0] != 0x0800:
                continue
            ip = frame[14:]
        elif linktype == 113:  # Linux cooked
            ip = frame[16:]
        elif linktype == 101:  # raw IP
            ip = frame
        else:
            raise SystemExit(f"unsupported link type {linktype}")
        if ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        src, dst = ".".join(map(str, ip[12:16])), ".".join(map(str, ip[16:20]))
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        yield src, sport, dst, dport, ip[ihl + 8:ihl + ulen][: total - ihl - 8]


def parse_log_dumps(lines):
    """Returns {label: [bytes, ...]} for every 'LABEL => N bytes @ 0x...' dump, in log order."""
    head = re.compile(r"^(?:\S+ )?(\d+)\[(\w+)\] (.*) => (\d+) bytes @ 0x[0-9a-f]+$")
    row = re.compile(r"^(?:\S+ )?(\d+)\[(\w+)\]\s+(\d+): (.*)$")
    dumps, i = {}, 0
    while i < len(lines):
        m = head.match(lines[i])
        i += 1
        if not m:
            continue
        thread, label, n = m.group(1), m.group(3).strip(), int(m.group(4))
        buf = bytearray()
        j = i
        while len(buf) < n and j < len(lines):
            r = row.match(lines[j])
            j += 1
            if not r or r.group(1) != thread or int(r.group(3)) != len(buf):
                continue  # another thread's line interleaved
            tokens = r.group(4)[:48].split()
            buf += bytes(int(t, 16) for t in tokens[: min(16, n - len(buf))])
        if len(buf) == n:
            dumps.setdefault(label, []).append(bytes(buf))
    return dumps


def main():
    pcap, logpath, out, meta = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.startswith(("msg-", "esp-")) and f.endswith(".hex"):
            os.remove(os.path.join(out, f))
    client = meta["clientAddress"]
    index, n, esp_n, spi_i, spi_r = [], 0, 0, None, None
    for src, sport, dst, dport, payload in udp_packets(pcap):
        natt = 4500 in (sport, dport)
        if natt and len(payload) == 1 and payload[0] == 0xFF:
            continue  # NAT-T keepalive
        if natt and payload[:4] != b"\0\0\0\0":
            esp_n += 1
            name = f"esp-{esp_n:02d}-{'out' if src == client else 'in'}.hex"
            open(os.path.join(out, name), "w").write(payload.hex() + "\n")
            index.append({"file": name, "kind": "esp", "from": f"{src}:{sport}", "to": f"{dst}:{dport}",
                          "spi": payload[:4].hex(), "seq": struct.unpack("!I", payload[4:8])[0], "length": len(payload)})
            continue
        ike = payload[4:] if natt else payload
        if len(ike) < 28:
            continue
        exch, flags = ike[18], ike[19]
        mid, length = struct.unpack("!II", ike[20:28])
        if exch == 34 and flags & 0x20:
            spi_i, spi_r = ike[:8].hex(), ike[8:16].hex()
        n += 1
        kind = "response" if flags & 0x20 else "request"
        name = f"msg-{n:02d}-{EXCHANGES.get(exch, str(exch))}-{kind}"
        frag = None
        if ike[16] == 53 and len(ike) >= 36:  # SKF: fragment number and total in clear
            num, tot = struct.unpack("!HH", ike[32:36])
            frag = {"number": num, "total": tot}
            name += f"-frag{num}of{tot}"
        name += ".hex"
        open(os.path.join(out, name), "w").write(ike.hex() + "\n")
        index.append({"file": name, "kind": "ike", "exchange": EXCHANGES.get(exch, str(exch)), "exchangeType": exch,
                      "response": bool(flags & 0x20), "fromInitiator": bool(flags & 0x08), "messageId": mid,
                      "firstPayload": ike[16], "length": length, "fragment": frag,
                      "from": f"{src}:{sport}", "to": f"{dst}:{dport}", "nonEspMarkerRemoved": natt})
    if spi_i is None:
        raise SystemExit("no IKE_SA_INIT response in the capture")

    lines = open(logpath, errors="replace").read().splitlines()
    d = parse_log_dumps(lines)
    first = lambda label: d[label][0].hex() if label in d else ""
    text = "\n".join(lines)
    ike_prop = re.search(r"selected proposal: IKE:(\S+)", text)
    esp_prop = re.search(r"selected proposal: ESP:(\S+)", text)
    parts = ike_prop.group(1).split("/") if ike_prop else []
    spis = re.findall(r"adding (inbound|outbound) ESP SA\n(?:\S+ )?\d+\[CHD\]\s+SPI 0x([0-9a-f]+)", text)
    keys = {
        "scenario": meta["scenario"], "ikeProposal": meta["ikeProposal"], "espProposal": meta["espProposal"],
        "auth": meta["auth"], "psk": meta.get("psk", ""),
        "spiI": spi_i, "spiR": spi_r,
        "encr": parts[0] if parts else "",
        "integ": next((p for p in parts[1:] if p.startswith("HMAC") or p.startswith("AES_XCBC") or p.startswith("AES_CMAC")), ""),
        "prf": next((p for p in parts if p.startswith("PRF_")), ""),
        "dh": parts[-1] if parts else "",
        "gir": first("shared Diffie Hellman secret"), "skeyseed": first("SKEYSEED"),
        "skD": first("Sk_d secret"), "skAi": first("Sk_ai secret"), "skAr": first("Sk_ar secret"),
        "skEi": first("Sk_ei secret"), "skEr": first("Sk_er secret"),
        "skPi": first("Sk_pi secret"), "skPr": first("Sk_pr secret"),
        "child": {
            "proposal": esp_prop.group(1) if esp_prop else "",
            "spiInbound": dict(spis).get("inbound", ""), "spiOutbound": dict(spis).get("outbound", ""),
            "encrInitiator": first("encryption initiator key"), "encrResponder": first("encryption responder key"),
            "integInitiator": first("integrity initiator key"), "integResponder": first("integrity responder key"),
        },
        "notes": "The client is the IKE initiator. child.spiInbound: SPI the client chose (carried by gateway->client "
                 "ESP), encrypted with encrResponder; child.spiOutbound: gateway's SPI (client->gateway ESP), encrypted "
                 "with encrInitiator. Keys from the client's charon log (ike 4, chd 4); gir = shared DH secret g^ir.",
    }
    json.dump(keys, open(os.path.join(out, "keys.json"), "w"), indent=2)
    open(os.path.join(out, "keys.json"), "a").write("\n")
    json.dump(index, open(os.path.join(out, "messages.json"), "w"), indent=2)
    open(os.path.join(out, "messages.json"), "a").write("\n")

    # trimmed log: from the initiation on, without the PSK dump (' secret => ' with no other label)
    start = next((i for i, l in enumerate(lines) if "initiating IKE_SA" in l), 0)
    kept, skip_thread, skip_left = [], None, 0
    psk_head = re.compile(r"^(?:\S+ )?(\d+)\[\w+\] secret => (\d+) bytes")
    row = re.compile(r"^(?:\S+ )?(\d+)\[\w+\]\s+\d+: ")
    for l in lines[start:]:
        m = psk_head.match(l)
        if m:
            skip_thread, skip_left = m.group(1), (int(m.group(2)) + 15) // 16
            kept.append(l.split(" secret =>")[0] + " secret => (pre-shared key dump removed)")
            continue
        r = row.match(l)
        if skip_left and r and r.group(1) == skip_thread:
            skip_left -= 1
            continue
        kept.append(l)
    open(os.path.join(out, "charon-client.log"), "w").write("\n".join(kept) + "\n")
    print(f"{out}: {n} IKE messages, {esp_n} ESP packets, SPIi {spi_i}, encr {keys['encr']}")


main()
