package btcapp

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
)

// InsertSignatures returns a copy of pkt with the signatures the device
// YIELDed during SIGN_PSBT added; pkt itself is not modified.
//
//	pubkey            signature             goes to (BIP 174 / BIP 371 field)
//	33 bytes          DER || sighash        PartialSigs (PSBT_IN_PARTIAL_SIG)
//	32 bytes x-only   64 or 65 bytes        TaprootKeySpendSig (PSBT_IN_TAP_KEY_SIG)
//	32 + leaf hash    64 or 65 bytes        TaprootScriptSpendSig (PSBT_IN_TAP_SCRIPT_SIG)
//
// A signature for a key that already has one in the input replaces it.
// It fails with ErrPSBT for a signature on an input the packet does not
// have, or with a key or signature of the wrong size.
func InsertSignatures(pkt *psbt.Packet, sigs []PartialSignature) (*psbt.Packet, error) {
	var buf bytes.Buffer
	if err := pkt.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("%w: serialize: %v", ErrPSBT, err)
	}
	out, err := psbt.NewFromRawBytes(&buf, false)
	if err != nil {
		return nil, fmt.Errorf("%w: copy: %v", ErrPSBT, err)
	}
	for _, s := range sigs {
		if s.InputIndex < 0 || s.InputIndex >= len(out.Inputs) {
			return nil, fmt.Errorf("%w: signature for input %d of %d", ErrPSBT, s.InputIndex, len(out.Inputs))
		}
		in := &out.Inputs[s.InputIndex]
		switch {
		case len(s.PubKey) == 33 && s.TapLeafHash == nil:
			if len(s.Signature) < 9 {
				return nil, fmt.Errorf("%w: input %d: ECDSA signature of %d bytes", ErrPSBT, s.InputIndex, len(s.Signature))
			}
			ps := &psbt.PartialSig{PubKey: clone(s.PubKey), Signature: clone(s.Signature)}
			replaced := false
			for j := range in.PartialSigs {
				if bytes.Equal(in.PartialSigs[j].PubKey, s.PubKey) {
					in.PartialSigs[j], replaced = ps, true
				}
			}
			if !replaced {
				in.PartialSigs = append(in.PartialSigs, ps)
			}
		case len(s.PubKey) == 32:
			sig, hashType, err := schnorrParts(s)
			if err != nil {
				return nil, err
			}
			if s.TapLeafHash == nil {
				in.TaprootKeySpendSig = clone(s.Signature)
				continue
			}
			ss := &psbt.TaprootScriptSpendSig{
				XOnlyPubKey: clone(s.PubKey), LeafHash: clone(s.TapLeafHash),
				Signature: sig, SigHash: hashType,
			}
			replaced := false
			for j, e := range in.TaprootScriptSpendSig {
				if bytes.Equal(e.XOnlyPubKey, s.PubKey) && bytes.Equal(e.LeafHash, s.TapLeafHash) {
					in.TaprootScriptSpendSig[j], replaced = ss, true
				}
			}
			if !replaced {
				in.TaprootScriptSpendSig = append(in.TaprootScriptSpendSig, ss)
			}
		default:
			return nil, fmt.Errorf("%w: input %d: public key of %d bytes", ErrPSBT, s.InputIndex, len(s.PubKey))
		}
	}
	return out, nil
}

// schnorrParts splits a taproot signature into the 64-byte signature and
// its sighash type (SIGHASH_DEFAULT when there is no 65th byte).
func schnorrParts(s PartialSignature) ([]byte, txscript.SigHashType, error) {
	switch len(s.Signature) {
	case 64:
		return clone(s.Signature), txscript.SigHashDefault, nil
	case 65:
		return clone(s.Signature[:64]), txscript.SigHashType(s.Signature[64]), nil
	}
	return nil, 0, fmt.Errorf("%w: input %d: Schnorr signature of %d bytes", ErrPSBT, s.InputIndex, len(s.Signature))
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }
