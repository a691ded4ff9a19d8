package wallet

// Combiner role (BIP 174): merge PSBTs of the same unsigned transaction,
// for example the same PSBT signed by two devices, or returned by a device
// that kept only its own fields.

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
)

// ErrDifferentTx marks PSBTs that do not describe the same transaction.
var ErrDifferentTx = errors.New("PSBTs are for different transactions")

// Combine returns a PSBT holding the key-value pairs of all of ps. They
// must have the same unsigned transaction. Where two of them give a value
// for the same key, the first one's is kept (BIP 174 lets the combiner
// choose). The inputs are not modified.
func Combine(ps ...*psbt.Packet) (*psbt.Packet, error) {
	if len(ps) == 0 {
		return nil, errors.New("combine: no PSBT")
	}
	out, err := clonePacket(ps[0])
	if err != nil {
		return nil, err
	}
	txid := out.UnsignedTx.TxHash()
	for k, p := range ps[1:] {
		if p.UnsignedTx.TxHash() != txid || len(p.Inputs) != len(out.Inputs) || len(p.Outputs) != len(out.Outputs) {
			return nil, fmt.Errorf("combine: PSBT %d: %w", k+2, ErrDifferentTx)
		}
		out.Unknowns = mergeUnknowns(out.Unknowns, p.Unknowns)
		for i := range p.Inputs {
			mergeInput(&out.Inputs[i], &p.Inputs[i])
		}
		for i := range p.Outputs {
			mergeOutput(&out.Outputs[i], &p.Outputs[i])
		}
	}
	return out, nil
}

// clonePacket deep-copies p through its serialisation.
func clonePacket(p *psbt.Packet) (*psbt.Packet, error) {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return nil, err
	}
	return psbt.NewFromRawBytes(&b, false)
}

func mergeInput(a, b *psbt.PInput) {
	if a.NonWitnessUtxo == nil {
		a.NonWitnessUtxo = b.NonWitnessUtxo
	}
	if a.WitnessUtxo == nil {
		a.WitnessUtxo = b.WitnessUtxo
	}
	if a.SighashType == 0 {
		a.SighashType = b.SighashType
	}
	fill(&a.RedeemScript, b.RedeemScript)
	fill(&a.WitnessScript, b.WitnessScript)
	fill(&a.FinalScriptSig, b.FinalScriptSig)
	fill(&a.FinalScriptWitness, b.FinalScriptWitness)
	fill(&a.TaprootKeySpendSig, b.TaprootKeySpendSig)
	fill(&a.TaprootInternalKey, b.TaprootInternalKey)
	fill(&a.TaprootMerkleRoot, b.TaprootMerkleRoot)
	for _, s := range b.PartialSigs {
		if !hasKey(len(a.PartialSigs), func(i int) bool { return bytes.Equal(a.PartialSigs[i].PubKey, s.PubKey) }) {
			a.PartialSigs = append(a.PartialSigs, s)
		}
	}
	for _, d := range b.Bip32Derivation {
		if !hasKey(len(a.Bip32Derivation), func(i int) bool { return bytes.Equal(a.Bip32Derivation[i].PubKey, d.PubKey) }) {
			a.Bip32Derivation = append(a.Bip32Derivation, d)
		}
	}
	for _, d := range b.TaprootBip32Derivation {
		if !hasKey(len(a.TaprootBip32Derivation), func(i int) bool {
			return bytes.Equal(a.TaprootBip32Derivation[i].XOnlyPubKey, d.XOnlyPubKey)
		}) {
			a.TaprootBip32Derivation = append(a.TaprootBip32Derivation, d)
		}
	}
	for _, s := range b.TaprootScriptSpendSig {
		if !hasKey(len(a.TaprootScriptSpendSig), func(i int) bool { return a.TaprootScriptSpendSig[i].EqualKey(s) }) {
			a.TaprootScriptSpendSig = append(a.TaprootScriptSpendSig, s)
		}
	}
	for _, l := range b.TaprootLeafScript {
		if !hasKey(len(a.TaprootLeafScript), func(i int) bool {
			return bytes.Equal(a.TaprootLeafScript[i].ControlBlock, l.ControlBlock)
		}) {
			a.TaprootLeafScript = append(a.TaprootLeafScript, l)
		}
	}
	a.Unknowns = mergeUnknowns(a.Unknowns, b.Unknowns)
}

func mergeOutput(a, b *psbt.POutput) {
	fill(&a.RedeemScript, b.RedeemScript)
	fill(&a.WitnessScript, b.WitnessScript)
	fill(&a.TaprootInternalKey, b.TaprootInternalKey)
	fill(&a.TaprootTapTree, b.TaprootTapTree)
	for _, d := range b.Bip32Derivation {
		if !hasKey(len(a.Bip32Derivation), func(i int) bool { return bytes.Equal(a.Bip32Derivation[i].PubKey, d.PubKey) }) {
			a.Bip32Derivation = append(a.Bip32Derivation, d)
		}
	}
	for _, d := range b.TaprootBip32Derivation {
		if !hasKey(len(a.TaprootBip32Derivation), func(i int) bool {
			return bytes.Equal(a.TaprootBip32Derivation[i].XOnlyPubKey, d.XOnlyPubKey)
		}) {
			a.TaprootBip32Derivation = append(a.TaprootBip32Derivation, d)
		}
	}
	a.Unknowns = mergeUnknowns(a.Unknowns, b.Unknowns)
}

func fill(dst *[]byte, src []byte) {
	if len(*dst) == 0 && len(src) > 0 {
		*dst = src
	}
}

func hasKey(n int, eq func(int) bool) bool {
	for i := range n {
		if eq(i) {
			return true
		}
	}
	return false
}

func mergeUnknowns(a, b []*psbt.Unknown) []*psbt.Unknown {
	for _, u := range b {
		if !hasKey(len(a), func(i int) bool { return bytes.Equal(a[i].Key, u.Key) }) {
			a = append(a, u)
		}
	}
	return a
}
