// Package demo is the simulated chain of "hardfolio demo": a short chain,
// held in memory, whose transactions fund an account of the demo's
// simulated hardware wallet, so that a newcomer can sync it, pay from it,
// sign on the simulated device and broadcast without any network. What is
// broadcast goes into the chain's own mempool, in memory, and nowhere else.
//
// The chain is made up: its blocks carry no proof of work and its coins
// exist nowhere but in this process. It is served by chaintest.Memory, the
// in-memory source every backend's conformance suite is checked against,
// so a wallet syncs from it exactly as from a real server, SPV checks
// included.
package demo

import (
	"fmt"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// Name is how the interface names the chain, as a wallet's backend.
const Name = "demo chain (in memory, nothing leaves this machine)"

// Payment is one receipt of the demo account: Sats to the receive address
// at Index, confirmed in a block at Time.
type Payment struct {
	Sats  int64
	Index uint32
	Time  time.Time
}

// outsider is the script of coins that are not the account's: a P2WPKH of
// an all-0x5e key hash, nobody's key.
var outsider = append([]byte{txscript.OP_0, txscript.OP_DATA_20},
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e,
	0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e, 0x5e)

// NewChain builds a chain on the network's parameters that pays each
// payment to the account d describes, in time order, with a few empty
// blocks after the last, and serves it from memory.
func NewChain(d *descriptor.Descriptor, payments []Payment) (*chaintest.Memory, error) {
	params := d.Network().Params()
	genesis := *params.GenesisBlock
	blocks := []*wire.MsgBlock{&genesis}
	start := payments[0].Time.Add(-time.Hour)
	var scripts [][]byte
	add := func(when time.Time, txs ...*wire.MsgTx) {
		prev := blocks[len(blocks)-1]
		h := len(blocks)
		cb := coinbase(h)
		all := append([]*wire.MsgTx{cb}, txs...)
		b := &wire.MsgBlock{Header: wire.BlockHeader{
			Version: 0x20000000, PrevBlock: prev.BlockHash(), Timestamp: when,
			Bits: params.PowLimitBits, Nonce: uint32(h),
		}, Transactions: all}
		b.Header.MerkleRoot = chaintest.MerkleRoot(all)
		blocks = append(blocks, b)
	}
	add(start) // the coinbase that funds the payments
	funding := blocks[1].Transactions[0]
	left := funding.TxOut[0].Value
	prev := wire.OutPoint{Hash: funding.TxHash(), Index: 0}
	for i, p := range payments {
		x, err := d.Derive(false, p.Index)
		if err != nil {
			return nil, err
		}
		if p.Sats <= 0 || p.Sats+1000 > left {
			return nil, fmt.Errorf("demo chain: payment %d of %d sat does not fit", i, p.Sats)
		}
		tx := wire.NewMsgTx(2)
		in := wire.NewTxIn(&prev, nil, [][]byte{make([]byte, 71), make([]byte, 33)})
		in.Sequence = wallet.SequenceRBF
		tx.AddTxIn(in)
		left -= p.Sats + 1000
		tx.AddTxOut(wire.NewTxOut(p.Sats, x.Script))
		tx.AddTxOut(wire.NewTxOut(left, outsider))
		prev = wire.OutPoint{Hash: tx.TxHash(), Index: 1}
		add(p.Time, tx)
		scripts = append(scripts, x.Script)
	}
	last := blocks[len(blocks)-1].Header.Timestamp
	for i := 1; i <= 6; i++ {
		add(last.Add(time.Duration(i) * 10 * time.Minute))
	}
	return chaintest.NewMemory(&chaintest.Fixture{Net: params, Blocks: blocks, Scripts: scripts}), nil
}

// coinbase is the coinbase of block h, paying the outsider.
func coinbase(h int) *wire.MsgTx {
	sig, _ := txscript.NewScriptBuilder().AddInt64(int64(h)).AddData([]byte("hardfolio demo")).Script()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{}, Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig, Sequence: wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(wire.NewTxOut(50_0000_0000, outsider))
	return tx
}
