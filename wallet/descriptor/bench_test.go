package descriptor

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

// The benchmarks derive benchAddresses P2WPKH addresses of the receive chain
// of the BIP 84 test account and report the cost per address.
const benchAddresses = 10_000

// bip84Desc is the descriptor of the BIP 84 test account m/84h/0h/0h, its
// zpub written in the standard xpub form.
const bip84Desc = "wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)"

// reportPerAddress reports the wall time per address, the required figure,
// and the process CPU time per address since cpu0, which a loaded machine
// disturbs less (it also counts the garbage collector's work).
func reportPerAddress(b *testing.B, cpu0 float64) {
	n := float64(b.N * benchAddresses)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/n, "µs/address")
	if cpu0 >= 0 {
		b.ReportMetric((processCPU()-cpu0)/n, "cpu-µs/address")
	}
}

// BenchmarkDeriveP2WPKH: this package (parse, derive the /0 node once, then
// one HMAC, one scalar base multiplication, one addition, one inversion,
// hash160 and bech32 per address).
func BenchmarkDeriveP2WPKH(b *testing.B) {
	Warm()
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		d, err := Parse(bip84Desc, Mainnet)
		if err != nil {
			b.Fatal(err)
		}
		addrs, err := d.Addresses(false, 0, benchAddresses)
		if err != nil || len(addrs) != benchAddresses {
			b.Fatal(err)
		}
	}
	reportPerAddress(b, cpu0)
}

// BenchmarkHDKeychainP2WPKH: the same addresses the plain hdkeychain way
// (Derive from the /0 node, ECPubKey, hash160, bech32), for comparison.
func BenchmarkHDKeychainP2WPKH(b *testing.B) {
	Warm()
	acct, err := hdkeychain.NewKeyFromString("xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		branch, err := acct.Derive(0)
		if err != nil {
			b.Fatal(err)
		}
		for i := uint32(0); i < benchAddresses; i++ {
			child, err := branch.Derive(i)
			if err != nil {
				b.Fatal(err)
			}
			pk, err := child.ECPubKey()
			if err != nil {
				b.Fatal(err)
			}
			a, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pk.SerializeCompressed()), &chaincfg.MainNetParams)
			if err != nil {
				b.Fatal(err)
			}
			_ = a.EncodeAddress()
		}
	}
	reportPerAddress(b, cpu0)
}

// BenchmarkFloor: the btcec floor under any public derivation, one scalar
// base multiplication and one point addition per address, plus the affine
// conversion and hash160 that any address needs (no HMAC, no encoding).
func BenchmarkFloor(b *testing.B) {
	Warm()
	scalars := make([]btcec.ModNScalar, benchAddresses)
	for i := range scalars {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		scalars[i].SetByteSlice(h[:])
	}
	d, err := Parse(bip84Desc, Mainnet)
	if err != nil {
		b.Fatal(err)
	}
	c, err := d.chainFor(0)
	if err != nil {
		b.Fatal(err)
	}
	parent := c.node.point
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		for i := range scalars {
			var ilG, p btcec.JacobianPoint
			btcec.ScalarBaseMultNonConst(&scalars[i], &ilG)
			btcec.AddNonConst(&ilG, &parent, &p)
			p.ToAffine()
			var pub [33]byte
			compress(&p, &pub)
			_ = btcutil.Hash160(pub[:])
		}
	}
	reportPerAddress(b, cpu0)
}

// BenchmarkMultisigDerive derives benchAddresses receive addresses of a
// 2-of-3 wsh(sortedmulti) of BIP 48 keys (each cosigner's key by the
// batched derivation above, then a sort, the script, SHA-256 and bech32
// per address): what a sync's gap-limit scan pays per address.
func BenchmarkMultisigDerive(b *testing.B) {
	Warm()
	desc := "wsh(sortedmulti(2"
	for _, c := range []byte{1, 2, 3} {
		m, err := hdkeychain.NewMaster(bytes.Repeat([]byte{c}, 32), &chaincfg.TestNet3Params)
		if err != nil {
			b.Fatal(err)
		}
		pub, _ := m.ECPubKey()
		k := m
		for _, s := range []uint32{48, 1, 0, 2} {
			k, _ = k.Derive(hdkeychain.HardenedKeyStart + s)
		}
		n, _ := k.Neuter()
		desc += fmt.Sprintf(",[%x/48h/1h/0h/2h]%s/<0;1>/*", btcutil.Hash160(pub.SerializeCompressed())[:4], n)
	}
	desc += "))"
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		m, err := ParseMultisig(desc, Testnet)
		if err != nil {
			b.Fatal(err)
		}
		if ds, err := m.DeriveRange(false, 0, benchAddresses); err != nil || len(ds) != benchAddresses {
			b.Fatal(err)
		}
	}
	reportPerAddress(b, cpu0)
}
