// Package keys is the key tree of hardfolio's simulated devices: a BIP39
// mnemonic turned into a BIP32 master key, derivation, extended public
// keys and signatures. The Ledger and Trezor simulators share it.
//
// # WARNING: THIS PACKAGE HOLDS PRIVATE KEYS
//
// Only the simulators under hw/sim may import it. Never load a mnemonic
// that guards real funds.
package keys

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/cosmos/go-bip39"
	"golang.org/x/text/unicode/norm"
)

// Hardened is bit 31 of a BIP32 path step.
const Hardened = hdkeychain.HardenedKeyStart

// Keyring holds a master private key: the secret of a simulated device.
type Keyring struct {
	master *hdkeychain.ExtendedKey
	// Fingerprint is the master key's fingerprint (first 4 bytes of
	// HASH160 of its public key).
	Fingerprint [4]byte
}

// Seed turns a BIP39 mnemonic and passphrase into the 64-byte seed. Both
// are NFKD-normalised first, as BIP39 requires; the mnemonic's checksum
// must be valid.
func Seed(mnemonic, passphrase string) ([]byte, error) {
	mnemonic = strings.Join(strings.Fields(norm.NFKD.String(mnemonic)), " ")
	return bip39.NewSeedWithErrorChecking(mnemonic, norm.NFKD.String(passphrase))
}

// FromSeed derives the BIP32 master key from a BIP39 seed. The network
// passed to hdkeychain only matters for its String method, never called on
// private keys.
func FromSeed(seed []byte) (*Keyring, error) {
	master, err := hdkeychain.NewMaster(seed, &chaincfg.MainNetParams)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	pub, err := master.ECPubKey()
	if err != nil {
		return nil, err
	}
	k := &Keyring{master: master}
	copy(k.Fingerprint[:], btcutil.Hash160(pub.SerializeCompressed()))
	return k, nil
}

// Derive returns the private extended key at path (BIP32 private
// derivation) and the fingerprint of its parent (zero for the master).
func (k *Keyring) Derive(path []uint32) (key *hdkeychain.ExtendedKey, parentFP uint32, err error) {
	key = k.master
	for _, step := range path {
		parentFP, err = FingerprintOf(key)
		if err != nil {
			return nil, 0, err
		}
		key, err = key.Derive(step)
		if err != nil {
			return nil, 0, fmt.Errorf("derive: %w", err)
		}
	}
	return key, parentFP, nil
}

// FingerprintOf returns a key's BIP32 fingerprint as a big-endian number.
func FingerprintOf(key *hdkeychain.ExtendedKey) (uint32, error) {
	pub, err := key.ECPubKey()
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(btcutil.Hash160(pub.SerializeCompressed())[:4]), nil
}

// Node is the public part of the key at a path.
type Node struct {
	Depth     uint8
	ParentFP  uint32
	ChildNum  uint32
	ChainCode []byte
	PubKey    []byte // compressed
}

// Node returns the public node at path.
func (k *Keyring) Node(path []uint32) (Node, error) {
	key, parentFP, err := k.Derive(path)
	if err != nil {
		return Node{}, err
	}
	pub, err := key.ECPubKey()
	if err != nil {
		return Node{}, err
	}
	var child uint32
	if len(path) > 0 {
		child = path[len(path)-1]
	}
	return Node{uint8(len(path)), parentFP, child, key.ChainCode(), pub.SerializeCompressed()}, nil
}

// Xpub returns the base58check serialization of the public extended key
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
func (k *Keyring) Xpub(path []uint32, version uint32) (string, error) {
	n, err := k.Node(path)
	if err != nil {
		return "", err
	}
	return n.Xpub(version), nil
}

// Xpub serializes the node with the given version bytes.
func (n Node) Xpub(version uint32) string {
	v := binary.BigEndian.AppendUint32(nil, version)
	fp := binary.BigEndian.AppendUint32(nil, n.ParentFP)
	return hdkeychain.NewExtendedKey(v, n.PubKey, n.ChainCode, fp, n.Depth, n.ChildNum, false).String()
}

// Pubkey returns the compressed public key at path.
func (k *Keyring) Pubkey(path []uint32) ([]byte, error) {
	n, err := k.Node(path)
	return n.PubKey, err
}

// SignECDSA signs a 32-byte digest with the key at path: a low-S DER
// signature, without sighash byte.
func (k *Keyring) SignECDSA(path []uint32, digest []byte) ([]byte, error) {
	priv, err := k.private(path)
	if err != nil {
		return nil, err
	}
	return ecdsa.Sign(priv, digest).Serialize(), nil
}

// SignTaproot signs a BIP 341 key-path digest with the key at path,
// tweaked with an empty script tree (BIP 86): a 64-byte BIP 340 signature.
func (k *Keyring) SignTaproot(path []uint32, digest []byte) ([]byte, error) {
	priv, err := k.private(path)
	if err != nil {
		return nil, err
	}
	sig, err := schnorr.Sign(txscript.TweakTaprootPrivKey(*priv, nil), digest)
	if err != nil {
		return nil, err
	}
	return sig.Serialize(), nil
}

func (k *Keyring) private(path []uint32) (*btcec.PrivateKey, error) {
	key, _, err := k.Derive(path)
	if err != nil {
		return nil, err
	}
	return key.ECPrivKey()
}

// FormatPath writes a path as m/44'/1'/0'.
func FormatPath(path []uint32) string {
	var b strings.Builder
	b.WriteString("m")
	for _, s := range path {
		if s >= Hardened {
			fmt.Fprintf(&b, "/%d'", s-Hardened)
		} else {
			fmt.Fprintf(&b, "/%d", s)
		}
	}
	return b.String()
}
