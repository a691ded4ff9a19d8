package ledger

import (
	"encoding/hex"
	"testing"

	"github.com/cosmos/go-bip39"
)

const h = hardened

// BIP39 reference vector (trezor/python-mnemonic vectors.json, first
// entry): entropy 00…00, passphrase "TREZOR".
func TestBIP39Vector(t *testing.T) {
	const mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
	const want = "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"
	seed, err := bip39.NewSeedWithErrorChecking(mnemonic, "TREZOR")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(seed); got != want {
		t.Fatalf("seed = %s, want %s", got, want)
	}
	// The keyring goes through the same steps (normalisation included).
	if _, err := newKeyring("  abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about ", "TREZOR"); err != nil {
		t.Fatal(err)
	}
	if _, err := newKeyring("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon", ""); err == nil {
		t.Fatal("mnemonic with a bad checksum accepted")
	}
}

// Speculos' default mnemonic: its BIP39 seed is the default_seed of
// speculos src/environment.c, and its master fingerprint f5acc2fd is the
// one app-bitcoin-new's tests use.
func TestSpeculosSeed(t *testing.T) {
	const wantSeed = "b11997faff420a331bb4a4ffdc8bdc8ba7c01732a99a30d83dbbebd469666c84b47d09d3f5f472b3b9384ac634beba2a440ba36ec7661144132f35e206873564"
	seed, err := bip39.NewSeedWithErrorChecking(SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(seed); got != wantSeed {
		t.Fatalf("seed = %s, want %s", got, wantSeed)
	}
	k, err := newKeyring(SpeculosMnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(k.Fingerprint[:]); got != "f5acc2fd" {
		t.Fatalf("fingerprint = %s, want f5acc2fd", got)
	}
}

// BIP32 test vector 1 (also in btcd btcutil/hdkeychain/extendedkey_test.go).
func TestBIP32Vector1(t *testing.T) {
	seed, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	k, err := newKeyringFromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path []uint32
		want string
	}{
		{nil, "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"},
		{[]uint32{h + 0}, "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"},
		{[]uint32{h + 0, 1}, "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ"},
		{[]uint32{h + 0, 1, h + 2, 2, 1000000000}, "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy"},
	} {
		got, err := k.Xpub(tc.path, coinMain.xpubVersion)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", formatPath(tc.path), got, tc.want)
		}
	}
}
