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
