package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// Key strings of the default policies in the app's own tests
// (tests/test_get_wallet_address.py), for the Speculos default seed with
// master fingerprint f5acc2fd, on the test network.
const (
	key44 = "[f5acc2fd/44'/1'/0']tpubDCwYjpDhUdPGP5rS3wgNg13mTrrjBuG8V9VpWbyptX6TRPbNoZVXsoVUSkCjmQ8jJycjuDKBb9eataSymXakTTaGifxR6kmVsfFehH1ZgJT"
	key49 = "[f5acc2fd/49'/1'/0']tpubDC871vGLAiKPcwAw22EjhKVLk5L98UGXBEcGR8gpcigLQVDDfgcYW24QBEyTHTSFEjgJgbaHU8CdRi9vmG4cPm1kPLmZhJEP17FMBdNheh3"
	key84 = "[f5acc2fd/84'/1'/0']tpubDCtKfsNyRhULjZ9XMS4VKKtVcPdVDi8MKUbcSD9MJDyjRu1A2ND5MiipozyyspBT9bg8upEp7a8EAgFxNxXn1d7QkdbL52Ty5jiSLcxPt1P"
	key86 = "[f5acc2fd/86'/1'/0']tpubDDKYE6BREvDsSWMazgHoyQWiJwYaDDYPbCFjYxN3HFXJP5fokeiK4hwK5tTLBNEDBwrDXn8cQ4v9b2xdW62Xr5yxoQdMu1v6c7UDXYVH27U"
)

// Serializations and wallet ids computed by a separate script from the
// formula in the app's doc/wallet.md and wallet.py (no published ids exist
// for these policies).
var goldenDefaults = []struct {
	kind      Kind
	key       string
	serialHex string
	idHex     string
}{
	{Legacy, key44,
		"02000a364995f04a200bdcf089572f9a984c3bac20cf0e3a19158d4d15533ae12e110c01dd9922138f7a8f02c2235fcfe719aa4738594e1a05bb12fe216bdcbcd67bb9f4",
		"41ac41a616b4a2fad498268fe9c8a63b8854873839065de6fb2fabf1fbe89256"},
	{NestedSegwit, key49,
		"02000f5ab1bed30ec27c4fdc3ba1136dd48bd338abbc9c8acbe29e350d45137f9a4c4601aa8087e303482fa846597853314be4e1ed3096d7efadf1b257dd324d70dd13d9",
		"be693418eee0c522b55f74c62b6ecad9697ef1e6e8bb973ff29740432960db48"},
	{NativeSegwit, key84,
		"02000bc8974a0d8bdd29024b2ddb7a7fe8df1d9801b270f4e6c1e7e1011ae39e7c9b000144006386daf887e322e999231f37ba1dcc1863357a4bc21a78a623d7d2863f02",
		"74e9dad05d709eb46f8cce7378ebafb45a75c7e83e0d2a63e02f492c8adc7293"},
	{Taproot, key86,
		"0200097c54d8c8cd3bac81abf56463d3d3ed2efa94afd9678707fcd68a4c990a71ea6b01feacb8b161672bffec7b35f4035eceb1d9c918e2507b51d1716324b968856803",
		"627535418bc03eeee2b62b3a0254dc0624881f8bc6fc20c4d3b2c1c4fc929893"},
}

// naiveSerialize writes the format straight from the documentation, for
// short names, templates and key lists only.
func naiveSerialize(name, tmpl string, keys []string) []byte {
	th := sha256.Sum256([]byte(tmpl))
	leaves := make([]merkle.Hash, len(keys))
	for i, k := range keys {
		leaves[i] = sha256.Sum256(append([]byte{0}, k...))
	}
	root := naiveRoot(leaves)
	b := []byte{2, byte(len(name))}
	b = append(b, name...)
	b = append(b, byte(len(tmpl)))
	b = append(b, th[:]...)
	b = append(b, byte(len(keys)))
	return append(b, root[:]...)
}

func naiveRoot(l []merkle.Hash) merkle.Hash {
	if len(l) == 0 {
		return merkle.Hash{}
	}
	if len(l) == 1 {
		return l[0]
	}
	k := 1
	for 2*k < len(l) {
		k *= 2
	}
	a, b := naiveRoot(l[:k]), naiveRoot(l[k:])
	return sha256.Sum256(append(append([]byte{1}, a[:]...), b[:]...))
}

func TestDefaultPolicies(t *testing.T) {
	for _, g := range goldenDefaults {
		k, err := ParseKey(g.key)
		if err != nil {
			t.Fatal(err)
		}
		p := Default(g.kind, 0xf5acc2fd, 1, 0, k.XPub)
		if p.Keys[0] != g.key {
			t.Errorf("%v: key %s, want %s", g.kind, p.Keys[0], g.key)
		}
		s, err := p.Serialize()
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(s) != g.serialHex {
			t.Errorf("%v: serialization %x", g.kind, s)
		}
		if naive := naiveSerialize("", g.kind.Template(), []string{g.key}); string(naive) != string(s) {
			t.Errorf("%v: differs from naive serialization", g.kind)
		}
		id, _ := p.ID()
		if hex.EncodeToString(id[:]) != g.idHex {
			t.Errorf("%v: id %x", g.kind, id)
		}
		h, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name != "" || h.NumKeys != 1 || h.TemplateHash != p.TemplateHash() ||
			h.KeysRoot != p.KeysTree().Root() || h.TemplateLen != uint64(len(p.Template)) {
			t.Errorf("%v: Parse = %+v", g.kind, h)
		}
		if kk, ok := KindOfTemplate(p.Template); !ok || kk != g.kind {
			t.Errorf("KindOfTemplate(%q)", p.Template)
		}
	}
}

func TestMultisigPolicy(t *testing.T) {
	// The 2-of-2 "Cold storage" wallet of tests/test_get_wallet_address.py.
	p := Policy{
		Name:     "Cold storage",
		Template: "wsh(sortedmulti(2,@0/**,@1/**))",
		Keys: []string{
			"[76223a6e/48'/1'/0'/2']tpubDE7NQymr4AFtewpAsWtnreyq9ghkzQBXpCZjWLFVRAvnbf7vya2eMTvT2fPapNqL8SuVvLQdbUbMfWLVDCZKnsEBqp6UK93QEzL8Ck23AwF",
			"[f5acc2fd/48'/1'/0'/2']tpubDFAqEGNyad35aBCKUAXbQGDjdVhNueno5ZZVEn3sQbW5ci457gLR7HyTmHBg93oourBssgUxuWz1jX5uhc1qaqFo9VsybY1J5FuedLfm4dK",
		},
	}
	s, err := p.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	const want = "020c436f6c642073746f726167651fb56c3d5542fa09b3956834a9ff6a1df5c36a38e5b02c63c54b41a9a04403b82602516d2c50a89476ecffeec658057f0110674bbfafc18797dc480c7ed53802f3fb"
	if hex.EncodeToString(s) != want {
		t.Errorf("serialization %x", s)
	}
	if string(naiveSerialize(p.Name, p.Template, p.Keys)) != string(s) {
		t.Error("differs from naive")
	}
	id, _ := p.ID()
	if hex.EncodeToString(id[:]) != "cd9474ae9e74403128477789789db43a215e996af80d60120f0d844f8404ac64" {
		t.Errorf("id %x", id)
	}
	h, err := Parse(s)
	if err != nil || h.Name != "Cold storage" || h.NumKeys != 2 {
		t.Errorf("Parse = %+v, %v", h, err)
	}
}

func TestKeyString(t *testing.T) {
	for _, s := range []string{key44, key86, "tpubDCwYjpDhUdPGP5rS3wgNg13mTrrjBuG8V9VpWbyptX6TRPbNoZVXsoVUSkCjmQ8jJycjuDKBb9eataSymXakTTaGifxR6kmVsfFehH1ZgJT", "[0000000a]xpubABC", "[deadbeef/0/2147483647']xpubABC"} {
		k, err := ParseKey(s)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", s, err)
		}
		if k.String() != s {
			t.Errorf("round trip %q -> %q", s, k.String())
		}
	}
	k, _ := ParseKey(key84)
	if k.Origin.Fingerprint != 0xf5acc2fd || len(k.Origin.Path) != 3 || k.Origin.Path[0] != 84|Hardened {
		t.Errorf("ParseKey = %+v", k.Origin)
	}
	for _, bad := range []string{
		"[F5ACC2FD/84'/1'/0']xpubABC", // uppercase fingerprint
		"[f5acc2fd/84h/1'/0']xpubABC", // h for hardened
		"[f5acc2fd/084'/1'/0']xpubABC",
		"[f5acc2fd/2147483648]xpubABC",
		"[f5acc2f/84']xpubABC",
		"[f5acc2fd/84'",
		"[f5acc2fd/84']",
		"[f5acc2fd/84']xpubABC/**",
		"[f5acc2fd//1]xpubABC",
	} {
		if _, err := ParseKey(bad); !errors.Is(err, ErrKey) {
			t.Errorf("ParseKey(%q) = %v, want ErrKey", bad, err)
		}
	}
}

func TestValidation(t *testing.T) {
	good := Policy{Template: "wpkh(@0/**)", Keys: []string{key84}}
	for name, p := range map[string]Policy{
		"long name":     {Name: strings.Repeat("a", 65), Template: good.Template, Keys: good.Keys},
		"leading space": {Name: " a", Template: good.Template, Keys: good.Keys},
		"control char":  {Name: "a\nb", Template: good.Template, Keys: good.Keys},
		"no template":   {Keys: good.Keys},
		"no keys":       {Template: good.Template},
	} {
		if _, err := p.Serialize(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := Policy{Name: strings.Repeat("a", 64), Template: good.Template, Keys: good.Keys}
	if _, err := ok.Serialize(); err != nil {
		t.Errorf("64-byte name refused: %v", err)
	}
	s, _ := good.Serialize()
	for name, b := range map[string][]byte{
		"empty":       nil,
		"version 1":   append([]byte{1}, s[1:]...),
		"truncated":   s[:len(s)-1],
		"extra byte":  append(append([]byte{}, s...), 0),
		"zero keys":   append(append(append([]byte{}, s[:len(s)-33]...), 0), s[len(s)-32:]...),
		"name length": append([]byte{2, 200}, s[2:]...),
	} {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse %s: accepted", name)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, g := range goldenDefaults {
		b, _ := hex.DecodeString(g.serialHex)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := Parse(b)
		if err != nil {
			return
		}
		// Whatever parses must have the exact size its fields imply.
		if len(h.Name) > MaxNameLen || h.NumKeys == 0 {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func FuzzParseKey(f *testing.F) {
	f.Add(key84)
	f.Add("[deadbeef/0/1']xpubABC")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKey(s)
		if err != nil {
			return
		}
		if k.String() != s {
			t.Fatalf("accepted %q but prints %q", s, k.String())
		}
	})
}
