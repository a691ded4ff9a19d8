package testchain

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
)

// MinerScript receives coinbases and change in built chains; it belongs to
// no wallet.
var MinerScript = []byte{0x00, 0x14, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}

// Coinbase returns a coinbase transaction for height paying 50 BTC to
// script, in the given number of equal outputs.
func Coinbase(height int32, script []byte, outputs int) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	sig := make([]byte, 5)
	sig[0] = 4
	binary.LittleEndian.PutUint32(sig[1:], uint32(height))
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	for i := 0; i < outputs; i++ {
		tx.AddTxOut(wire.NewTxOut(50_0000_0000/int64(outputs), script))
	}
	return tx
}

// NewBlock assembles txs into a block on prev and mines it at regtest
// difficulty, so its proof of work is valid for chaincfg.RegressionNetParams.
func NewBlock(prev chainhash.Hash, timestamp int64, txs []*wire.MsgTx) *wire.MsgBlock {
	ids := make([]chainhash.Hash, len(txs))
	for i, tx := range txs {
		ids[i] = tx.TxHash()
	}
	b := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:    0x20000000,
			PrevBlock:  prev,
			MerkleRoot: MerkleRoot(ids),
			Timestamp:  time.Unix(timestamp, 0),
			Bits:       0x207fffff,
		},
		Transactions: txs,
	}
	target := blockchain.CompactToBig(b.Header.Bits)
	for {
		h := b.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			return b
		}
		b.Header.Nonce++
	}
}

// addBlock appends a block of a coinbase paying script and txs, stamped
// timestamp, and returns it.
func (c *Chain) addBlock(script []byte, txs []*wire.MsgTx, timestamp int64) *wire.MsgBlock {
	height := int32(len(c.Blocks))
	prev := c.Blocks[height-1]
	txs = append([]*wire.MsgTx{Coinbase(height, script, 1)}, txs...)
	b := NewBlock(prev.BlockHash(), timestamp, txs)
	c.Blocks = append(c.Blocks, b)
	return b
}

// Script returns the i-th wallet script of a built chain (P2WPKH-shaped).
func Script(seed uint64, i int) []byte {
	s := make([]byte, 22)
	s[0], s[1] = 0x00, 0x14
	binary.LittleEndian.PutUint64(s[2:], seed)
	binary.LittleEndian.PutUint32(s[10:], uint32(i))
	s[14] = 0x5a
	return s
}

// Build makes a regtest chain in which each of n wallet scripts (the
// fixture's Scripts) is paid once, about a third of them later spend to
// another wallet script or away, and a few payments wait in the mempool
// (one of them with an unconfirmed parent). perBlock bounds the wallet
// transactions of a block. The same seed gives the same chain.
//
// Unlike chaintest.BuildSynthetic, whose chain is fixed, Build makes as
// many scripts and blocks as a test asks for, with valid regtest proof of
// work and fee estimates.
func Build(seed uint64, n, perBlock int) *Chain {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	genesis := chaincfg.RegressionNetParams.GenesisBlock
	c := &Chain{
		Fixture: &chaintest.Fixture{
			Net:    &chaincfg.RegressionNetParams,
			Blocks: []*wire.MsgBlock{genesis},
		},
		FeeRates: map[int]float64{1: 25.5, 2: 20, 6: 8.25, 144: 1.5},
	}
	for i := 0; i < n; i++ {
		c.Scripts = append(c.Scripts, Script(seed, i))
	}
	ts := genesis.Header.Timestamp.Unix()

	// Coins to spend: a block of coinbases to the miner.
	type coin struct {
		op    wire.OutPoint
		value int64
	}
	var coins []coin
	funding := Coinbase(1, MinerScript, n+8)
	b1 := NewBlock(c.Blocks[0].BlockHash(), ts+600, []*wire.MsgTx{funding})
	c.Blocks = append(c.Blocks, b1)
	for i, o := range funding.TxOut {
		coins = append(coins, coin{wire.OutPoint{Hash: funding.TxHash(), Index: uint32(i)}, o.Value})
	}

	pay := func(from coin, to []byte, amount int64) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: from.op, Sequence: 0xfffffffd, Witness: wire.TxWitness{{0x30, byte(rng.IntN(256))}}})
		tx.AddTxOut(wire.NewTxOut(amount, to))
		tx.AddTxOut(wire.NewTxOut(from.value-amount-500, MinerScript))
		return tx
	}

	// Wallet transactions, perBlock to a block.
	var pending []*wire.MsgTx
	flush := func() {
		if len(pending) == 0 {
			return
		}
		c.addBlock(MinerScript, pending, ts+600*int64(len(c.Blocks)))
		pending = nil
	}
	type owned struct {
		c      coin
		script int
	}
	var wallet []owned
	for i := 0; i < n; i++ {
		amount := int64(10_000 + rng.IntN(1_000_000))
		tx := pay(coins[i], c.Scripts[i], amount)
		pending = append(pending, tx)
		wallet = append(wallet, owned{coin{wire.OutPoint{Hash: tx.TxHash(), Index: 0}, amount}, i})
		if len(pending) >= perBlock {
			flush()
		}
	}
	flush()
	for i := range wallet {
		if rng.IntN(3) != 0 || wallet[i].c.value < 5000 {
			continue
		}
		w := wallet[i]
		to := MinerScript
		if rng.IntN(2) == 0 {
			to = c.Scripts[rng.IntN(n)]
		}
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: w.c.op, Sequence: 0xfffffffd, Witness: wire.TxWitness{{0x30, byte(i)}}})
		tx.AddTxOut(wire.NewTxOut(w.c.value-1000, to))
		pending = append(pending, tx)
		if len(pending) >= perBlock {
			flush()
		}
	}
	flush()

	// The mempool: two payments from the miner, and one spending the
	// first of them before it confirms.
	if n > 0 {
		m1 := pay(coins[n], c.Scripts[0], 70_000)
		m2 := pay(coins[n+1], c.Scripts[n-1], 80_000)
		m3 := wire.NewMsgTx(2)
		m3.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: m1.TxHash(), Index: 0}, Sequence: 0xfffffffd, Witness: wire.TxWitness{{0x31}}})
		m3.AddTxOut(wire.NewTxOut(69_000, c.Scripts[n/2]))
		c.Mempool = []*wire.MsgTx{m1, m2, m3}
	}
	return c
}

// PayMany appends blocks in which script is paid count times, perBlock
// payments to a block, so that its history spans several pages.
func (c *Chain) PayMany(script []byte, count, perBlock int) {
	prev := c.Blocks[len(c.Blocks)-1]
	height := int32(len(c.Blocks))
	ts := prev.Header.Timestamp.Unix()
	funding := Coinbase(height, MinerScript, count)
	c.Blocks = append(c.Blocks, NewBlock(prev.BlockHash(), ts+600, []*wire.MsgTx{funding}))
	var pending []*wire.MsgTx
	flush := func() {
		if len(pending) == 0 {
			return
		}
		last := c.Blocks[len(c.Blocks)-1]
		c.addBlock(MinerScript, pending, last.Header.Timestamp.Unix()+600)
		pending = nil
	}
	for i := 0; i < count; i++ {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: funding.TxHash(), Index: uint32(i)}, Witness: wire.TxWitness{{0x30, byte(i)}}})
		tx.AddTxOut(wire.NewTxOut(1000+int64(i), script))
		tx.AddTxOut(wire.NewTxOut(funding.TxOut[i].Value-2000-int64(i), MinerScript))
		pending = append(pending, tx)
		if len(pending) >= perBlock {
			flush()
		}
	}
	flush()
}

// UnspentSpender returns a transaction spending the last unspent,
// spendable output of f (a fee of 1,000 sat, a dummy witness), or nil when
// f has none. The test servers check inputs and amounts, not scripts, so
// they accept it.
func UnspentSpender(f *chaintest.Fixture) *wire.MsgTx {
	spent := make(map[wire.OutPoint]bool)
	var outs []wire.OutPoint
	values := make(map[wire.OutPoint]int64)
	visit := func(tx *wire.MsgTx) {
		for _, in := range tx.TxIn {
			spent[in.PreviousOutPoint] = true
		}
		id := tx.TxHash()
		for i, o := range tx.TxOut {
			if o.Value > 2000 && len(o.PkScript) > 0 && o.PkScript[0] != 0x6a {
				op := wire.OutPoint{Hash: id, Index: uint32(i)}
				outs = append(outs, op)
				values[op] = o.Value
			}
		}
	}
	for _, b := range f.Blocks[1:] {
		for _, tx := range b.Transactions {
			visit(tx)
		}
	}
	for _, tx := range f.Mempool {
		visit(tx)
	}
	for i := len(outs) - 1; i >= 0; i-- {
		op := outs[i]
		if spent[op] {
			continue
		}
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: op, Sequence: wire.MaxTxInSequenceNum, Witness: wire.TxWitness{make([]byte, 71), make([]byte, 33)}})
		tx.AddTxOut(wire.NewTxOut(values[op]-1000, append([]byte{0x00, 0x14}, chainhash.HashB([]byte("broadcast"))[:20]...)))
		return tx
	}
	return nil
}
