package ledger

import (
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/sim/keys"
)

// hardened is bit 31 of a BIP32 path step.
const hardened = keys.Hardened

// keyring holds the master private key (the key tree shared with the other
// simulators, hw/sim/keys) and the Ledger-specific policy key. It is the
// secret of the simulated device: nothing outside this package may see it.
type keyring struct {
	*keys.Keyring
	// policyKey is the SLIP-0021 key for the label "LEDGER-Wallet policy",
	// which authenticates registered wallet policies (see register.go).
	policyKey [32]byte
}

// newKeyring turns a BIP39 mnemonic and passphrase into the BIP32 master
// key. Both are NFKD-normalised first, as BIP39 requires; the mnemonic's
// checksum must be valid.
func newKeyring(mnemonic, passphrase string) (*keyring, error) {
	seed, err := keys.Seed(mnemonic, passphrase)
	if err != nil {
		return nil, fmt.Errorf("ledger sim: mnemonic: %w", err)
	}
	return newKeyringFromSeed(seed)
}

// newKeyringFromSeed derives the BIP32 master key from a BIP39 seed.
func newKeyringFromSeed(seed []byte) (*keyring, error) {
	k, err := keys.FromSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("ledger sim: %w", err)
	}
	return &keyring{Keyring: k, policyKey: slip21Key(seed, walletPolicyLabel)}, nil
}

// formatPath writes a path as m/44'/1'/0'.
func formatPath(path []uint32) string { return keys.FormatPath(path) }
