package descriptor_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// bip129Record is BIP 129's test vector "Mode: NO_ENCRYPTION", round 2:
// the coordinator's descriptor record of a 2-of-2 wsh(sortedmulti).
const bip129Record = `BSMS 1.0
wsh(sortedmulti(2,[1cf0bf7e/48'/0'/0'/2']xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qozxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz/**,[4fc1dd4a/48'/0'/0'/2']xpub6EebMbEps7ZcV3FYEnddRsvrFWDrt2tiPmCeM7pPXQEmphvq9ZfJ1LWFUDjf3vxCeBuPrfyGrMazWUsYsetrnHatQZVLJH7LsgCjtMqdzgj/**))
/0/*,/1/*
bc1qrgc6p3kylfztu06ysl752gwwuekhvtfh9vr7zg43jvu60mutamcsv948ej
`

// TestBSMSVector reads BIP 129's record (its first address is checked
// against the keys on the way) and writes it back byte for byte.
func TestBSMSVector(t *testing.T) {
	m, err := descriptor.ParseBSMS(strings.ReplaceAll(bip129Record, "\n", "\r\n"), descriptor.Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	if m.Threshold() != 2 || m.N() != 2 || !m.Sorted() || m.Wrap() != descriptor.WrapWSH {
		t.Fatalf("read %s", m)
	}
	got, err := m.BSMS()
	if err != nil {
		t.Fatal(err)
	}
	if got != bip129Record {
		t.Errorf("wrote\n%s\nwant\n%s", got, bip129Record)
	}
	// The receive and change descriptors of BIP 129's expansion.
	recv, change := m.Chains()
	for _, c := range []struct{ got, step string }{{recv, "/0/*"}, {change, "/1/*"}} {
		payload, sum, _ := strings.Cut(c.got, "#")
		if want, err := descriptor.Checksum(payload); err != nil || want != sum {
			t.Errorf("chain %s: checksum %s, want %s (%v)", c.got, sum, want, err)
		}
		d, err := descriptor.ParseMultisig(strings.ReplaceAll(payload, c.step, "/<0;1>/*"), descriptor.Mainnet)
		if err != nil || !strings.Contains(c.got, "xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qozxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz"+c.step) {
			t.Errorf("chain %s: %v", c.got, err)
		} else if d.String() != m.String() {
			t.Errorf("chain %s does not expand from %s", c.got, m)
		}
	}
}

func TestBSMSErrors(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(bip129Record), "\n")
	with := func(i int, s string) string {
		l := append([]string(nil), lines...)
		l[i] = s
		return strings.Join(l, "\n")
	}
	for _, c := range []struct {
		text string
		want string
		err  error
	}{
		{with(0, "BSMS 2.0"), "line 1", descriptor.ErrSyntax},
		{strings.Join(lines[:3], "\n"), "4 lines", descriptor.ErrSyntax},
		{with(2, "No path restrictions"), "line 3", descriptor.ErrUnsupported},
		{with(2, "/0/*,/1/*,/2/*"), "line 3", descriptor.ErrUnsupported},
		{with(2, "/0h/*,/1/*"), "line 3", descriptor.ErrSyntax},
		{with(3, "bc1qhs4u273g4azq7kqqpe6vh5wfhasfmrq7nheyzsnq77humd7rwtkqagvakf"), "line 4", descriptor.ErrSyntax},
		{with(1, lines[1]+"#aaaaaaaa"), "line 2", descriptor.ErrChecksum},
		{with(1, strings.Replace(lines[1], "sortedmulti(2", "sortedmulti(3", 1)), "line 2", descriptor.ErrSyntax},
	} {
		_, err := descriptor.ParseBSMS(c.text, descriptor.Mainnet)
		if !errors.Is(err, c.err) || !strings.Contains(fmt.Sprint(err), c.want) {
			t.Errorf("%q: %v, want %v at %s", c.text, err, c.err, c.want)
		}
	}
	// A record for mainnet is refused on testnet: its xpubs are mainnet keys.
	if _, err := descriptor.ParseBSMS(bip129Record, descriptor.Testnet); !errors.Is(err, descriptor.ErrNetwork) {
		t.Errorf("mainnet record on testnet: %v", err)
	}
}

// TestSetupFilesRoundTrip writes every wrapper as BSMS and Coldcard
// files and reads them back to the same wallet.
func TestSetupFilesRoundTrip(t *testing.T) {
	var keys []string
	for _, b := range []byte{1, 2, 3} {
		fpr, a := cosigner(t, b)
		keys = append(keys, "["+fpr+"/48h/1h/0h/2h]"+a.String()+"/<0;1>/*")
	}
	for _, form := range []string{"wsh(sortedmulti(2,%s))", "sh(wsh(sortedmulti(2,%s)))", "sh(sortedmulti(2,%s))", "wsh(multi(2,%s))"} {
		m, err := descriptor.ParseMultisig(fmt.Sprintf(form, strings.Join(keys, ",")), descriptor.Testnet)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.BSMS()
		if err != nil {
			t.Fatal(err)
		}
		back, err := descriptor.ParseBSMS(b, descriptor.Testnet)
		if err != nil || back.String() != m.String() {
			t.Errorf("%s: BSMS read back as %v, %v", form, back, err)
		}
		cc, err := m.Coldcard("Family vault")
		if !m.Sorted() {
			if !errors.Is(err, descriptor.ErrUnsupported) {
				t.Errorf("%s: Coldcard file of multi(): %v", form, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(cc, "Policy: 2 of 3\n") || !strings.Contains(cc, "Derivation: m/48'/1'/0'/2'\n") {
			t.Errorf("%s: Coldcard file\n%s", form, cc)
		}
		back, name, err := descriptor.ParseColdcard(cc, descriptor.Testnet)
		if err != nil || back.String() != m.String() || name != "Family vault" {
			t.Errorf("%s: Coldcard file read back as %v %q, %v", form, back, name, err)
		}
	}
}

func TestColdcardErrors(t *testing.T) {
	fpr, a := cosigner(t, 1)
	key := strings.ToUpper(fpr) + ": " + a.String()
	for _, c := range []struct{ text, want string }{
		{"Name: x\nPolicy: 1 of 1\nFormat: P2TR\nDerivation: m/48'/1'/0'/2'\n" + key, "format"},
		{"Name: x\nPolicy: 1 of 2\nFormat: P2WSH\nDerivation: m/48'/1'/0'/2'\n" + key, "2 keys"[2:]},
		{"Name: x\nPolicy: one of 1\nFormat: P2WSH\n" + key, "line 2"},
		{"Name: x\nPolicy: 1 of 1\nFormat: P2WSH\n" + key, "line 4"},
		{"Name: x\nPolicy: 1 of 1\nFormat: P2WSH\nDerivation: 48'/1'\n" + key, "line 4"},
		{"Name: x\nthis is not a line\n", "line 2"},
	} {
		if _, _, err := descriptor.ParseColdcard(c.text, descriptor.Testnet); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.text, err, c.want)
		}
	}
}

// FuzzSetupFiles: the setup file readers never panic, and what they
// accept writes back to a file that reads to the same wallet.
func FuzzSetupFiles(f *testing.F) {
	f.Add(bip129Record)
	f.Add("Name: v\nPolicy: 1 of 1\nFormat: P2WSH\nDerivation: m/48'/0'/0'/2'\n1CF0BF7E: xpub6FL8FhxNNUVnG64YurPd16AfGyvFLhh7S2uSsDqR3Qfcm6o9jtcMYwh6DvmcBF9qozxNQmTCVvWtxLpKTnhVLN3Pgnu2D3pAoXYFgVyd8Yz\n")
	f.Fuzz(func(t *testing.T, text string) {
		if m, err := descriptor.ParseBSMS(text, descriptor.Mainnet); err == nil {
			out, err := m.BSMS()
			if err != nil {
				t.Fatal(err)
			}
			if back, err := descriptor.ParseBSMS(out, descriptor.Mainnet); err != nil || back.String() != m.String() {
				t.Fatalf("BSMS %q read back as %v, %v", out, back, err)
			}
		}
		if m, name, err := descriptor.ParseColdcard(text, descriptor.Mainnet); err == nil && name != "" && len(name) <= 20 && !strings.ContainsAny(name, "\r\n") {
			out, err := m.Coldcard(name)
			if err != nil {
				t.Fatal(err)
			}
			if back, _, err := descriptor.ParseColdcard(out, descriptor.Mainnet); err != nil || back.String() != m.String() {
				t.Fatalf("Coldcard %q read back as %v, %v", out, back, err)
			}
		}
	})
}

// FuzzParseMultisig: ParseMultisig never panics; what it accepts prints
// canonically (parsing String() gives the same String()), derives, and
// round-trips through a BSMS record.
func FuzzParseMultisig(f *testing.F) {
	var keys []string
	for _, b := range []byte{1, 2, 3} {
		fpr, a := cosigner(f, b)
		keys = append(keys, "["+fpr+"/48h/1h/0h/2h]"+a.String()+"/<0;1>/*")
	}
	for _, form := range []string{"wsh(sortedmulti(2,%s))", "sh(wsh(multi(1,%s)))", "sh(sortedmulti(3,%s))"} {
		f.Add(fmt.Sprintf(form, strings.Join(keys, ",")))
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, err := descriptor.ParseMultisig(text, descriptor.Testnet)
		if err != nil {
			return
		}
		back, err := descriptor.ParseMultisig(m.String(), descriptor.Testnet)
		if err != nil || back.String() != m.String() {
			t.Fatalf("%q prints as %q, which reads as %v, %v", text, m, back, err)
		}
		d, err := m.Derive(true, 7)
		if err != nil {
			t.Fatal(err)
		}
		if e, _ := back.Derive(true, 7); e.Address != d.Address {
			t.Fatalf("%q and its canonical form derive %s and %s", text, d.Address, e.Address)
		}
		rec, err := m.BSMS()
		if errors.Is(err, descriptor.ErrUnsupported) {
			return // keys with different receive and change steps
		}
		if err != nil {
			t.Fatal(err)
		}
		if r, err := descriptor.ParseBSMS(rec, descriptor.Testnet); err != nil || r.String() != m.String() {
			t.Fatalf("BSMS of %s reads as %v, %v", m, r, err)
		}
	})
}
