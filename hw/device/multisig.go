package device

import (
	"context"
	"errors"
	"fmt"
	"math/bits"

	"github.com/btcsuite/btcd/btcutil/psbt"
)

// MultisigScript is how a multisig script is paid to.
type MultisigScript string

// The multisig wrappers devices sign for.
const (
	MultisigWSH   MultisigScript = "wsh"    // wsh(multi(...)), P2WSH
	MultisigSHWSH MultisigScript = "sh-wsh" // sh(wsh(multi(...))), P2SH-P2WSH
	MultisigSH    MultisigScript = "sh"     // sh(multi(...)), P2SH
)

// Multisig describes a k-of-n multisig wallet to a device: the script
// form, the threshold, whether keys are sorted in each script (BIP 67),
// and every cosigner's account key with its origin. Name is what the
// device shows and remembers it by (at most 64 printable ASCII
// characters for a Ledger).
type Multisig struct {
	Name      string
	Script    MultisigScript
	Sorted    bool
	Threshold int
	Keys      []MultisigKey
}

// MultisigKey is one cosigner's account key: its origin, its extended
// public key, and the receive and change steps below it (0 and 1).
type MultisigKey struct {
	Fingerprint     uint32   // master key fingerprint of the origin, big-endian number
	Path            []uint32 // origin path of the account key, e.g. 48'/1'/0'/2'
	Xpub            string
	Receive, Change uint32
}

// Registration is what a device returned when the user approved a
// multisig wallet on it, to present again with later requests so the
// device need not ask again (for a Ledger, the HMAC of its wallet
// policy). It is bound to one device's seed; a device that needs no
// registration returns nil.
type Registration []byte

// MultisigDevice is a Device that shows addresses of and signs for
// multisig wallets. Devices that keep no registration still implement
// RegisterMultisig (returning nil).
type MultisigDevice interface {
	Device
	// RegisterMultisig has the user approve ms on the device and returns
	// its registration.
	RegisterMultisig(ctx context.Context, ms Multisig) (Registration, error)
	// MultisigAddress returns the address at (change, index) of ms; with
	// display set the device shows it.
	MultisigAddress(ctx context.Context, ms Multisig, reg Registration, change bool, index uint32, display bool) (string, error)
	// SignPSBTMultisig signs the inputs of pkt that spend from ms with the
	// device's key and returns a new packet; pkt is not modified.
	SignPSBTMultisig(ctx context.Context, pkt *psbt.Packet, ms Multisig, reg Registration) (*psbt.Packet, error)
}

// RegisteredMultisig is a multisig wallet with this device's registration.
type RegisteredMultisig struct {
	Multisig
	Registration Registration
}

// ErrNotRegistered: a multisig wallet the device has no registration for.
var ErrNotRegistered = errors.New("device: multisig wallet not registered on this device")

// SignAll signs every input of pkt that d holds a key for: its single-sig
// accounts (SignPSBT), then each of the multisig wallets whose keys the
// inputs' derivations name, with its registration. It fails with
// ErrNotOurs only when nothing could be signed; pkt is never modified.
func SignAll(ctx context.Context, d Device, pkt *psbt.Packet, wallets []RegisteredMultisig) (*psbt.Packet, error) {
	out, err := d.SignPSBT(ctx, pkt)
	signed := err == nil
	if err != nil && !errors.Is(err, ErrNotOurs) {
		return nil, err
	}
	if !signed {
		out = pkt
	}
	md, ok := d.(MultisigDevice)
	for _, w := range wallets {
		if !SpendsFrom(out, w.Multisig) {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("%w: this device does not sign for multisig wallets", ErrUnsupported)
		}
		next, err := md.SignPSBTMultisig(ctx, out, w.Multisig, w.Registration)
		if err != nil {
			return nil, fmt.Errorf("multisig %q: %w", w.Name, err)
		}
		out, signed = next, true
	}
	if !signed {
		return nil, fmt.Errorf("%w: no input of the PSBT is of this device's accounts or of its registered multisig wallets", ErrNotOurs)
	}
	return out, nil
}

// SpendsFrom reports whether an input of pkt spends from ms: its BIP 32
// derivations name every cosigner's key, each at its origin path
// followed by the receive or change step and an index.
func SpendsFrom(pkt *psbt.Packet, ms Multisig) bool {
	for _, in := range pkt.Inputs {
		if len(in.Bip32Derivation) != len(ms.Keys) {
			continue
		}
		all := true
		for _, k := range ms.Keys {
			found := false
			for _, d := range in.Bip32Derivation {
				found = found || k.derives(d.MasterKeyFingerprint, d.Bip32Path)
			}
			all = all && found
		}
		if all {
			return true
		}
	}
	return false
}

// derives reports whether a PSBT derivation (fingerprint little-endian,
// as BIP 174 stores it) is a child of the key at receive/i or change/i.
func (k MultisigKey) derives(psbtFpr uint32, path []uint32) bool {
	if bits.ReverseBytes32(psbtFpr) != k.Fingerprint || len(path) != len(k.Path)+2 {
		return false
	}
	for i, s := range k.Path {
		if path[i] != s {
			return false
		}
	}
	step := path[len(k.Path)]
	return (step == k.Receive || step == k.Change) && path[len(path)-1] < Hardened
}
