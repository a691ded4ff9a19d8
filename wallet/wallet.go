package wallet

import (
	"errors"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// DefaultGapLimit is the number of consecutive unused addresses after which
// a chain is considered to end, as in BIP 44.
const DefaultGapLimit = 20

// ReorgMargin is how many blocks below the last synced tip an incremental
// sync asks for again, so that transactions in blocks replaced by a shallow
// reorganisation are picked up or dropped.
const ReorgMargin = 6

// Wallet is a watch-only wallet: a descriptor and what is needed to scan it.
//
// Descriptor is either a multipath descriptor (".../<0;1>/*"), which holds
// the receive and change chains, or the receive descriptor alone, in which
// case ChangeDescriptor may give the change chain. A wallet with no change
// chain sends change to its next unused receive address.
//
// Multisig, instead of Descriptor, makes a k-of-n multisig wallet
// (wsh, sh(wsh) or sh of multi or sortedmulti): its descriptor holds the
// receive and change chains of every cosigner's key. Exactly one of
// Descriptor and Multisig is set.
//
// BirthdayHeight is the height of the first block that may hold one of the
// wallet's transactions; scans start there (0: from genesis). A birthday
// given as a date needs the block at that date, which chain.Source cannot
// look up: the caller converts the date to a height (for example from a
// block explorer or a node) and stores the height.
type Wallet struct {
	ID   string // stable identifier; names the cache and label files
	Name string // shown to the user

	Descriptor       *descriptor.Descriptor
	ChangeDescriptor *descriptor.Descriptor // optional, see above

	Network        descriptor.Network // must match the descriptors'; zero: take theirs
	BirthdayHeight int32
	GapLimit       int // zero: DefaultGapLimit

	Multisig *descriptor.Multisig // a multisig wallet, see above
}

// Errors of wallet configuration.
var (
	ErrNoDescriptor = errors.New("wallet has no descriptor")
	ErrBadID        = errors.New("wallet id must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'")
)

// Validate checks that the wallet is usable: a descriptor, matching networks,
// a change descriptor only when the main one has no change chain, and an ID
// that can name a file.
func (w *Wallet) Validate() error {
	if err := checkID(w.ID); err != nil {
		return err
	}
	if w.Multisig != nil {
		if w.Descriptor != nil || w.ChangeDescriptor != nil {
			return fmt.Errorf("wallet %q: a multisig wallet takes no single-sig descriptor", w.ID)
		}
		if w.Network != 0 && w.Network != w.Multisig.Network() {
			return fmt.Errorf("wallet %q is on %s but its descriptor is for %s", w.ID, w.Network, w.Multisig.Network())
		}
		return w.checkLimits()
	}
	if w.Descriptor == nil {
		return ErrNoDescriptor
	}
	net := w.Descriptor.Network()
	if w.Network != 0 && w.Network != net {
		return fmt.Errorf("wallet %q is on %s but its descriptor is for %s", w.ID, w.Network, net)
	}
	if w.ChangeDescriptor != nil {
		if w.Descriptor.HasChange() {
			return fmt.Errorf("wallet %q: the descriptor already has a change chain; drop the change descriptor", w.ID)
		}
		if w.ChangeDescriptor.Network() != net {
			return fmt.Errorf("wallet %q: change descriptor is for %s, receive descriptor for %s", w.ID, w.ChangeDescriptor.Network(), net)
		}
		if w.ChangeDescriptor.Type() != w.Descriptor.Type() {
			return fmt.Errorf("wallet %q: change descriptor is %s, receive descriptor %s", w.ID, w.ChangeDescriptor.Type(), w.Descriptor.Type())
		}
	}
	return w.checkLimits()
}

func (w *Wallet) checkLimits() error {
	if w.GapLimit < 0 {
		return fmt.Errorf("wallet %q: negative gap limit", w.ID)
	}
	if w.BirthdayHeight < 0 {
		return fmt.Errorf("wallet %q: negative birthday height", w.ID)
	}
	return nil
}

func checkID(id string) error {
	if id == "" || len(id) > 64 || id[0] == '.' {
		return ErrBadID
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return ErrBadID
		}
	}
	return nil
}

// Net returns the wallet's network.
func (w *Wallet) Net() descriptor.Network {
	if w.Multisig != nil {
		return w.Multisig.Network()
	}
	return w.Descriptor.Network()
}

// IsMultisig tells whether the wallet is a multisig one (Multisig set).
func (w *Wallet) IsMultisig() bool { return w.Multisig != nil }

// String returns the wallet's descriptor in canonical form with its
// checksum (with the change descriptor after a space, when there is one).
func (w *Wallet) String() string { return w.identity() }

func (w *Wallet) gapLimit() int {
	if w.GapLimit > 0 {
		return w.GapLimit
	}
	return DefaultGapLimit
}

// HasChange tells whether the wallet has a change chain of its own.
func (w *Wallet) HasChange() bool {
	return w.Multisig != nil || w.ChangeDescriptor != nil || w.Descriptor.HasChange()
}

// identity is what a cached State must have been built from to be reused.
func (w *Wallet) identity() string {
	if w.Multisig != nil {
		return w.Multisig.String()
	}
	s := w.Descriptor.String()
	if w.ChangeDescriptor != nil {
		s += " " + w.ChangeDescriptor.String()
	}
	return s
}

// chainDesc returns the descriptor and change flag that derive the given
// chain, or ok=false when the wallet has no such chain.
func (w *Wallet) chainDesc(change bool) (d *descriptor.Descriptor, flag bool, ok bool) {
	switch {
	case !change:
		return w.Descriptor, false, true
	case w.Descriptor.HasChange():
		return w.Descriptor, true, true
	case w.ChangeDescriptor != nil:
		return w.ChangeDescriptor, false, true
	}
	return nil, false, false
}

// rangeLen is how many indexes a chain has: 1 for a descriptor without "/*".
func (w *Wallet) ranged(change bool) bool {
	if w.Multisig != nil {
		return true
	}
	d, _, ok := w.chainDesc(change)
	return ok && d.IsRange()
}

// derive returns the outputs at indexes from..from+count-1 of a chain. For a
// descriptor without "/*", only index 0 exists.
func (w *Wallet) derive(change bool, from, count uint32) ([]descriptor.Derived, error) {
	if w.Multisig != nil {
		ms, err := w.Multisig.DeriveRange(change, from, count)
		if err != nil {
			return nil, err
		}
		out := make([]descriptor.Derived, len(ms))
		for i, m := range ms {
			out[i] = multisigOutput(m)
		}
		return out, nil
	}
	d, flag, ok := w.chainDesc(change)
	if !ok {
		return nil, nil
	}
	if !d.IsRange() {
		if from > 0 {
			return nil, nil
		}
		o, err := d.Derive(flag, 0)
		if err != nil {
			return nil, err
		}
		o.Change = change
		return []descriptor.Derived{o}, nil
	}
	out, err := d.DeriveRange(flag, from, count)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Change = change
	}
	return out, nil
}

// deriveOne returns the output at one index of a chain.
func (w *Wallet) deriveOne(change bool, index uint32) (descriptor.Derived, error) {
	if w.Multisig != nil {
		m, err := w.Multisig.Derive(change, index)
		return multisigOutput(m), err
	}
	d, flag, ok := w.chainDesc(change)
	if !ok {
		return descriptor.Derived{}, fmt.Errorf("wallet %q has no change chain", w.ID)
	}
	o, err := d.Derive(flag, index)
	o.Change = change
	return o, err
}

// multisigOutput is the part of a multisig output that sync and the
// state need: its script and address (the keys are in the
// MultisigDerived, for PSBTs).
func multisigOutput(m descriptor.MultisigDerived) descriptor.Derived {
	return descriptor.Derived{Change: m.Change, Index: m.Index, Script: m.PkScript, RedeemScript: m.RedeemScript, Address: m.Address}
}

// hasChain tells whether the wallet has the chain.
func (w *Wallet) hasChain(change bool) bool {
	if w.Multisig != nil {
		return true
	}
	_, _, ok := w.chainDesc(change)
	return ok
}

// KeyOrigins returns the full derivation of every key of the output at
// index of a chain: one for a single-sig wallet, one per cosigner in the
// descriptor's order for a multisig one. A hardware wallet shows the
// address at the path that carries its fingerprint.
func (w *Wallet) KeyOrigins(change bool, index uint32) ([]descriptor.KeyOrigin, error) {
	if w.Multisig != nil {
		m, err := w.Multisig.Derive(change, index)
		if err != nil {
			return nil, err
		}
		out := make([]descriptor.KeyOrigin, len(m.Keys))
		for i, k := range m.Keys {
			out[i] = k.Origin
		}
		return out, nil
	}
	d, err := w.deriveOne(change, index)
	if err != nil {
		return nil, err
	}
	return []descriptor.KeyOrigin{d.Origin}, nil
}

// Kind describes the wallet's script in a few words: "wpkh", or for a
// multisig wallet "2-of-3 wsh sortedmulti".
func (w *Wallet) Kind() string {
	if m := w.Multisig; m != nil {
		fn := "multi"
		if m.Sorted() {
			fn = "sortedmulti"
		}
		return fmt.Sprintf("%d-of-%d %s %s", m.Threshold(), m.N(), m.Wrap(), fn)
	}
	return w.Descriptor.Type().String()
}
