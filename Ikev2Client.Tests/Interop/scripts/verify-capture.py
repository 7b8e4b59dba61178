#!/usr/bin/env python3
"""Checks a captured scenario folder independently of strongSwan: SKEYSEED = prf(Ni | Nr, g^ir), every SK/SKF
payload decrypts and authenticates with the logged SK_e*/SK_a*, every ESP packet decrypts with the child keys.
usage: verify-capture.py FIXTURE_DIR...   (needs python3-cryptography)"""
import glob, hashlib, hmac, json, os, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PRF = {"PRF_HMAC_SHA2_256": hashlib.sha256, "PRF_HMAC_SHA2_384": hashlib.sha384, "PRF_HMAC_SHA2_512": hashlib.sha512,
       "PRF_HMAC_SHA1": hashlib.sha1}
INTEG = {"HMAC_SHA2_256_128": (hashlib.sha256, 16), "HMAC_SHA2_384_192": (hashlib.sha384, 24),
         "HMAC_SHA2_512_256": (hashlib.sha512, 32), "HMAC_SHA1_96": (hashlib.sha1, 12)}


def payloads(msg):
    nxt, off = msg[16], 28
    while nxt and off + 4 <= len(msg):
        ln = int.from_bytes(msg[off + 2:off + 4], "big")
        yield nxt, msg[off:off + ln]
        nxt, off = msg[off], off + ln


def open_sk(msg, enc_key, integ_key, encr, integ):
    """Decrypts the SK (46) or SKF (53) payload of msg; returns inner plaintext (padding removed)."""
    first = msg[16]
    body_off = 28 + (8 if first == 53 else 4)
    data = msg[body_off:]
    if encr.startswith("AES_GCM_16"):
        key, salt = enc_key[:-4], enc_key[-4:]
        iv, ct = data[:8], data[8:]
        pt = AESGCM(key).decrypt(salt + iv, ct, msg[:body_off])
    else:
        h, n = INTEG[integ]
        mac = hmac.new(integ_key, msg[:-n], h).digest()[:n]
        assert mac == msg[-n:], "integrity check failed"
        iv, ct = data[:16], data[16:-n]
        d = Cipher(algorithms.AES(enc_key), modes.CBC(iv)).decryptor()
        pt = d.update(ct) + d.finalize()
    return pt[:len(pt) - pt[-1] - 1]


def esp_open(pkt, key, proposal, integ_key):
    if proposal.startswith("AES_GCM_16"):
        pt = AESGCM(key[:-4]).decrypt(key[-4:] + pkt[8:16], pkt[16:], pkt[:8])
    else:
        mac = hmac.new(integ_key, pkt[:-16], hashlib.sha256).digest()[:16]
        assert mac == pkt[-16:], "ESP ICV mismatch"
        d = Cipher(algorithms.AES(key), modes.CBC(pkt[8:24])).decryptor()
        pt = d.update(pkt[24:-16]) + d.finalize()
    pad = pt[-2]
    return pt[:len(pt) - 2 - pad], pt[-1]


def verify(folder):
    k = json.load(open(os.path.join(folder, "keys.json")))
    idx = json.load(open(os.path.join(folder, "messages.json")))
    msgs = [(m, bytes.fromhex(open(os.path.join(folder, m["file"])).read().strip())) for m in idx]
    init = [b for m, b in msgs if m["kind"] == "ike" and m["exchangeType"] == 34]
    nonce = lambda b: next(p for t, p in payloads(b) if t == 40)[4:]
    ni, nr = nonce(init[0]), nonce(init[1])
    assert init[0][:8].hex() == k["spiI"] and init[1][8:16].hex() == k["spiR"], "SPI mismatch"
    seed = hmac.new(ni + nr, bytes.fromhex(k["gir"]), PRF[k["prf"]]).digest()
    assert seed.hex() == k["skeyseed"], "SKEYSEED mismatch"
    n_ike = n_esp = 0
    for m, b in msgs:
        if m["kind"] == "ike" and m["exchangeType"] != 34:
            assert b[:8].hex() == k["spiI"], m["file"]
            ei = m["fromInitiator"]
            open_sk(b, bytes.fromhex(k["skEi"] if ei else k["skEr"]), bytes.fromhex(k["skAi"] if ei else k["skAr"]),
                    k["encr"], k["integ"])
            n_ike += 1
        elif m["kind"] == "esp":
            c = k["child"]
            out = m["spi"] == c["spiOutbound"]
            key = bytes.fromhex(c["encrInitiator"] if out else c["encrResponder"])
            ik = bytes.fromhex(c["integInitiator"] if out else c["integResponder"]) if c["integInitiator"] else b""
            inner, nh = esp_open(b, key, c["proposal"], ik)
            assert nh == 4 and inner[0] >> 4 == 4, "inner packet is not IPv4"
            n_esp += 1
    print(f"{folder}: SKEYSEED ok, {n_ike} encrypted IKE messages ok, {n_esp} ESP packets ok")


for f in sys.argv[1:]:
    verify(f)
