package wallet

// Updater role (BIP 174): give every input and the change output what a
// signer needs to sign and to recognise its own keys:
//
//   - every input: NON_WITNESS_UTXO (the full previous transaction, which
//     lets the device check the amount it signs, even for segwit inputs);
//     segwit inputs (sh-wpkh, wpkh, tr) also WITNESS_UTXO. P2PKH inputs do
//     not get WITNESS_UTXO: BIP 174 defines it for segwit spends only, and
//     finalizers read its presence as "finalize as segwit";
//   - pkh, sh-wpkh and wpkh inputs: BIP32_DERIVATION (master fingerprint
//     and full path from the descriptor's key origin); sh-wpkh inputs also
//     the REDEEM_SCRIPT;
//   - tr inputs (key path only): TAP_BIP32_DERIVATION with no leaf hashes
//     and TAP_INTERNAL_KEY (BIP 371);
//   - multisig inputs: BIP32_DERIVATION of every cosigner's key, the
//     WITNESS_SCRIPT (wsh, sh-wsh) and the REDEEM_SCRIPT (sh-wsh, sh);
//     legacy sh inputs get NON_WITNESS_UTXO only, as pkh ones;
//   - the change output: the same derivations (and redeem script or
//     internal key), so that devices show it as change instead of asking
//     the user to confirm it as a payment.

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

func updatePSBT(state *State, d *Draft) error {
	w := state.w
	if w.Multisig != nil {
		return updateMultisig(state, d)
	}
	typ := w.Descriptor.Type()
	p := d.Packet
	for i, u := range d.Inputs {
		prev := state.prevTx(u.OutPoint.Hash)
		if prev == nil || int(u.OutPoint.Index) >= len(prev.TxOut) {
			return fmt.Errorf("input %s: previous transaction unknown", u.OutPoint)
		}
		der, err := w.deriveOne(u.Change, u.Index)
		if err != nil {
			return fmt.Errorf("input %s: %w", u.OutPoint, err)
		}
		if string(der.Script) != string(prev.TxOut[u.OutPoint.Index].PkScript) {
			return fmt.Errorf("input %s: script does not match the wallet's derivation", u.OutPoint)
		}
		in := &p.Inputs[i]
		in.NonWitnessUtxo = prev
		if typ != descriptor.PKH {
			in.WitnessUtxo = prev.TxOut[u.OutPoint.Index]
		}
		switch typ {
		case descriptor.TR:
			in.TaprootInternalKey = der.InternalKey
			in.TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{tapDerivation(der)}
		default:
			in.Bip32Derivation = []*psbt.Bip32Derivation{bip32Derivation(der)}
			if typ == descriptor.SHWPKH {
				in.RedeemScript = der.RedeemScript
			}
		}
	}
	if d.ChangeOutput >= 0 {
		der, err := w.deriveOne(d.Change.Change, d.Change.Index)
		if err != nil {
			return fmt.Errorf("change output: %w", err)
		}
		out := &p.Outputs[d.ChangeOutput]
		switch typ {
		case descriptor.TR:
			out.TaprootInternalKey = der.InternalKey
			out.TaprootBip32Derivation = []*psbt.TaprootBip32Derivation{tapDerivation(der)}
		default:
			out.Bip32Derivation = []*psbt.Bip32Derivation{bip32Derivation(der)}
			if typ == descriptor.SHWPKH {
				out.RedeemScript = der.RedeemScript
			}
		}
	}
	return nil
}

// updateMultisig is updatePSBT for a multisig wallet.
func updateMultisig(state *State, d *Draft) error {
	m := state.w.Multisig
	p := d.Packet
	segwit := m.Wrap() != descriptor.WrapSH
	for i, u := range d.Inputs {
		prev := state.prevTx(u.OutPoint.Hash)
		if prev == nil || int(u.OutPoint.Index) >= len(prev.TxOut) {
			return fmt.Errorf("input %s: previous transaction unknown", u.OutPoint)
		}
		der, err := m.Derive(u.Change, u.Index)
		if err != nil {
			return fmt.Errorf("input %s: %w", u.OutPoint, err)
		}
		if string(der.PkScript) != string(prev.TxOut[u.OutPoint.Index].PkScript) {
			return fmt.Errorf("input %s: script does not match the wallet's derivation", u.OutPoint)
		}
		in := &p.Inputs[i]
		in.NonWitnessUtxo = prev
		if segwit {
			in.WitnessUtxo = prev.TxOut[u.OutPoint.Index]
		}
		in.WitnessScript, in.RedeemScript = der.WitnessScript, der.RedeemScript
		in.Bip32Derivation = multisigDerivations(der)
	}
	if d.ChangeOutput >= 0 {
		der, err := m.Derive(d.Change.Change, d.Change.Index)
		if err != nil {
			return fmt.Errorf("change output: %w", err)
		}
		out := &p.Outputs[d.ChangeOutput]
		out.WitnessScript, out.RedeemScript = der.WitnessScript, der.RedeemScript
		out.Bip32Derivation = multisigDerivations(der)
	}
	return nil
}

// multisigDerivations are the BIP 32 derivations of every cosigner's key
// at a multisig output, in the descriptor's order.
func multisigDerivations(m descriptor.MultisigDerived) []*psbt.Bip32Derivation {
	out := make([]*psbt.Bip32Derivation, len(m.Keys))
	for i, k := range m.Keys {
		out[i] = bip32Derivation(k)
	}
	return out
}

func bip32Derivation(d descriptor.Derived) *psbt.Bip32Derivation {
	return &psbt.Bip32Derivation{
		PubKey:               d.PubKey,
		MasterKeyFingerprint: d.Origin.PSBTFingerprint(),
		Bip32Path:            append([]uint32(nil), d.Origin.Path...),
	}
}

func tapDerivation(d descriptor.Derived) *psbt.TaprootBip32Derivation {
	return &psbt.TaprootBip32Derivation{
		XOnlyPubKey:          d.InternalKey,
		LeafHashes:           nil,
		MasterKeyFingerprint: d.Origin.PSBTFingerprint(),
		Bip32Path:            append([]uint32(nil), d.Origin.Path...),
	}
}
