package wallet

// Input finalizer role (BIP 174): once the device has signed, turn each
// input's signatures into its final scriptSig and witness:
//
//	pkh      scriptSig <sig> <pubkey>
//	sh-wpkh  scriptSig <redeem script>, witness <sig> <pubkey>
//	wpkh     witness <sig> <pubkey>
//	tr       witness <key path signature> (TAP_KEY_SIG)
//	wsh      witness <> <sig>... <witness script>
//	sh-wsh   scriptSig <P2WSH program>, witness <> <sig>... <witness script>
//	sh       scriptSig OP_0 <sig>... <redeem script>
//
// and drop the fields that only served signing, as BIP 174 asks. A
// multisig input takes exactly k signatures, in the order of the keys in
// its script: with fewer it waits for the other cosigners
// (*SignaturesError), with more the first k in script order are used.

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
)

// ErrNotSigned marks an input without the signature it needs.
var ErrNotSigned = errors.New("input is not signed")

// SignaturesError reports a multisig input with fewer signatures than its
// threshold: another cosigner must sign. It wraps ErrNotSigned.
type SignaturesError struct {
	Input      int
	Have, Need int
}

func (e *SignaturesError) Error() string {
	return fmt.Sprintf("%d of %d signatures: another cosigner must sign", e.Have, e.Need)
}

func (e *SignaturesError) Unwrap() error { return ErrNotSigned }

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
		if err := trimMultisig(in, i); err != nil {
			return fmt.Errorf("input %d (%s): %w", i, p.UnsignedTx.TxIn[i].PreviousOutPoint, err)
		}
		if err := psbt.Finalize(p, i); err != nil {
			return fmt.Errorf("input %d (%s): finalize: %w", i, p.UnsignedTx.TxIn[i].PreviousOutPoint, err)
		}
	}
	return nil
}

// MultisigSignatures returns how many signatures a multisig input carries
// for the keys of its script and how many it needs; ok is false when the
// input is not a multisig one.
func MultisigSignatures(in *psbt.PInput) (have, need int, ok bool) {
	script := multisigScript(in)
	if script == nil {
		return 0, 0, false
	}
	pubs, k, err := multisigKeys(script)
	if err != nil {
		return 0, 0, false
	}
	for _, s := range in.PartialSigs {
		if slices.ContainsFunc(pubs, func(p []byte) bool { return bytes.Equal(p, s.PubKey) }) {
			have++
		}
	}
	return have, k, true
}

// multisigScript is the input's multisig script (witness script, else
// redeem script), or nil.
func multisigScript(in *psbt.PInput) []byte {
	for _, s := range [][]byte{in.WitnessScript, in.RedeemScript} {
		if len(s) > 0 && txscript.GetScriptClass(s) == txscript.MultiSigTy {
			return s
		}
	}
	return nil
}

// multisigKeys returns the keys of a multisig script in script order and
// its threshold.
func multisigKeys(script []byte) ([][]byte, int, error) {
	_, k, err := txscript.CalcMultiSigStats(script)
	if err != nil {
		return nil, 0, err
	}
	var pubs [][]byte
	tok := txscript.MakeScriptTokenizer(0, script)
	for tok.Next() {
		if d := tok.Data(); len(d) == 33 || len(d) == 65 {
			pubs = append(pubs, d)
		}
	}
	return pubs, k, tok.Err()
}

// trimMultisig keeps, on a multisig input, the signatures of the first k
// keys that signed in script order, and fails when there are fewer than k.
// Other inputs are left alone.
func trimMultisig(in *psbt.PInput, i int) error {
	script := multisigScript(in)
	if script == nil {
		return nil
	}
	pubs, k, err := multisigKeys(script)
	if err != nil {
		return err
	}
	var keep []*psbt.PartialSig
	for _, p := range pubs {
		for _, s := range in.PartialSigs {
			if bytes.Equal(s.PubKey, p) && len(keep) < k {
				keep = append(keep, s)
			}
		}
	}
	if len(keep) < k {
		return &SignaturesError{Input: i, Have: len(keep), Need: k}
	}
	in.PartialSigs = keep
	return nil
}

// SignedBy tells whether every input of p carries a signature of a key
// whose BIP 32 derivation names the master fingerprint fpr (as a device
// reports it, big-endian): that cosigner has taken its turn.
func SignedBy(p *psbt.Packet, fpr uint32) bool {
	for _, in := range p.Inputs {
		found := false
		for _, d := range in.Bip32Derivation {
			if bits.ReverseBytes32(d.MasterKeyFingerprint) != fpr {
				continue
			}
			for _, s := range in.PartialSigs {
				found = found || bytes.Equal(s.PubKey, d.PubKey)
			}
		}
		if !found {
			return false
		}
	}
	return len(p.Inputs) > 0
}
