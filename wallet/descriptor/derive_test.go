package descriptor

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/txscript"
)

// reference derives what this package should give for index i of the
// branch node the plain way: hdkeychain's Derive and btcutil's addresses
// and txscript's scripts.
func reference(t *testing.T, branch *hdkeychain.ExtendedKey, typ ScriptType, net Network, i uint32) (pub []byte, script []byte, addr string, ok bool) {
	t.Helper()
	child, err := branch.Derive(i)
	if errors.Is(err, hdkeychain.ErrInvalidChild) {
		return nil, nil, "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	pk, err := child.ECPubKey()
	if err != nil {
		t.Fatal(err)
	}
	params := net.Params()
	var a btcutil.Address
	switch typ {
	case PKH:
		a, err = btcutil.NewAddressPubKeyHash(btcutil.Hash160(pk.SerializeCompressed()), params)
	case WPKH:
		a, err = btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pk.SerializeCompressed()), params)
	case SHWPKH:
		redeem, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_0).AddData(btcutil.Hash160(pk.SerializeCompressed())).Script()
		a, err = btcutil.NewAddressScriptHash(redeem, params)
	case TR:
		a, err = btcutil.NewAddressTaproot(schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pk)), params)
	}
	if err != nil {
		t.Fatal(err)
	}
	script, err = txscript.PayToAddrScript(a)
	if err != nil {
		t.Fatal(err)
	}
	return pk.SerializeCompressed(), script, a.EncodeAddress(), true
}

// asTestnet re-serializes a mainnet xpub with the tpub version.
func asTestnet(t *testing.T, xpub string) string {
	t.Helper()
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := k.CloneWithVersion(Testnet.Params().HDPublicKeyID[:])
	if err != nil {
		t.Fatal(err)
	}
	return tk.String()
}

// TestDeriveMatchesHDKeychain is the property test: for several account
// keys, every script type, every network and many indexes (the first 300,
// which cross batch boundaries, and scattered ones up to 2^31-1), the fast
// derivation gives what hdkeychain, btcutil and txscript give.
func TestDeriveMatchesHDKeychain(t *testing.T) {
	accounts := []string{
		"xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V", // BIP 84 account
		bip86AcctPub,
		"xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw", // BIP 32 vector 1, m/0H
		"xpub661MyMwAqRbcGczjuMoRm6dXaLDEhW1u34gKenbeYqAix21mdUKJyuyu5F1rzYGVxyL6tmgBUAEPrEz92mBXjByMRiJdba9wpnN37RLLAXa", // BIP 32 vector 4, m
	}
	rng := rand.New(rand.NewPCG(1, 2))
	indexes := make([]uint32, 0, 340)
	for i := range uint32(300) {
		indexes = append(indexes, i)
	}
	for range 30 {
		indexes = append(indexes, rng.Uint32N(hdkeychain.HardenedKeyStart))
	}
	indexes = append(indexes, hdkeychain.HardenedKeyStart-1, 1_000_000_000)

	for ai, acct := range accounts {
		for _, net := range []Network{Mainnet, Testnet, Signet, Regtest} {
			key := acct
			if net != Mainnet {
				key = asTestnet(t, acct)
			}
			for _, typ := range []ScriptType{PKH, SHWPKH, WPKH, TR} {
				d, err := FromXpub(key, typ, nil, net)
				if err != nil {
					t.Fatal(err)
				}
				n := len(indexes)
				if ai > 0 || net != Mainnet {
					n = 40 // the full set once per type is enough
				}
				for _, change := range []bool{false, true} {
					k, _ := hdkeychain.NewKeyFromString(key)
					branch, err := k.Derive(uint32(boolIdx(change)))
					if err != nil {
						t.Fatal(err)
					}
					checkIndexes(t, d, branch, typ, net, change, indexes[:n])
				}
			}
		}
	}
}

func checkIndexes(t *testing.T, d *Descriptor, branch *hdkeychain.ExtendedKey, typ ScriptType, net Network, change bool, indexes []uint32) {
	t.Helper()
	// Batch forms over the first run of consecutive indexes.
	run := 0
	for run < len(indexes) && indexes[run] == uint32(run) {
		run++
	}
	scripts, err := d.Scripts(change, 0, uint32(run))
	if err != nil {
		t.Fatal(err)
	}
	addrs, err := d.Addresses(change, 0, uint32(run))
	if err != nil {
		t.Fatal(err)
	}
	ders, err := d.DeriveRange(change, 0, uint32(run))
	if err != nil || len(ders) != run {
		t.Fatalf("DeriveRange: %d results, %v", len(ders), err)
	}
	for k, i := range indexes {
		pub, script, addr, ok := reference(t, branch, typ, net, i)
		if !ok {
			t.Fatalf("hdkeychain has no child at %d", i)
		}
		r, err := d.Derive(change, i)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(r.PubKey, pub) || !bytes.Equal(r.Script, script) || r.Address != addr {
			t.Fatalf("%s %s change=%v index %d: got %x %x %s; want %x %x %s", typ, net, change, i, r.PubKey, r.Script, r.Address, pub, script, addr)
		}
		if r.Index != i || r.Change != change || r.Origin.Path[len(r.Origin.Path)-1] != i {
			t.Fatalf("index %d: Derived says index %d, change %v, origin %s", i, r.Index, r.Change, r.Origin)
		}
		// The address decodes back to the script on this network.
		a, err := btcutil.DecodeAddress(r.Address, net.Params())
		if err != nil || !a.IsForNet(net.Params()) {
			t.Fatalf("address %s does not decode on %s: %v", r.Address, net, err)
		}
		if s, _ := txscript.PayToAddrScript(a); !bytes.Equal(s, script) {
			t.Fatalf("address %s decodes to script %x; want %x", r.Address, s, script)
		}
		if k < run {
			if !bytes.Equal(scripts[k], script) || addrs[k] != addr || ders[k].Address != addr || ders[k].Index != i {
				t.Fatalf("batch index %d: %x %s %s", i, scripts[k], addrs[k], ders[k].Address)
			}
		}
		switch typ {
		case SHWPKH:
			if !bytes.Equal(btcutil.Hash160(r.RedeemScript), script[2:22]) || !bytes.Equal(r.RedeemScript[2:], btcutil.Hash160(pub)) {
				t.Fatalf("redeem script %x for script %x", r.RedeemScript, script)
			}
		case TR:
			if !bytes.Equal(r.InternalKey, pub[1:]) || !bytes.Equal(r.OutputKey, script[2:]) {
				t.Fatalf("taproot keys %x %x for key %x script %x", r.InternalKey, r.OutputKey, pub, script)
			}
		default:
			if r.RedeemScript != nil || r.InternalKey != nil || r.OutputKey != nil {
				t.Fatalf("%s output carries fields of another type", typ)
			}
		}
	}
}

func TestScriptsShareOneAllocation(t *testing.T) {
	d, err := Parse(bip84Desc, Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	scripts, err := d.Scripts(true, 10, 300)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(scripts); k++ {
		prev := unsafe.Pointer(unsafe.SliceData(scripts[k-1]))
		if unsafe.Pointer(unsafe.SliceData(scripts[k])) != unsafe.Add(prev, len(scripts[k-1])) {
			t.Fatalf("scripts %d and %d are not adjacent", k-1, k)
		}
		if cap(scripts[k-1]) != len(scripts[k-1]) {
			t.Fatalf("script %d can grow into its neighbour (cap %d)", k-1, cap(scripts[k-1]))
		}
	}
	// Appending to one script must not clobber the next.
	next := bytes.Clone(scripts[1])
	_ = append(scripts[0], 0xff)
	if !bytes.Equal(scripts[1], next) {
		t.Fatal("appending to a script changed its neighbour")
	}
}

func TestInvalidChild(t *testing.T) {
	// With the parent key G (private key 1), parse256(IL) = n-1 gives
	// (n-1)G + G, the point at infinity, and IL = n is not below n: BIP 32
	// has no child for either. IL = n-2 gives -G.
	n := btcec.S256().N
	var parent btcec.JacobianPoint
	btcec.Generator().AsJacobian(&parent)
	il := func(sub int64) []byte {
		var b [32]byte
		v := new(big.Int).Sub(n, big.NewInt(sub))
		v.FillBytes(b[:])
		return b[:]
	}
	var out btcec.JacobianPoint
	if childFromIL(il(0), &parent, &out) {
		t.Error("IL = n: want no child")
	}
	if childFromIL(il(1), &parent, &out) {
		t.Error("IL = n-1 with K = G: want no child (infinity)")
	}
	if !childFromIL(il(2), &parent, &out) {
		t.Fatal("IL = n-2: want a child")
	}
	pts := []btcec.JacobianPoint{out, {}, out}
	ok := []bool{true, false, true}
	toAffine(pts, ok, make([]btcec.FieldVal, 3))
	var got [33]byte
	compress(&pts[0], &got)
	want := btcec.Generator().SerializeCompressed()
	want[0] ^= 1 // -G: same X, other Y parity
	if !bytes.Equal(got[:], want) {
		t.Errorf("n-2 with K = G gives %x; want -G %x", got, want)
	}
	compress(&pts[2], &got)
	if !bytes.Equal(got[:], want) {
		t.Errorf("batch conversion around a missing child gives %x; want %x", got, want)
	}
}

func TestToAffineBatch(t *testing.T) {
	// Batch conversion equals one-by-one conversion, with gaps anywhere.
	rng := rand.New(rand.NewPCG(3, 4))
	const m = 50
	pts := make([]btcec.JacobianPoint, m)
	ref := make([]btcec.JacobianPoint, m)
	ok := make([]bool, m)
	for j := range pts {
		var s btcec.ModNScalar
		var b [32]byte
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		s.SetBytes(&b)
		var a, g btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&s, &a)
		btcec.Generator().AsJacobian(&g)
		btcec.AddNonConst(&a, &g, &pts[j]) // Z != 1
		ref[j] = pts[j]
		ref[j].ToAffine()
		ok[j] = rng.IntN(5) != 0
	}
	toAffine(pts, ok, make([]btcec.FieldVal, m))
	for j := range pts {
		if !ok[j] {
			continue
		}
		if !pts[j].X.Equals(&ref[j].X) || !pts[j].Y.Equals(&ref[j].Y) || !pts[j].Z.IsOne() {
			t.Fatalf("point %d differs after batch conversion", j)
		}
	}
}

func TestRangeErrors(t *testing.T) {
	single, err := Parse("wpkh([ffffffff/13']xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)", Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := Parse("wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	if single.HasChange() || !single.IsRange() || fixed.IsRange() {
		t.Fatal("range flags wrong")
	}
	tests := []struct {
		name string
		err  error
	}{
		{"change of a single-path descriptor", func() error { _, err := single.Derive(true, 0); return err }()},
		{"hardened index", func() error { _, err := single.Derive(false, hdkeychain.HardenedKeyStart); return err }()},
		{"range into hardened indexes", func() error {
			_, err := single.Scripts(false, hdkeychain.HardenedKeyStart-2, 3)
			return err
		}()},
		{"index 1 of a descriptor without /*", func() error { _, err := fixed.Derive(false, 1); return err }()},
		{"two addresses of a descriptor without /*", func() error { _, err := fixed.Addresses(false, 0, 2); return err }()},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, ErrRange) {
			t.Errorf("%s: %v; want ErrRange", tt.name, tt.err)
		}
	}
	// The last unhardened index is fine, and so is an empty range.
	if _, err := single.Scripts(false, hdkeychain.HardenedKeyStart-2, 2); err != nil {
		t.Error(err)
	}
	if s, err := single.Scripts(false, hdkeychain.HardenedKeyStart, 0); err != nil || len(s) != 0 {
		t.Errorf("empty range: %v, %v", s, err)
	}
	// A descriptor without /* has its one script at index 0.
	r, err := fixed.Derive(false, 0)
	if err != nil || hex.EncodeToString(r.Script) != "00149a1c78a507689f6f54b847ad1cef1e614ee23f1e" || r.Index != 0 {
		t.Errorf("fixed: %x, %v", r.Script, err)
	}
	// Without an origin, a hex key is its own root.
	if len(r.Origin.Path) != 0 || !bytes.Equal(r.Origin.Fingerprint[:], btcutil.Hash160(r.PubKey)[:4]) {
		t.Errorf("fixed key origin %s", r.Origin)
	}
}

func TestFromXpub(t *testing.T) {
	fp := [4]byte{0x73, 0xc5, 0xda, 0x0a}
	good := &KeyOrigin{Fingerprint: fp, Path: []uint32{84 | hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart, hdkeychain.HardenedKeyStart}}
	d, err := FromXpub(bip84AcctPub, WPKH, good, Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	want := "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)"
	sum, _ := Checksum(want)
	if d.String() != want+"#"+sum {
		t.Errorf("FromXpub = %s; want %s#%s", d, want, sum)
	}
	if !d.IsMultipath() || !d.HasChange() || !d.IsRange() || d.Type() != WPKH || d.Network() != Mainnet {
		t.Error("FromXpub flags wrong")
	}
	if o, ok := d.Origin(); !ok || o.String() != "73c5da0a/84h/0h/0h" || o.PSBTFingerprint() != 0x0adac573 {
		t.Errorf("origin %v %v", o, ok)
	}
	// The caller's origin is copied, not kept.
	good.Path[0] = 0
	if o, _ := d.Origin(); o.String() != "73c5da0a/84h/0h/0h" {
		t.Error("descriptor shares the caller's origin")
	}

	for _, bad := range []struct {
		name   string
		origin string
	}{
		{"too short", "73c5da0a/84h/0h"},
		{"too long", "73c5da0a/84h/0h/0h/0"},
		{"wrong last step", "73c5da0a/84h/0h/1h"},
		{"unhardened last step", "73c5da0a/84h/0h/0"},
	} {
		o := mustOrigin(t, bad.origin)
		if _, err := FromXpub(bip84AcctPub, WPKH, o, Mainnet); !errors.Is(err, ErrSyntax) {
			t.Errorf("origin %s (%s): %v; want ErrSyntax", bad.origin, bad.name, err)
		}
	}
	// A master key's origin is its own fingerprint with no path.
	root, err := FromXpub(bip86RootPub, TR, mustOrigin(t, "73c5da0a"), Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FromXpub(bip86RootPub, TR, mustOrigin(t, "deadbeef"), Mainnet); !errors.Is(err, ErrSyntax) {
		t.Errorf("master key with another fingerprint: %v", err)
	}
	r, _ := root.Derive(true, 5)
	if r.Origin.String() != "73c5da0a/1/5" {
		t.Errorf("master key derivation origin %s", r.Origin)
	}
	if _, err := FromXpub(bip84AcctPub, 0, nil, Mainnet); !errors.Is(err, ErrUnsupported) {
		t.Errorf("script type 0: %v", err)
	}
	if _, err := FromXpub(bip84AcctPub, WPKH, nil, 0); !errors.Is(err, ErrNetwork) {
		t.Errorf("network 0: %v", err)
	}
}

func TestNetworks(t *testing.T) {
	xpub := "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"
	tpub := asTestnet(t, xpub)
	want := map[Network]string{Mainnet: "bc1q", Testnet: "tb1q", Signet: "tb1q", Regtest: "bcrt1q"}
	for net, prefix := range want {
		key := tpub
		if net == Mainnet {
			key = xpub
		}
		d, err := Parse("wpkh("+key+"/0/*)", net)
		if err != nil {
			t.Fatal(err)
		}
		a, err := d.Addresses(false, 0, 1)
		if err != nil || !strings.HasPrefix(a[0], prefix) {
			t.Errorf("%s: address %v, %v; want prefix %s", net, a, err, prefix)
		}
		// The key prints in the network's own form.
		if !strings.Contains(d.String(), key) {
			t.Errorf("%s: %s does not hold %s", net, d, key[:4])
		}
		// The other family of keys is refused, saying so.
		other := xpub
		if net == Mainnet {
			other = tpub
		}
		_, err = Parse("wpkh("+other+"/0/*)", net)
		if !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), net.String()) {
			t.Errorf("%s with a %s key: %v; want ErrNetwork naming the network", net, other[:4], err)
		}
		if p, err := ParseNetwork(net.String()); err != nil || p != net {
			t.Errorf("ParseNetwork(%s) = %v, %v", net, p, err)
		}
	}
	if _, err := ParseNetwork("testnet5"); !errors.Is(err, ErrNetwork) {
		t.Errorf("ParseNetwork(testnet5): %v", err)
	}
	if _, err := Parse("wpkh("+xpub+")", Network(9)); !errors.Is(err, ErrNetwork) {
		t.Errorf("unknown network: %v", err)
	}
	for _, typ := range []ScriptType{PKH, SHWPKH, WPKH, TR} {
		if p, err := ParseScriptType(typ.String()); err != nil || p != typ {
			t.Errorf("ParseScriptType(%s) = %v, %v", typ, p, err)
		}
	}
	if _, err := ParseScriptType("wsh"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ParseScriptType(wsh): %v", err)
	}
}

func TestSLIP132TypeChecks(t *testing.T) {
	// ypub/upub only in sh(wpkh()), zpub/vpub only in wpkh(); xpub/tpub
	// anywhere. The canonical text uses xpub/tpub.
	cases := []struct {
		key  string
		net  Network
		typ  ScriptType
		good bool
	}{
		{slip132Vectors[1].xpub, Mainnet, SHWPKH, true},
		{slip132Vectors[1].xpub, Mainnet, WPKH, false},
		{slip132Vectors[1].xpub, Mainnet, TR, false},
		{slip132Vectors[2].xpub, Mainnet, WPKH, true},
		{slip132Vectors[2].xpub, Mainnet, PKH, false},
		{bip49AcctPub, Regtest, SHWPKH, true},
		{bip49AcctPub, Regtest, PKH, false},
	}
	for _, c := range cases {
		d, err := Parse(c.typ.wrap(c.key+"/<0;1>/*"), c.net)
		if c.good {
			if err != nil {
				t.Errorf("%s in %s: %v", c.key[:4], c.typ, err)
				continue
			}
			if ek := d.ExtendedKey(); !strings.HasPrefix(ek, "xpub") && !strings.HasPrefix(ek, "tpub") {
				t.Errorf("%s prints as %s", c.key[:4], ek[:4])
			}
			continue
		}
		if !errors.Is(err, ErrNetwork) || !strings.Contains(err.Error(), c.key[:4]) {
			t.Errorf("%s in %s: %v; want ErrNetwork naming the key type", c.key[:4], c.typ, err)
		}
	}
	// Multisig SLIP-132 keys are refused as unsupported: a Zpub is a zpub
	// with other version bytes.
	zpub := slip132Vectors[2].xpub
	k, _ := hdkeychain.NewKeyFromString(zpub)
	Zpub, _ := k.CloneWithVersion([]byte{0x02, 0xaa, 0x7e, 0xd3})
	if _, err := Parse("wpkh("+Zpub.String()+"/0/*)", Mainnet); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Zpub: %v; want ErrUnsupported", err)
	}
}

func TestErrorPositions(t *testing.T) {
	xpub := "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB"
	tests := []struct {
		desc string
		pos  int
		kind error
		msg  string
	}{
		{"wpkh(" + xpub + "/0/1h/*)", 6 + len(xpub) + 3, ErrHardened, `hardened step "1h"`},
		{"wpkh(" + xpub + "/0/*/1)", 6 + len(xpub) + 4, ErrSyntax, "'*' must be the last"},
		{"wpkh(" + xpub + "/0/*h)", 6 + len(xpub) + 3, ErrHardened, "hardened children"},
		{"tr(" + xpub + "/0/*,pk(" + xpub + "))", 4 + len(xpub) + 4, ErrUnsupported, "script tree is not supported"},
		{"sh(wpkh(" + xpub + ")", 9 + len(xpub) + 1, ErrSyntax, "missing ')'"},
		{"wpkh(" + xpub + "))", 6 + len(xpub) + 1, ErrSyntax, "unexpected text after wpkh"},
		{"wpkh(" + xpub + ")x", 6 + len(xpub) + 1, ErrSyntax, "unexpected text after wpkh"},
		{"wpk(" + xpub + ")", 1, ErrSyntax, "unknown script expression wpk()"},
		{"WPKH(" + xpub + ")", 1, ErrSyntax, "unexpected character 'W'"},
		{xpub, 1, ErrSyntax, "expected a script expression"},
		{"wpkh()", 6, ErrSyntax, "missing key expression"},
		{"wpkh(" + xpub + "," + xpub + ")", 6 + len(xpub), ErrSyntax, "exactly one key"},
		{"pkh(" + xpub[:len(xpub)-1] + "C)", 5, ErrInvalidKey, "checksum is wrong"},
		{"pkh(0360b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98c)", 5, ErrInvalidKey, "66 (compressed)"},
		{"pkh(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", 5, ErrSyntax, "only allowed inside tr()"},
		{"sh(wsh(pkh(" + xpub + ")))", 4, ErrUnsupported, "sh(wsh()) is not supported"},
		{"multi(1," + xpub + ")", 1, ErrUnsupported, "multi() is not supported"},
		{"wpkh(" + xpub + "/<0;1>/<2;3>/*)", 6 + len(xpub) + 7, ErrSyntax, "only one is allowed"},
		{"wpkh(" + xpub + "/<0;0>/*)", 6 + len(xpub) + 4, ErrSyntax, "appears twice"},
		{"wpkh(" + xpub + "/<0>/*)", 6 + len(xpub) + 1, ErrSyntax, "at least two"},
		{"wpkh(" + xpub + "/<0;1h>/*)", 6 + len(xpub) + 4, ErrHardened, "private key"},
		{"wpkh([deadbeef/0h]" + xpub + "/0 /*)", 6 + 14 + len(xpub) + 1, ErrSyntax, "invalid derivation step"},
		{"wpkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/0/*)", 6, ErrPrivateKey, "watch-only and never takes private keys"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.desc, Mainnet)
		var e *Error
		if !errors.As(err, &e) || e.Pos != tt.pos || !errors.Is(err, tt.kind) || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%.40q...) = %v; want position %d, kind %q, %q", tt.desc, err, tt.pos, tt.kind, tt.msg)
			continue
		}
		if !strings.HasPrefix(err.Error(), "descriptor: position ") {
			t.Errorf("error text %q", err)
		}
	}
}

func TestKeyOrigin(t *testing.T) {
	for _, s := range []string{"[73c5da0a/84'/0'/0']", "73c5da0a/84h/0h/0h", "73C5DA0A/84h/0'/0h"} {
		o, err := ParseKeyOrigin(s)
		if err != nil || o.String() != "73c5da0a/84h/0h/0h" {
			t.Errorf("ParseKeyOrigin(%s) = %s, %v", s, o, err)
		}
	}
	for _, s := range []string{"73c5da0", "73c5da0a/", "73c5da0a/x", "73c5da0a/*", "[73c5da0a/0"} {
		if _, err := ParseKeyOrigin(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseKeyOrigin(%s): %v; want ErrSyntax", s, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	d, err := Parse(bip84Desc, Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := d.Addresses(false, 0, 20)
	d, _ = Parse(bip84Desc, Mainnet) // fresh: chains not derived yet
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := d.Addresses(g%2 == 1, 0, 20)
			if err != nil {
				errs <- err.Error()
				return
			}
			if g%2 == 0 && strings.Join(got, ",") != strings.Join(want, ",") {
				errs <- "receive addresses differ"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestWarm(t *testing.T) {
	Warm()
	Warm() // cheap and safe twice
}
