package wallet

// Transaction extractor role (BIP 174): build the network transaction from
// a finalized PSBT, and check every input's script before anything is
// broadcast.

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// ErrScript marks an extracted transaction whose input scripts do not
// verify: a signature for another transaction, key or amount.
var ErrScript = errors.New("script verification failed")

// Extract returns the signed transaction of a finalized PSBT after
// verifying every input against the output it spends, with the standard
// script verification flags (segwit, taproot, strict encodings).
func Extract(p *psbt.Packet) (*wire.MsgTx, error) {
	tx, err := psbt.Extract(p)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	if err := VerifyScripts(p, tx); err != nil {
		return nil, err
	}
	return tx, nil
}

// VerifyScripts runs the script engine on every input of tx, taking the
// outputs they spend from p (WITNESS_UTXO, else NON_WITNESS_UTXO).
func VerifyScripts(p *psbt.Packet, tx *wire.MsgTx) error {
	if len(p.Inputs) != len(tx.TxIn) {
		return fmt.Errorf("%w: %d PSBT inputs for %d transaction inputs", ErrScript, len(p.Inputs), len(tx.TxIn))
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	prevs := make([]*wire.TxOut, len(tx.TxIn))
	for i, in := range p.Inputs {
		op := tx.TxIn[i].PreviousOutPoint
		switch {
		case in.WitnessUtxo != nil:
			prevs[i] = in.WitnessUtxo
		case in.NonWitnessUtxo != nil && in.NonWitnessUtxo.TxHash() == op.Hash && int(op.Index) < len(in.NonWitnessUtxo.TxOut):
			prevs[i] = in.NonWitnessUtxo.TxOut[op.Index]
		default:
			return fmt.Errorf("%w: input %d: the output it spends is not in the PSBT", ErrScript, i)
		}
		fetcher.AddPrevOut(op, prevs[i])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, prev := range prevs {
		vm, err := txscript.NewEngine(prev.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, prev.Value, fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return fmt.Errorf("%w: input %d (%s): %v", ErrScript, i, tx.TxIn[i].PreviousOutPoint, err)
		}
	}
	return nil
}
