package ledger

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/cosmos/go-bip39"
	"golang.org/x/text/unicode/norm"
)

// hardened is bit 31 of a BIP32 path step.
const hardened = hdkeychain.HardenedKeyStart

// keyring holds the master private key. It is the secret of the simulated
// device: nothing outside this package may see it.
type keyring struct {
	master      *hdkeychain.ExtendedKey
	fingerprint [4]byte
	// policyKey is the SLIP-0021 key for the label "LEDGER-Wallet policy",
	// which authenticates registered wallet policies (see register.go).
	policyKey [32]byte
}

// newKeyring turns a BIP39 mnemonic and passphrase into the BIP32 master
// key. Both are NFKD-normalised first, as BIP39 requires; the mnemonic's
// checksum must be valid.
func newKeyring(mnemonic, passphrase string) (*keyring, error) {
	mnemonic = strings.Join(strings.Fields(norm.NFKD.String(mnemonic)), " ")
	seed, err := bip39.NewSeedWithErrorChecking(mnemonic, norm.NFKD.String(passphrase))
	if err != nil {
		return nil, fmt.Errorf("ledger sim: mnemonic: %w", err)
	}
	return newKeyringFromSeed(seed)
}

// newKeyringFromSeed derives the BIP32 master key from a BIP39 seed. The
// network passed to hdkeychain only matters for its String method, which
// this package never calls on private keys.
func newKeyringFromSeed(seed []byte) (*keyring, error) {
	master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("ledger sim: master key: %w", err)
	}
	pub, err := master.ECPubKey()
	if err != nil {
		return nil, err
	}
	k := &keyring{master: master, policyKey: slip21Key(seed, walletPolicyLabel)}
	copy(k.fingerprint[:], btcutil.Hash160(pub.SerializeCompressed()))
	return k, nil
}

// derive returns the private extended key at path (BIP32 private
// derivation) and the fingerprint of its parent (zero for the master).
func (k *keyring) derive(path []uint32) (key *hdkeychain.ExtendedKey, parentFP uint32, err error) {
	key = k.master
	for _, step := range path {
		parentFP, err = fingerprintOf(key)
		if err != nil {
			return nil, 0, err
		}
		key, err = key.Derive(step)
		if err != nil {
			return nil, 0, fmt.Errorf("ledger sim: derive: %w", err)
		}
	}
	return key, parentFP, nil
}

func fingerprintOf(key *hdkeychain.ExtendedKey) (uint32, error) {
	pub, err := key.ECPubKey()
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(btcutil.Hash160(pub.SerializeCompressed())[:4]), nil
}

// xpub returns the base58check serialization of the public extended key
// at path with the given version bytes:
//
//	| size | field                         |
//	|------|-------------------------------|
//	| 4    | version (xpub/tpub), BE       |
//	| 1    | depth (= path length)         |
//	| 4    | parent fingerprint, BE        |
//	| 4    | child number (last step), BE  |
//	| 32   | chain code                    |
//	| 33   | compressed public key         |
//	| 4    | checksum (double SHA-256)     |
func (k *keyring) xpub(path []uint32, version uint32) (string, error) {
	key, parentFP, err := k.derive(path)
	if err != nil {
		return "", err
	}
	pub, err := key.ECPubKey()
	if err != nil {
		return "", err
	}
	var child uint32
	if len(path) > 0 {
		child = path[len(path)-1]
	}
	v := binary.BigEndian.AppendUint32(nil, version)
	fp := binary.BigEndian.AppendUint32(nil, parentFP)
	return hdkeychain.NewExtendedKey(v, pub.SerializeCompressed(), key.ChainCode(), fp,
		uint8(len(path)), child, false).String(), nil
}

// pubkey returns the compressed public key at path.
func (k *keyring) pubkey(path []uint32) ([]byte, error) {
	key, _, err := k.derive(path)
	if err != nil {
		return nil, err
	}
	pub, err := key.ECPubKey()
	if err != nil {
		return nil, err
	}
	return pub.SerializeCompressed(), nil
}

// formatPath writes a path as m/44'/1'/0'.
func formatPath(path []uint32) string {
	var b strings.Builder
	b.WriteString("m")
	for _, s := range path {
		if s >= hardened {
			fmt.Fprintf(&b, "/%d'", s-hardened)
		} else {
			fmt.Fprintf(&b, "/%d", s)
		}
	}
	return b.String()
}
