package descriptor_test

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// cosigner is a BIP 48 account (m/48'/1'/0'/2') of a seed of repeated
// bytes, with its fingerprint.
func cosigner(t testing.TB, b byte) (fpr string, acct *hdkeychain.ExtendedKey) {
	t.Helper()
	m, err := hdkeychain.NewMaster(bytes.Repeat([]byte{b}, 32), &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := m.ECPubKey()
	k := m
	for _, s := range []uint32{48, 1, 0, 2} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + s); err != nil {
			t.Fatal(err)
		}
	}
	n, _ := k.Neuter()
	return fmt.Sprintf("%x", btcutil.Hash160(pub.SerializeCompressed())[:4]), n
}

// TestMultisigDerive checks every wrapper against an independent
// derivation with hdkeychain and txscript.
func TestMultisigDerive(t *testing.T) {
	var keys []string
	var accts []*hdkeychain.ExtendedKey
	for _, b := range []byte{1, 2, 3} {
		fpr, a := cosigner(t, b)
		keys = append(keys, "["+fpr+"/48h/1h/0h/2h]"+a.String()+"/<0;1>/*")
		accts = append(accts, a)
	}
	for _, c := range []struct {
		desc   string
		sorted bool
		wrap   descriptor.Wrap
	}{
		{"wsh(sortedmulti(2,%s))", true, descriptor.WrapWSH},
		{"wsh(multi(2,%s))", false, descriptor.WrapWSH},
		{"sh(wsh(sortedmulti(2,%s)))", true, descriptor.WrapSHWSH},
		{"sh(sortedmulti(2,%s))", true, descriptor.WrapSH},
	} {
		text := fmt.Sprintf(c.desc, strings.Join(keys, ","))
		m, err := descriptor.ParseMultisig(text, descriptor.Testnet)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		if m.Wrap() != c.wrap || m.Sorted() != c.sorted || m.Threshold() != 2 || len(m.Keys()) != 3 {
			t.Fatalf("%s: parsed %v %v %d", c.desc, m.Wrap(), m.Sorted(), m.Threshold())
		}
		again, err := descriptor.ParseMultisig(m.String(), descriptor.Testnet)
		if err != nil || again.String() != m.String() {
			t.Fatalf("%s: canonical form %s does not read back: %v", c.desc, m.String(), err)
		}
		for _, change := range []bool{false, true} {
			d, err := m.Derive(change, 5)
			if err != nil {
				t.Fatal(err)
			}
			var pubs []*btcutil.AddressPubKey
			for _, a := range accts {
				step := uint32(0)
				if change {
					step = 1
				}
				k, _ := a.Derive(step)
				k, _ = k.Derive(5)
				pk, _ := k.ECPubKey()
				ap, _ := btcutil.NewAddressPubKey(pk.SerializeCompressed(), &chaincfg.TestNet3Params)
				pubs = append(pubs, ap)
			}
			if c.sorted {
				sort.Slice(pubs, func(i, j int) bool { return bytes.Compare(pubs[i].ScriptAddress(), pubs[j].ScriptAddress()) < 0 })
			}
			script, _ := txscript.MultiSigScript(pubs, 2)
			var addr btcutil.Address
			switch c.wrap {
			case descriptor.WrapWSH:
				addr, _ = btcutil.NewAddressWitnessScriptHash(chainhash.HashB(script), &chaincfg.TestNet3Params)
			case descriptor.WrapSHWSH:
				addr, _ = btcutil.NewAddressScriptHash(append([]byte{0, 32}, chainhash.HashB(script)...), &chaincfg.TestNet3Params)
			default:
				addr, _ = btcutil.NewAddressScriptHash(script, &chaincfg.TestNet3Params)
			}
			pk, _ := txscript.PayToAddrScript(addr)
			if d.Address != addr.EncodeAddress() || !bytes.Equal(d.Script, script) || !bytes.Equal(d.PkScript, pk) {
				t.Errorf("%s change=%v: %s, want %s", c.desc, change, d.Address, addr.EncodeAddress())
			}
			if got := d.Keys[1].Origin.String(); !strings.HasSuffix(got, fmt.Sprintf("/48h/1h/0h/2h/%d/5", map[bool]int{false: 0, true: 1}[change])) {
				t.Errorf("key origin %s", got)
			}
		}
	}

	for _, bad := range []struct {
		text string
		want error
	}{
		{"wsh(sortedmulti(4," + strings.Join(keys, ",") + "))", descriptor.ErrSyntax},
		{"wsh(sortedmulti(2," + keys[0] + "," + keys[0] + "))", descriptor.ErrSyntax},
		{"wsh(sortedmulti(1," + strings.TrimSuffix(keys[0], "/<0;1>/*") + "/0/*))", descriptor.ErrUnsupported},
		{"wpkh(" + keys[0] + ")", descriptor.ErrUnsupported},
		{"wsh(pk(" + keys[0] + "))", descriptor.ErrUnsupported},
	} {
		if _, err := descriptor.ParseMultisig(bad.text, descriptor.Testnet); !errors.Is(err, bad.want) {
			t.Errorf("%.40s…: error %v, want %v", bad.text, err, bad.want)
		}
	}
}

func TestJoinOrigins(t *testing.T) {
	a, _ := descriptor.ParseKeyOrigin("f5acc2fd/48h/0h/0h/2h/0/5")
	b, _ := descriptor.ParseKeyOrigin("73c5da0a/48h/0h/0h/2h/0/5")
	c, _ := descriptor.ParseKeyOrigin("e2867bb6/48h/0h/1h/2h/0/5")
	for _, tc := range []struct {
		in   []descriptor.KeyOrigin
		want string
	}{
		{[]descriptor.KeyOrigin{a, b}, "m/48h/0h/0h/2h/0/5 (f5acc2fd, 73c5da0a)"},
		{[]descriptor.KeyOrigin{a, b, c}, "…/0/5 (f5acc2fd, 73c5da0a, e2867bb6)"},
		{nil, ""},
	} {
		if got := descriptor.JoinOrigins(tc.in); got != tc.want {
			t.Errorf("JoinOrigins = %q, want %q", got, tc.want)
		}
	}
}
