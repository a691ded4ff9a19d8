package wallet

// Input finalizer role (BIP 174): once the device has signed, turn each
// input's signatures into its final scriptSig and witness:
//
//	pkh      scriptSig <sig> <pubkey>
//	sh-wpkh  scriptSig <redeem script>, witness <sig> <pubkey>
//	wpkh     witness <sig> <pubkey>
//	tr       witness <key path signature> (TAP_KEY_SIG)
//
// and drop the fields that only served signing, as BIP 174 asks.

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
)

// ErrNotSigned marks an input without the signature it needs.
var ErrNotSigned = errors.New("input is not signed")

// Finalize finalizes every input of p that is not final yet. It fails, and
// names the input, when one lacks its signature or the signature does not
// fit its script; inputs finalized before the failure stay finalized.
func Finalize(p *psbt.Packet) error {
	for i := range p.Inputs {
		in := &p.Inputs[i]
		if len(in.FinalScriptSig) > 0 || len(in.FinalScriptWitness) > 0 {
			continue
		}
		if len(in.PartialSigs) == 0 && len(in.TaprootKeySpendSig) == 0 && len(in.TaprootScriptSpendSig) == 0 {
			return fmt.Errorf("input %d (%s): %w", i, p.UnsignedTx.TxIn[i].PreviousOutPoint, ErrNotSigned)
		}
		if err := psbt.Finalize(p, i); err != nil {
			return fmt.Errorf("input %d (%s): finalize: %w", i, p.UnsignedTx.TxIn[i].PreviousOutPoint, err)
		}
	}
	return nil
}
