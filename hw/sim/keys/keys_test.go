package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/txscript"
)

// BIP 32 test vector 1.
func TestBIP32Vector1(t *testing.T) {
	seed, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	k, err := FromSeed(seed)
	if err != nil {
		t.Fatal(err)
	}
	const main = 0x0488B21E
	for _, tc := range []struct {
		path []uint32
		want string
	}{
		{nil, "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8"},
		{[]uint32{Hardened}, "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw"},
	} {
		got, err := k.Xpub(tc.path, main)
		if err != nil || got != tc.want {
			t.Errorf("%s: %s %v", FormatPath(tc.path), got, err)
		}
	}
	if hex.EncodeToString(k.Fingerprint[:]) != "3442193e" {
		t.Errorf("fingerprint %x", k.Fingerprint)
	}
}

// Signatures verify against the public keys the keyring gives out.
func TestSignatures(t *testing.T) {
	seed, _ := hex.DecodeString("000102030405060708090a0b0c0d0e0f")
	k, _ := FromSeed(seed)
	path := []uint32{Hardened | 84, Hardened, Hardened, 0, 3}
	digest := sha256.Sum256([]byte("hardfolio"))
	pubBytes, _ := k.Pubkey(path)
	pub, _ := btcec.ParsePubKey(pubBytes)

	der, err := k.SignECDSA(path, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ecdsa.ParseDERSignature(der)
	if err != nil || !sig.Verify(digest[:], pub) {
		t.Fatal("ECDSA signature does not verify", err)
	}

	ss, err := k.SignTaproot(path, digest[:])
	if err != nil || len(ss) != 64 {
		t.Fatal(err)
	}
	s, _ := schnorr.ParseSignature(ss)
	if !s.Verify(digest[:], txscript.ComputeTaprootKeyNoScript(pub)) {
		t.Fatal("taproot signature does not verify against the BIP 86 output key")
	}
}
