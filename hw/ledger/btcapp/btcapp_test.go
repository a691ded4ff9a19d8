package btcapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"

	"codeberg.org/hardfolio/hardfolio/hw/internal/hextest"
)

const h = policy.Hardened

// Default-policy key of the app's tests/test_get_wallet_address.py.
const key84 = "[f5acc2fd/84'/1'/0']tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P"

// Command bytes laid out by hand from the command tables.
func TestCommandBytes(t *testing.T) {
	if got := GetMasterFingerprintCommand(); !bytes.Equal(got, hextest.Bytes(t, "e1 05 00 01 00")) {
		t.Errorf("GET_MASTER_FINGERPRINT = %x", got)
	}
	if got := GetAppAndVersionCommand(); !bytes.Equal(got, hextest.Bytes(t, "b0 01 00 00 00")) {
		t.Errorf("GET_APP_AND_VERSION = %x", got)
	}
	got, _ := GetExtendedPubkeyCommand([]uint32{84 | h, 1 | h, 0 | h}, false)
	if !bytes.Equal(got, hextest.Bytes(t, "e1 00 00 01 0e 00 03 80000054 80000001 80000000")) {
		t.Errorf("GET_EXTENDED_PUBKEY = %x", got)
	}
	got, _ = GetExtendedPubkeyCommand(nil, true)
	if !bytes.Equal(got, hextest.Bytes(t, "e1 00 00 01 02 01 00")) {
		t.Errorf("GET_EXTENDED_PUBKEY m = %x", got)
	}
	if _, err := GetExtendedPubkeyCommand(make([]uint32, 9), false); !errors.Is(err, ErrArgument) {
		t.Error("9-step path accepted")
	}
	var id, mac [32]byte
	id[0], mac[31] = 0xAA, 0xBB
	got = GetWalletAddressCommand(id, mac, true, 0x01020304, true)
	want := hextest.Bytes(t, "e1 03 00 01 46 01"+"aa"+strings.Repeat("00", 31)+strings.Repeat("00", 31)+"bb"+"01 01020304")
	if !bytes.Equal(got, want) {
		t.Errorf("GET_WALLET_ADDRESS = %x", got)
	}
	got, _ = RegisterWalletCommand([]byte{2, 0})
	if !bytes.Equal(got, hextest.Bytes(t, "e1 02 00 01 03 02 02 00")) {
		t.Errorf("REGISTER_WALLET = %x", got)
	}
	got, _ = ContinueCommand([]byte{0xAB})
	if !bytes.Equal(got, hextest.Bytes(t, "f8 01 00 01 01 ab")) {
		t.Errorf("CONTINUE = %x", got)
	}
	commit := append([]byte{1}, make([]byte, 64)...)
	got, _ = SignPSBTCommand(commit, 2, merkle.Hash{1}, 3, merkle.Hash{2}, id, [32]byte{})
	if len(got) != 5+65+1+32+1+32+64 || got[4] != byte(len(got)-5) || got[5+65] != 2 || got[5+65+33] != 3 || got[5+65+1] != 1 {
		t.Errorf("SIGN_PSBT = %x", got)
	}
}

func TestSimpleCommands(t *testing.T) {
	f := &fakeDevice{script: func(d *dev, c apdu.Command) ([]byte, uint16) {
		switch {
		case c.CLA == 0xB0 && c.INS == 0x01:
			return append([]byte{1, 7}, append([]byte("Bitcoin"), append([]byte{5}, append([]byte("2.4.6"), 1, 0x02)...)...)...), 0x9000
		case c.CLA == 0xE1 && c.INS == 0x05:
			return []byte{0xf5, 0xac, 0xc2, 0xfd}, 0x9000
		case c.CLA == 0xE1 && c.INS == 0x00:
			if c.Data[1] == 2 {
				return nil, 0x6A82 // non-standard path
			}
			return []byte("tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P"), 0x9000
		}
		return nil, 0x6E00
	}}
	c := New(f)
	ctx := context.Background()
	info, err := c.AppAndVersion(ctx)
	if err != nil || info.Name != "Bitcoin" || info.Version != "2.4.6" || !bytes.Equal(info.Flags, []byte{2}) {
		t.Errorf("AppAndVersion = %+v, %v", info, err)
	}
	fpr, err := c.MasterFingerprint(ctx)
	if err != nil || fpr != 0xf5acc2fd {
		t.Errorf("MasterFingerprint = %08x, %v", fpr, err)
	}
	xpub, err := c.ExtendedPubkey(ctx, []uint32{84 | h, 1 | h, 0 | h}, false)
	if err != nil || !strings.HasPrefix(xpub, "tpubDCtKfsNy") {
		t.Errorf("ExtendedPubkey = %q, %v", xpub, err)
	}
	_, err = c.ExtendedPubkey(ctx, []uint32{1, 2}, false)
	if !errors.Is(err, apdu.ErrBadData) || apdu.Hint(err) == "" {
		t.Errorf("non-standard path: %v", err)
	}
	// An interruption on a command that never needs data is an error.
	f.script = func(d *dev, c apdu.Command) ([]byte, uint16) {
		d.ask([]byte{CmdGetMoreElements})
		return nil, 0x9000
	}
	if _, err := c.MasterFingerprint(ctx); err == nil {
		t.Error("unexpected interruption accepted")
	}
}

// addressScript reads a policy the way GET_WALLET_ADDRESS does: the
// serialization by wallet id, the template by hash, then key keyIndex.
func addressScript(keyIndex int, seen *[]string) func(d *dev, c apdu.Command) ([]byte, uint16) {
	return func(d *dev, c apdu.Command) ([]byte, uint16) {
		if c.CLA != 0xE1 || c.INS != INSGetWalletAddress || c.P2 != 1 || len(c.Data) != 70 {
			d.fail("unexpected command %x", c)
		}
		id := merkle.Hash(c.Data[1:33])
		ser := d.preimage(id)
		hdr, err := policy.Parse(ser)
		if err != nil {
			d.fail("policy: %v", err)
		}
		tmpl := d.preimage(hdr.TemplateHash)
		key := d.element(hdr.KeysRoot, int(hdr.NumKeys), keyIndex)
		*seen = append(*seen, string(tmpl), string(key))
		// The answer encodes change and index so the test can check them.
		return fmt.Appendf(nil, "addr-%d-%d", c.Data[65], binary.BigEndian.Uint32(c.Data[66:])), 0x9000
	}
}

func TestWalletAddressDefault(t *testing.T) {
	var seen []string
	f := &fakeDevice{script: addressScript(0, &seen)}
	p := policy.Policy{Template: "wpkh(@0/**)", Keys: []string{key84}}
	addr, err := New(f).WalletAddress(context.Background(), p, nil, true, 15, false)
	if err != nil || addr != "addr-1-15" {
		t.Fatalf("WalletAddress = %q, %v (device: %v)", addr, err, f.errs)
	}
	if len(seen) != 2 || seen[0] != "wpkh(@0/**)" || seen[1] != key84 {
		t.Errorf("device read %q", seen)
	}
	// The first APDU carries the documented wallet id and a zero HMAC.
	id, _ := p.ID()
	want := GetWalletAddressCommand(id, [32]byte{}, true, 15, false)
	if !bytes.Equal(f.log[0], want) {
		t.Errorf("first APDU %x", f.log[0])
	}
	// Every later APDU is a CONTINUE.
	for _, a := range f.log[1:] {
		if !bytes.HasPrefix(a, []byte{0xF8, 0x01, 0x00, 0x01}) {
			t.Errorf("APDU %x is not CONTINUE", a)
		}
	}
}

// A 100-key policy with a long template needs GET_MORE_ELEMENTS for both
// the template preimage and the key proofs (depth 7 > 6 hashes).
func TestWalletAddressLargePolicy(t *testing.T) {
	var keys, phs []string
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("[%08x/48'/1'/0'/2']%s", i, strings.Repeat("x", 100)))
		phs = append(phs, fmt.Sprintf("@%d/**", i))
	}
	p := policy.Policy{Name: "Big", Template: "wsh(sortedmulti(2," + strings.Join(phs, ",") + "))", Keys: keys}
	if len(p.Template) < 600 {
		t.Fatal("template too short for the test")
	}
	var seen []string
	f := &fakeDevice{script: addressScript(77, &seen)}
	mac := [32]byte{9}
	_, err := New(f).WalletAddress(context.Background(), p, &mac, false, 0, true)
	if err != nil {
		t.Fatalf("WalletAddress: %v (device: %v)", err, f.errs)
	}
	if len(seen) != 2 || seen[0] != p.Template || seen[1] != keys[77] {
		t.Errorf("device read wrong data")
	}
	var more int
	for _, a := range f.log {
		if bytes.Equal(a[:4], []byte{0xF8, 1, 0, 1}) && len(a) > 5 && a[5] > 0 && len(a) == 5+2+int(a[5])*int(a[6]) {
			more++
		}
	}
	// Two for the rest of the template, one for the rest of the key proof.
	if more != 3 {
		t.Errorf("only %d GET_MORE_ELEMENTS replies", more)
	}
}

func TestRegisterWallet(t *testing.T) {
	p := policy.Policy{Name: "Cold storage", Template: "wsh(sortedmulti(2,@0/**,@1/**))", Keys: []string{
		"[76223a6e/48'/1'/0'/2']tpubDE7NQymr4AFtewpAsWtnreyq9ghkzQBXpCZjWLFVRAvnbf7vya2eMTvT2fPapNqL8SuVvLQdbUbMfWLVDCZKnsEBqp6UK93QEzL8Ck23AwF",
		"[f5acc2fd/48'/1'/0'/2']tpubDFAqEGNyad35aBCKUAXbQGDjdVhNueno5ZZVEn3sQbW5ci457gLR7HyTmHBg93oourBssgUxuWz1jX5uhc1qaqFo9VsybY1J5FuedLfm4dK",
	}}
	mac := bytes.Repeat([]byte{0x5A}, 32)
	f := &fakeDevice{script: func(d *dev, c apdu.Command) ([]byte, uint16) {
		n, k, err := varint.Read(c.Data)
		if err != nil || int(n) != len(c.Data)-k {
			d.fail("bad REGISTER_WALLET data")
		}
		hdr, err := policy.Parse(c.Data[k:])
		if err != nil {
			d.fail("policy: %v", err)
		}
		d.preimage(hdr.TemplateHash)
		for i := range int(hdr.NumKeys) {
			d.element(hdr.KeysRoot, int(hdr.NumKeys), i)
		}
		id := sha256Sum(c.Data[k:])
		return append(id[:], mac...), 0x9000
	}}
	id, gotMac, err := New(f).RegisterWallet(context.Background(), p)
	if err != nil {
		t.Fatalf("RegisterWallet: %v (device %v)", err, f.errs)
	}
	want, _ := p.ID()
	if id != want || !bytes.Equal(gotMac[:], mac) {
		t.Errorf("id %x hmac %x", id, gotMac)
	}
	// A rejection maps to the typed error.
	f.script = func(d *dev, c apdu.Command) ([]byte, uint16) { return nil, 0x6985 }
	if _, _, err := New(f).RegisterWallet(context.Background(), p); !errors.Is(err, apdu.ErrUserRejected) {
		t.Errorf("rejection: %v", err)
	}
}

func testPSBT(t *testing.T) (*psbt.Packet, []byte) {
	t.Helper()
	prev := chainhash.Hash{0x11, 0x22}
	pkt, err := psbt.New(
		[]*wire.OutPoint{{Hash: prev, Index: 3}, {Hash: chainhash.Hash{0x33}, Index: 0}},
		[]*wire.TxOut{{Value: 50_000, PkScript: hextest.Bytes(t, "0014"+strings.Repeat("ab", 20))}},
		2, 800_000, []uint32{0xFFFFFFFD, 0xFFFFFFFE})
	if err != nil {
		t.Fatal(err)
	}
	pkt.Inputs[0].WitnessUtxo = &wire.TxOut{Value: 60_000, PkScript: hextest.Bytes(t, "0014"+strings.Repeat("cd", 20))}
	pkt.Inputs[1].WitnessUtxo = &wire.TxOut{Value: 1_000, PkScript: hextest.Bytes(t, "0014"+strings.Repeat("ef", 20))}
	pkt.Inputs[0].Bip32Derivation = []*psbt.Bip32Derivation{{
		PubKey:               append([]byte{2}, bytes.Repeat([]byte{7}, 32)...),
		MasterKeyFingerprint: 0xfdc2acf5, // little-endian read of f5acc2fd
		Bip32Path:            []uint32{84 | h, 1 | h, 0 | h, 0, 5},
	}}
	var buf bytes.Buffer
	if err := pkt.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	return pkt, buf.Bytes()
}

func TestSplitPSBT(t *testing.T) {
	pkt, raw := testPSBT(t)
	m, err := SplitPSBT(raw)
	if err != nil {
		t.Fatal(err)
	}
	get := func(mm *merkle.Map, k ...byte) string {
		v, ok := mm.Get(k)
		if !ok {
			return "missing"
		}
		return hex.EncodeToString(v)
	}
	checks := []struct{ got, want string }{
		{get(m.Global, 0x00), "missing"},
		{get(m.Global, 0x02), "02000000"},
		{get(m.Global, 0x03), "00350c00"}, // 800000 LE
		{get(m.Global, 0x04), "02"},
		{get(m.Global, 0x05), "01"},
		{get(m.Global, 0xFB), "02000000"},
		{get(m.Inputs[0], 0x0E), hex.EncodeToString(pkt.UnsignedTx.TxIn[0].PreviousOutPoint.Hash[:])},
		{get(m.Inputs[0], 0x0F), "03000000"},
		{get(m.Inputs[0], 0x10), "fdffffff"},
		{get(m.Inputs[1], 0x10), "feffffff"},
		{get(m.Inputs[0], 0x01), "60ea000000000000" + "16" + "0014" + strings.Repeat("cd", 20)},
		{get(m.Outputs[0], 0x03), "50c3000000000000"},
		{get(m.Outputs[0], 0x04), "0014" + strings.Repeat("ab", 20)},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: %s, want %s", i, c.got, c.want)
		}
	}
	if m.Inputs[0].Len() != 5 { // 0x01, 0x06 (one derivation), 0x0E, 0x0F, 0x10
		t.Errorf("input 0 has %d fields", m.Inputs[0].Len())
	}
	for _, bad := range [][]byte{nil, []byte("psbt\xff"), raw[:len(raw)-1], append(bytes.Clone(raw), 0)} {
		if _, err := SplitPSBT(bad); !errors.Is(err, ErrPSBT) {
			t.Errorf("bad PSBT accepted: %v", err)
		}
	}
}

func sha256Sum(b []byte) merkle.Hash { return merkle.Hash(sha256sum(b)) }

func TestSignPSBT(t *testing.T) {
	pkt, _ := testPSBT(t)
	pub := append([]byte{2}, bytes.Repeat([]byte{7}, 32)...)
	der := hextest.Bytes(t, "3044022011111111111111111111111111111111111111111111111111111111111111110220222222222222222222222222222222222222222222222222222222222222222201")
	p := policy.Policy{Template: "wpkh(@0/**)", Keys: []string{key84}}
	f := &fakeDevice{script: func(d *dev, c apdu.Command) ([]byte, uint16) {
		if c.INS != INSSignPSBT {
			d.fail("not SIGN_PSBT")
		}
		b := c.Data
		_, _, _, n, err := merkle.ParseCommitment(b)
		if err != nil {
			d.fail("global commitment")
		}
		global := b[:n]
		b = b[n:]
		nIn, k, _ := varint.Read(b)
		inRoot := merkle.Hash(b[k:])
		b = b[k+32:]
		nOut, k, _ := varint.Read(b)
		outRoot := merkle.Hash(b[k:])
		b = b[k+32:]
		if len(b) != 64 || !bytes.Equal(b[32:], make([]byte, 32)) {
			d.fail("wallet id / hmac")
		}
		hdr, err := policy.Parse(d.preimage(merkle.Hash(b[:32])))
		if err != nil {
			d.fail("policy")
		}
		d.element(hdr.KeysRoot, int(hdr.NumKeys), 0)
		if v, ok := d.mapValue(global, []byte{0x02}); !ok || !bytes.Equal(v, []byte{2, 0, 0, 0}) {
			d.fail("TX_VERSION %x", v)
		}
		if _, ok := d.mapValue(global, []byte{0x00}); ok {
			d.fail("UNSIGNED_TX still present")
		}
		for i := range int(nIn) {
			ic := d.element(inRoot, int(nIn), i)
			txid, _ := d.mapValue(ic, []byte{0x0E})
			if !bytes.Equal(txid, pkt.UnsignedTx.TxIn[i].PreviousOutPoint.Hash[:]) {
				d.fail("input %d txid", i)
			}
			if _, ok := d.mapValue(ic, []byte{0x01}); !ok {
				d.fail("input %d witness utxo", i)
			}
		}
		for i := range int(nOut) {
			oc := d.element(outRoot, int(nOut), i)
			if amt, _ := d.mapValue(oc, []byte{0x03}); binary.LittleEndian.Uint64(amt) != 50_000 {
				d.fail("amount")
			}
		}
		y := append([]byte{CmdYield, 0x00, 33}, pub...)
		d.ask(append(y, der...))
		// A MuSig2 nonce yield is skipped by the client.
		d.ask(append([]byte{CmdYield, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0x00}, make([]byte, 132)...))
		return nil, 0x9000
	}}
	sigs, err := New(f).SignPacket(context.Background(), pkt, p, nil)
	if err != nil {
		t.Fatalf("SignPSBT: %v (device %v)", err, f.errs)
	}
	if len(sigs) != 1 || sigs[0].InputIndex != 0 || !bytes.Equal(sigs[0].PubKey, pub) || !bytes.Equal(sigs[0].Signature, der) {
		t.Errorf("signatures %+v", sigs)
	}
}

func TestDecodeSignatureYield(t *testing.T) {
	tap := append(append([]byte{0x01, 64}, bytes.Repeat([]byte{1}, 32)...), bytes.Repeat([]byte{2}, 32)...)
	s, ok, err := DecodeSignatureYield(append(tap, make([]byte, 64)...), 2)
	if err != nil || !ok || s.InputIndex != 1 || len(s.PubKey) != 32 || len(s.TapLeafHash) != 32 || len(s.Signature) != 64 {
		t.Errorf("tapscript yield: %+v %v %v", s, ok, err)
	}
	for _, bad := range [][]byte{{}, {0x05, 33}, {0x00, 10, 1}, {0x00, 2, 1, 2, 3}, append([]byte{0, 33}, make([]byte, 33)...)} {
		if _, _, err := DecodeSignatureYield(bad, 2); err == nil {
			t.Errorf("accepted %x", bad)
		}
	}
}

func TestInterpreterErrors(t *testing.T) {
	in := NewInterpreter()
	root := in.AddList([][]byte{{1}, {2}, {3}})
	for name, req := range map[string][]byte{
		"empty":              {},
		"unknown code":       {0x77},
		"preimage unknown":   append([]byte{CmdGetPreimage, 0}, make([]byte, 32)...),
		"preimage malformed": {CmdGetPreimage, 1},
		"proof unknown root": append(append([]byte{CmdGetMerkleLeafProof}, make([]byte, 32)...), 3, 0),
		"proof wrong size":   append(append([]byte{CmdGetMerkleLeafProof}, root[:]...), 4, 0),
		"proof bad index":    append(append([]byte{CmdGetMerkleLeafProof}, root[:]...), 3, 3),
		"proof trailing":     append(append([]byte{CmdGetMerkleLeafProof}, root[:]...), 3, 0, 0),
		"index unknown root": append([]byte{CmdGetMerkleLeafIndex}, make([]byte, 64)...),
		"more empty queue":   {CmdGetMoreElements},
		"more with data":     {CmdGetMoreElements, 0},
	} {
		if _, err := in.Execute(req); !errors.Is(err, ErrClientCommand) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Not found answers 0 and index 0.
	r, err := in.Execute(append(append([]byte{CmdGetMerkleLeafIndex}, root[:]...), make([]byte, 32)...))
	if err != nil || !bytes.Equal(r, []byte{0, 0}) {
		t.Errorf("not found: %x %v", r, err)
	}
	lh := merkle.LeafHash([]byte{3})
	r, err = in.Execute(append(append([]byte{CmdGetMerkleLeafIndex}, root[:]...), lh[:]...))
	if err != nil || !bytes.Equal(r, []byte{1, 2}) {
		t.Errorf("found: %x %v", r, err)
	}
	// A long preimage: first reply holds 255-3-1 = 251 bytes (varint 0xFD
	// form), the remaining 349 come as 1-byte elements, 253 then 96.
	long := bytes.Repeat([]byte{0x42}, 600)
	in.AddPreimage(long)
	hh := sha256Sum(long)
	r, err = in.Execute(append([]byte{CmdGetPreimage, 0}, hh[:]...))
	if err != nil || !bytes.Equal(r[:4], []byte{0xFD, 0x58, 0x02, 251}) || len(r) != 255 {
		t.Fatalf("long preimage: %x %v", r[:4], err)
	}
	// The queue must be empty before a proof is asked for.
	if _, err := in.Execute(append(append([]byte{CmdGetMerkleLeafProof}, root[:]...), 3, 0)); !errors.Is(err, ErrClientCommand) {
		t.Error("proof with a non-empty queue")
	}
	r, _ = in.Execute([]byte{CmdGetMoreElements})
	if r[0] != 253 || r[1] != 1 || len(r) != 255 {
		t.Errorf("more 1: %d %d %d", r[0], r[1], len(r))
	}
	r, _ = in.Execute([]byte{CmdGetMoreElements})
	if r[0] != 96 || len(r) != 98 {
		t.Errorf("more 2: %d %d", r[0], len(r))
	}
}

func FuzzInterpreter(f *testing.F) {
	f.Add([]byte{CmdGetMoreElements})
	f.Add(append([]byte{CmdGetPreimage, 0}, make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, req []byte) {
		in := NewInterpreter()
		in.AddList([][]byte{{1}, {2}, {3}, {4}, {5}})
		in.AddPreimage(make([]byte, 300))
		r, err := in.Execute(req)
		if err == nil && len(r) > 255 {
			t.Fatalf("reply of %d bytes", len(r))
		}
	})
}

func sha256sum(b []byte) [32]byte { return sha256.Sum256(b) }

// TestSignPSBTLyingDevice: a device that asks for a Merkle leaf the PSBT
// does not have, answers an unexpected status word in the middle of the
// client-command loop, or yields a signature for an input that does not
// exist gets a typed error at once; no signature is returned.
func TestSignPSBTLyingDevice(t *testing.T) {
	pkt, _ := testPSBT(t)
	p := policy.Policy{Template: "wpkh(@0/**)", Keys: []string{key84}}
	inputsRoot := func(c apdu.Command) (merkle.Hash, int) {
		_, _, _, n, err := merkle.ParseCommitment(c.Data)
		if err != nil {
			t.Fatal(err)
		}
		b := c.Data[n:]
		nIn, k, _ := varint.Read(b)
		return merkle.Hash(b[k:]), int(nIn)
	}
	for _, c := range []struct {
		name   string
		script func(d *dev, c apdu.Command) ([]byte, uint16)
		want   error
	}{
		{"leaf that does not exist", func(d *dev, c apdu.Command) ([]byte, uint16) {
			root, n := inputsRoot(c)
			d.leafHash(root, n, n+3)
			return nil, 0x9000
		}, ErrClientCommand},
		{"leaf of a tree of another size", func(d *dev, c apdu.Command) ([]byte, uint16) {
			root, n := inputsRoot(c)
			d.leafHash(root, n+1, 0)
			return nil, 0x9000
		}, ErrClientCommand},
		{"unexpected status word", func(d *dev, c apdu.Command) ([]byte, uint16) {
			root, n := inputsRoot(c)
			d.element(root, n, 0)
			return nil, 0x6F42
		}, apdu.ErrUnknownStatus},
		{"yield for a missing input", func(d *dev, c apdu.Command) ([]byte, uint16) {
			d.ask(append([]byte{CmdYield, 0x09, 33}, make([]byte, 33+71)...))
			return nil, 0x9000
		}, ErrResponse},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			sigs, err := New(&fakeDevice{script: c.script}).SignPacket(ctx, pkt, p, nil)
			if !errors.Is(err, c.want) || sigs != nil {
				t.Fatalf("signatures %v, error %v; want %v", sigs, err, c.want)
			}
		})
	}
}
