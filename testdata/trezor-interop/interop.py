#!/usr/bin/python3
"""trezorlib (Debian's python3-trezor, 0.12.x) against hardfolio's simulated Trezor.

    /usr/bin/python3 interop.py PORT HARDFOLIO

PORT is the UDP port of "hardfolio sim trezor" started with the BIP39
reference mnemonic ("abandon ... about"); HARDFOLIO is the binary. The
script checks, with trezorlib unchanged:

  - Features: vendor, model and a firmware version trezorlib accepts;
  - public nodes and addresses against BIP 44/49/84 published vectors and
    against what hardfolio's own client reads ("hw xpub", "hw address");
  - signing: a two-input wpkh transaction with change, signed by
    trezorlib, verified by hardfolio's script engine ("wallet psbt
    finalize") after hardfolio signed the same transaction as a PSBT
    ("hw sign"); both must give the same bytes (RFC 6979 signatures are
    deterministic).

It exits non-zero on the first disagreement.
"""
import base64
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile

from trezorlib import btc, messages, tools
from trezorlib.client import TrezorClient
from trezorlib.transport.udp import UdpTransport

PORT, BIN = sys.argv[1], sys.argv[2]
URI = "trezor-udp:127.0.0.1:" + PORT
H = 0x80000000


def fail(msg):
    print("FAIL:", msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok  ", msg)


def hardfolio(*args):
    out = subprocess.run([BIN, *args], capture_output=True, text=True)
    if out.returncode != 0:
        fail("hardfolio %s: %s" % (" ".join(args), out.stderr))
    return out.stdout


class UI:
    """No PIN, no passphrase: buttons are confirmed by the simulator."""

    def button_request(self, code):
        pass

    def get_pin(self, code=None):
        fail("the simulator asked for a PIN")

    def get_passphrase(self, available_on_device=False):
        fail("the simulator asked for a passphrase")


client = TrezorClient(UdpTransport("127.0.0.1:" + PORT), ui=UI())
f = client.features

# --- Features -----------------------------------------------------------
check(f.vendor == "trezor.io", "vendor trezor.io")
check(f.model == "1", "model 1 (Trezor One)")
check((f.major_version, f.minor_version) >= (1, 8), "firmware %d.%d.%d accepted" % (f.major_version, f.minor_version, f.patch_version))
check(f.initialized and not f.bootloader_mode, "initialised, not in bootloader")

# --- Public nodes --------------------------------------------------------
S = messages.InputScriptType
fp = btc.get_public_node(client, [H]).node.fingerprint  # HWI's master fingerprint
check(fp == 0x73C5DA0A, "master fingerprint 73c5da0a (BIP 84 vector)")
hf_fp = hardfolio("hw", "fingerprint", "--device", URI).strip()
check(hf_fp == "%08x" % fp, "hardfolio reads the same fingerprint")

zpub = btc.get_public_node(client, tools.parse_path("m/84h/0h/0h"), coin_name="Bitcoin", script_type=S.SPENDWITNESS).xpub
check(zpub == "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs",
      "BIP 84 account zpub")
xpub44 = btc.get_public_node(client, tools.parse_path("m/44h/0h/0h"), coin_name="Bitcoin").xpub
check(xpub44 == "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj",
      "BIP 44 account xpub")
hf_xpub = json.loads(hardfolio("hw", "xpub", "m/44h/0h/0h", "--device", URI, "--json"))["xpub"]
check(hf_xpub == xpub44, "hardfolio reads the same BIP 44 xpub")
tpub84 = btc.get_public_node(client, tools.parse_path("m/84h/1h/0h"), coin_name="Testnet").xpub
hf_tpub = json.loads(hardfolio("hw", "xpub", "m/84h/1h/0h", "--device", URI, "--json"))["xpub"]
check(hf_tpub == tpub84, "hardfolio reads the same testnet tpub")

# --- Addresses -----------------------------------------------------------
vectors = [
    ("Bitcoin", "m/44h/0h/0h/0/0", S.SPENDADDRESS, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"),
    ("Testnet", "m/49h/1h/0h/0/0", S.SPENDP2SHWITNESS, "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"),
    ("Bitcoin", "m/84h/0h/0h/0/0", S.SPENDWITNESS, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"),
]
for coin, path, st, want in vectors:
    got = btc.get_address(client, coin, tools.parse_path(path), script_type=st)
    check(got == want, "address %s %s" % (path, want))
desc = "wpkh([73c5da0a/84h/1h/0h]%s/<0;1>/*)" % tpub84
for i in (0, 1):
    got = btc.get_address(client, "Testnet", tools.parse_path("m/84h/1h/0h/0/%d" % i), script_type=S.SPENDWITNESS)
    hf = hardfolio("hw", "address", "--device", URI, "--descriptor", desc, "--index", str(i)).strip()
    check(got == hf, "hardfolio gives the same address at index %d (%s)" % (i, got))

# --- Signing ---------------------------------------------------------------
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_program(addr):
    """The witness program of a v0 bech32 address (BIP 173)."""
    data = [CHARSET.find(c) for c in addr[addr.rfind("1") + 1:-6]]
    acc, bits, out = 0, 0, []
    for v in data[1:]:
        acc, bits = (acc << 5) | v, bits + 5
        while bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    return bytes(out)


def compact(n):
    if n < 0xFD:
        return bytes([n])
    return b"\xfd" + struct.pack("<H", n)


def ser_tx(version, ins, outs, locktime):
    """ins: (txid display bytes, index, script_sig, sequence); outs: (amount, script)."""
    b = struct.pack("<i", version) + compact(len(ins))
    for txid, idx, ss, seq in ins:
        b += txid[::-1] + struct.pack("<I", idx) + compact(len(ss)) + ss + struct.pack("<I", seq)
    b += compact(len(outs))
    for amount, script in outs:
        b += struct.pack("<q", amount) + compact(len(script)) + script
    return b + struct.pack("<I", locktime)


def txid(raw):
    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1]


def kv(key, value):
    return compact(len(key)) + key + compact(len(value)) + value


def derivation(path):
    return struct.pack(">I", fp) + b"".join(struct.pack("<I", p) for p in path)


def wpkh(path):
    a = btc.get_address(client, "Testnet", path, script_type=S.SPENDWITNESS)
    return b"\x00\x14" + bech32_program(a)


def pubkey(path):
    return btc.get_public_node(client, path, coin_name="Testnet").node.public_key


acct = tools.parse_path("m/84h/1h/0h")
in_paths = [acct + [0, i] for i in (0, 1)]
change_path = acct + [1, 0]
ext_addr = btc.get_address(client, "Testnet", tools.parse_path("m/84h/1h/1h/0/0"), script_type=S.SPENDWITNESS)
ext_script = b"\x00\x14" + bech32_program(ext_addr)

prevs, t_inputs, prev_txes = [], [], {}
amounts = [150_000, 87_654]
for i, path in enumerate(in_paths):
    raw = ser_tx(2, [(bytes([i + 1]) * 32, 0, b"\x51", 0xFFFFFFFE)], [(5_000, b"\x6a"), (amounts[i], wpkh(path))], 0)
    h = txid(raw)
    prevs.append((raw, h))
    prev_txes[h] = messages.TransactionType(
        version=2, lock_time=0,
        inputs=[messages.TxInputType(prev_hash=bytes([i + 1]) * 32, prev_index=0, script_sig=b"\x51", sequence=0xFFFFFFFE)],
        bin_outputs=[messages.TxOutputBinType(amount=5_000, script_pubkey=b"\x6a"),
                     messages.TxOutputBinType(amount=amounts[i], script_pubkey=wpkh(path))])
    t_inputs.append(messages.TxInputType(address_n=path, prev_hash=h, prev_index=1, amount=amounts[i],
                                         script_type=S.SPENDWITNESS, sequence=0xFFFFFFFD))
pay, fee = 200_000, 1_000
change = sum(amounts) - pay - fee
t_outputs = [
    messages.TxOutputType(address=ext_addr, amount=pay, script_type=messages.OutputScriptType.PAYTOADDRESS),
    messages.TxOutputType(address_n=change_path, amount=change, script_type=messages.OutputScriptType.PAYTOWITNESS),
]
sigs, signed = btc.sign_tx(client, "Testnet", t_inputs, t_outputs, details=messages.SignTx(version=2, lock_time=0), prev_txes=prev_txes)
check(len(sigs) == 2 and all(sigs), "trezorlib got two signatures")

# The same transaction as a PSBT (BIP 174), signed by hardfolio.
unsigned = ser_tx(2, [(h, 1, b"", 0xFFFFFFFD) for _, h in prevs], [(pay, ext_script), (change, wpkh(change_path))], 0)
psbt = b"psbt\xff" + kv(b"\x00", unsigned) + b"\x00"
for (raw, _), path, amount in zip(prevs, in_paths, amounts):
    psbt += kv(b"\x00", raw) + kv(b"\x01", struct.pack("<q", amount) + compact(22) + wpkh(path))
    psbt += kv(b"\x06" + pubkey(path), derivation(path)) + b"\x00"
psbt += b"\x00" + kv(b"\x02" + pubkey(change_path), derivation(change_path)) + b"\x00"

with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "pay.psbt")
    with open(p, "w") as fh:
        fh.write(base64.b64encode(psbt).decode() + "\n")
    hardfolio("hw", "sign", p, "--device", URI, "-o", os.path.join(d, "signed.psbt"))
    hardfolio("wallet", "psbt", "finalize", os.path.join(d, "signed.psbt"), "--tx", os.path.join(d, "tx.hex"))
    with open(os.path.join(d, "tx.hex")) as fh:
        hf_tx = fh.read().strip()
check(True, "hardfolio signed the PSBT and its script engine verified every input")
check(hf_tx == signed.hex(), "trezorlib's signed transaction is byte for byte the one hardfolio verified (%s)" % txid(unsigned).hex())
print("trezor interop: all checks passed")
