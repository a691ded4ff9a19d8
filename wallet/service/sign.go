package service

// The signing flow that joins a wallet to a hardware wallet: the wallet
// builds the PSBT, the device signs it, and this file checks what came
// back, finalizes and extracts the transaction. The command line and the
// terminal interface both call SignWith, so the two never drift apart.
//
// The device is reached through Signer, an interface defined here by its
// user: hw/device.Device has this method, so a device is a Signer without
// the wallet layer and the hardware layer importing each other.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet"
)

// Signer signs PSBTs: it returns a new packet with its signatures added
// and never modifies pkt. It must honour ctx: cancelling it ends the
// exchange with the device.
type Signer interface {
	SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error)
}

// ErrSignerChanged marks a signed PSBT that differs from the one sent in
// more than added signatures: another transaction, changed outputs or
// amounts, or signatures for keys the inputs do not name. Such a result is
// never used.
var ErrSignerChanged = errors.New("the signer changed the PSBT beyond adding signatures")

// ErrNothingSigned marks a signer that added no signature.
var ErrNothingSigned = errors.New("the signer added no signature")

// Signed is a PSBT after a signer's turn.
type Signed struct {
	// Packet is the signed PSBT, not finalized: what to write to a file
	// for another signer or for broadcasting elsewhere.
	Packet *psbt.Packet
	// Added is the number of signatures the signer added.
	Added int
	// Complete is set when every input could be finalized and the
	// transaction passed the script engine; Final and Tx are then set.
	Complete bool
	// Pending says why the PSBT is not complete (an input still needs
	// another signer), when it is not.
	Pending error
	Final   *psbt.Packet // the finalized copy
	Tx      *wire.MsgTx  // the network transaction, scripts verified
	// Fee is the fee in satoshis, when the PSBT carries every input's
	// value (PSBTs built by the wallet do); -1 otherwise.
	Fee int64
}

// SignWith has s sign pkt and checks the result (CheckSigned); when every
// input then finalizes, it also returns the finalized copy and the
// transaction after verifying every input with the script engine. pkt is
// never modified, and nothing is returned but an error when the signer
// fails, is cancelled, or returns something else than pkt with signatures
// added.
func SignWith(ctx context.Context, s Signer, pkt *psbt.Packet) (*Signed, error) {
	before, err := clone(pkt)
	if err != nil {
		return nil, err
	}
	after, err := s.SignPSBT(ctx, before)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled as the answer came: drop it
	}
	added, err := CheckSigned(pkt, after)
	if err != nil {
		return nil, err
	}
	if added == 0 {
		return nil, ErrNothingSigned
	}
	out := &Signed{Packet: after, Added: added, Fee: fee(after)}
	final, err := clone(after)
	if err != nil {
		return nil, err
	}
	if err := wallet.Finalize(final); err != nil {
		out.Pending = err
		return out, nil
	}
	tx, err := wallet.Extract(final)
	if err != nil {
		return nil, fmt.Errorf("the signed transaction does not verify: %w", err)
	}
	out.Complete, out.Final, out.Tx = true, final, tx
	return out, nil
}

// CheckSigned checks that after is before with signatures added and
// nothing else changed, and returns how many were added:
//
//   - the unsigned transaction is the same, byte for byte;
//   - every output map is unchanged;
//   - in every input, every field but the signatures is unchanged, and
//     signatures already there are kept as they were;
//   - each new ECDSA signature is for a key of the input's BIP 32
//     derivations, a new taproot key-path signature is on an input with a
//     taproot derivation, a new script-path signature is for a key of its
//     taproot derivations.
//
// The signatures themselves are checked by the script engine when the
// transaction is extracted.
func CheckSigned(before, after *psbt.Packet) (int, error) {
	if after == nil || after.UnsignedTx == nil {
		return 0, fmt.Errorf("%w: no transaction", ErrSignerChanged)
	}
	// Compare both as parsed from their serializations, so that an empty
	// field and an absent one are the same.
	before, err := clone(before)
	if err != nil {
		return 0, err
	}
	if after, err = clone(after); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSignerChanged, err)
	}
	var b1, b2 bytes.Buffer
	if err := before.UnsignedTx.Serialize(&b1); err != nil {
		return 0, err
	}
	if err := after.UnsignedTx.Serialize(&b2); err != nil {
		return 0, fmt.Errorf("%w: %v", ErrSignerChanged, err)
	}
	if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
		return 0, fmt.Errorf("%w: it is another transaction", ErrSignerChanged)
	}
	if len(after.Inputs) != len(before.Inputs) || len(after.Outputs) != len(before.Outputs) {
		return 0, fmt.Errorf("%w: %d inputs and %d outputs, sent %d and %d", ErrSignerChanged,
			len(after.Inputs), len(after.Outputs), len(before.Inputs), len(before.Outputs))
	}
	for i := range before.Outputs {
		if !reflect.DeepEqual(before.Outputs[i], after.Outputs[i]) {
			return 0, fmt.Errorf("%w: output %d changed", ErrSignerChanged, i)
		}
	}
	added := 0
	for i := range before.Inputs {
		n, err := checkInput(&before.Inputs[i], &after.Inputs[i])
		if err != nil {
			return 0, fmt.Errorf("%w: input %d: %v", ErrSignerChanged, i, err)
		}
		added += n
	}
	if !reflect.DeepEqual(before.Unknowns, after.Unknowns) {
		return 0, fmt.Errorf("%w: global fields changed", ErrSignerChanged)
	}
	return added, nil
}

// checkInput compares one input before and after signing.
func checkInput(a, b *psbt.PInput) (int, error) {
	x, y := *a, *b
	x.PartialSigs, y.PartialSigs = nil, nil
	x.TaprootKeySpendSig, y.TaprootKeySpendSig = nil, nil
	x.TaprootScriptSpendSig, y.TaprootScriptSpendSig = nil, nil
	if !reflect.DeepEqual(x, y) {
		return 0, errors.New("fields other than signatures changed")
	}
	var named, tapNamed [][]byte
	for _, d := range a.Bip32Derivation {
		named = append(named, d.PubKey)
	}
	for _, d := range a.TaprootBip32Derivation {
		tapNamed = append(tapNamed, d.XOnlyPubKey)
	}
	added, err := addedSigs(a.PartialSigs, b.PartialSigs, named, "", func(s *psbt.PartialSig) []byte { return s.PubKey })
	if err != nil {
		return 0, err
	}
	switch {
	case bytes.Equal(a.TaprootKeySpendSig, b.TaprootKeySpendSig):
	case len(a.TaprootKeySpendSig) > 0:
		return 0, errors.New("the taproot key-path signature was changed")
	case len(a.TaprootBip32Derivation) == 0:
		return 0, errors.New("a taproot signature on an input without a taproot key")
	default:
		added++
	}
	n, err := addedSigs(a.TaprootScriptSpendSig, b.TaprootScriptSpendSig, tapNamed, "script-path ",
		func(s *psbt.TaprootScriptSpendSig) []byte { return s.XOnlyPubKey })
	return added + n, err
}

// addedSigs compares an input's signatures of one kind before and after:
// every old one must be kept as it was, and every new one must be for a
// key the input names. It returns how many are new.
func addedSigs[S any](before, after []S, named [][]byte, kind string, keyOf func(S) []byte) (int, error) {
	has := func(list []S, s S) bool {
		for _, t := range list {
			if reflect.DeepEqual(t, s) {
				return true
			}
		}
		return false
	}
	for _, s := range before {
		if !has(after, s) {
			return 0, fmt.Errorf("the %ssignature of key %x was removed or changed", kind, keyOf(s))
		}
	}
	added := 0
	for _, s := range after {
		if has(before, s) {
			continue
		}
		ours := false
		for _, k := range named {
			ours = ours || bytes.Equal(k, keyOf(s))
		}
		if !ours {
			return 0, fmt.Errorf("a %ssignature for key %x, which the input does not name", kind, keyOf(s))
		}
		added++
	}
	return added, nil
}

// fee is the PSBT's fee, or -1 when an input's value is not in it.
func fee(p *psbt.Packet) int64 {
	var in int64
	for i, pi := range p.Inputs {
		op := p.UnsignedTx.TxIn[i].PreviousOutPoint
		switch {
		case pi.WitnessUtxo != nil:
			in += pi.WitnessUtxo.Value
		case pi.NonWitnessUtxo != nil && int(op.Index) < len(pi.NonWitnessUtxo.TxOut):
			in += pi.NonWitnessUtxo.TxOut[op.Index].Value
		default:
			return -1
		}
	}
	for _, o := range p.UnsignedTx.TxOut {
		in -= o.Value
	}
	return in
}

// clone copies a packet through its serialization.
func clone(p *psbt.Packet) (*psbt.Packet, error) {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return nil, fmt.Errorf("PSBT: %w", err)
	}
	return psbt.NewFromRawBytes(&b, false)
}
