package chaintest

import (
	"math/rand/v2"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Roles of the synthetic wallet's scripts, by index modulo 5.
const (
	roleUsed      = iota // received and spent in blocks
	roleReceive          // received in blocks, never spent
	roleMempool          // received in blocks, spent by a mempool transaction
	roleMempoolIn        // received only in the mempool
	roleNever            // never used
	roles
)

// Script kinds the synthetic chain uses, by index modulo kinds. P2SH
// stands for sh(wpkh), sh(wsh) and sh(multi) alike, P2WSH for
// wsh(multi): the outputs of multisig wallets.
const (
	kindP2WPKH = iota
	kindP2TR
	kindP2PKH
	kindP2SHP2WPKH
	kindP2WSH
	kinds
)

// Sizes of the synthetic chain.
const (
	synthWalletScripts  = 40
	synthForeignScripts = 24
	synthRandomBlocks   = 120
)

// BuildSynthetic builds a deterministic chain for servers that only serve
// data, so that they can be tested in a few milliseconds without a node.
// The same seed gives the same fixture, byte for byte.
//
// The chain is on regtest, starts at its genesis block and has about 120
// blocks with valid merkle roots and previous-block links but no proof of
// work and no valid signatures (inputs carry well-formed dummy witnesses and
// signature scripts). Its 40 wallet scripts cycle through P2WPKH, P2TR, P2PKH
// and P2SH-P2WPKH and through five roles: received and spent, received only,
// received and then spent by a mempool transaction, received only in the
// mempool, and never used. Around them are payments between foreign
// scripts, coinbases paying the wallet, transactions spending outputs
// created earlier in the same block, self-transfers, several wallet
// scripts in one transaction, OP_RETURN outputs, and a chain of two
// unconfirmed transactions.
func BuildSynthetic(seed int64) *Fixture {
	g := &synth{
		rng: rand.New(rand.NewPCG(uint64(seed), 0x68617264666f6c69)),
		net: &chaincfg.RegressionNetParams,
	}
	f := &Fixture{Net: g.net, Blocks: []*wire.MsgBlock{g.net.GenesisBlock}}

	for i := 0; i < synthWalletScripts; i++ {
		f.Scripts = append(f.Scripts, g.script(i%kinds))
	}
	for i := 0; i < synthForeignScripts; i++ {
		g.foreign = append(g.foreign, g.script(i%kinds))
	}
	g.miner = g.script(kindP2WPKH)
	g.wallet = f.Scripts
	g.received = make([]bool, len(f.Scripts))
	g.spent = make([]bool, len(f.Scripts))
	g.roleOf = make(map[string]int)
	for i, s := range f.Scripts {
		g.roleOf[string(s)] = i % roles
	}

	// Random activity.
	for h := 1; h <= synthRandomBlocks; h++ {
		txs := []*wire.MsgTx{g.coinbase(h)}
		n := g.rng.IntN(6)
		for k := 0; k < n; k++ {
			if tx := g.randomTx(); tx != nil {
				txs = append(txs, tx)
			}
		}
		f.Blocks = append(f.Blocks, g.block(f.Blocks[h-1], h, txs))
	}

	// Make sure every role is played: pay each wallet script that should
	// have received in a block and has not, then spend from each used
	// script not yet spent from.
	h := len(f.Blocks)
	txs := []*wire.MsgTx{g.coinbase(h)}
	for i, s := range f.Scripts {
		if r := i % roles; (r == roleUsed || r == roleReceive || r == roleMempool) && !g.received[i] {
			tx := g.pay(g.takeForeign(), [][]byte{s, g.foreignScript()})
			g.add(tx)
			txs = append(txs, tx)
		}
	}
	f.Blocks = append(f.Blocks, g.block(f.Blocks[h-1], h, txs))
	h++
	txs = []*wire.MsgTx{g.coinbase(h)}
	for i := range f.Scripts {
		if i%roles == roleUsed && !g.spent[i] {
			u := g.takeWallet(i)
			tx := g.pay([]utxo{u}, [][]byte{g.foreignScript()})
			g.add(tx)
			txs = append(txs, tx)
		}
	}
	f.Blocks = append(f.Blocks, g.block(f.Blocks[h-1], h, txs))

	// The mempool: spend every mempool-role script, paying mempool-only
	// scripts, then spend one of those outputs again (a chain of two
	// unconfirmed transactions), and add foreign noise.
	var ins []utxo
	for i := range f.Scripts {
		if i%roles == roleMempool {
			ins = append(ins, g.takeWallet(i))
		}
	}
	var mempoolOnly [][]byte
	for i, s := range f.Scripts {
		if i%roles == roleMempoolIn {
			mempoolOnly = append(mempoolOnly, s)
		}
	}
	half := len(mempoolOnly) / 2
	m1 := g.pay(ins, append(append([][]byte{}, mempoolOnly[:half]...), g.foreignScript()))
	m2 := g.pay([]utxo{{op: wire.OutPoint{Hash: m1.TxHash(), Index: 0}, value: m1.TxOut[0].Value, script: m1.TxOut[0].PkScript}},
		append(append([][]byte{}, mempoolOnly[half:]...), g.foreignScript()))
	m3 := g.pay(g.takeForeign(), [][]byte{g.foreignScript(), g.foreignScript()})
	f.Mempool = []*wire.MsgTx{m1, m2, m3}
	return f
}

type utxo struct {
	op     wire.OutPoint
	value  int64
	script []byte
}

type synth struct {
	rng      *rand.Rand
	net      *chaincfg.Params
	wallet   [][]byte
	foreign  [][]byte
	miner    []byte
	roleOf   map[string]int
	received []bool
	spent    []bool
	pool     []utxo // spendable in blocks: foreign, miner and used-role outputs
	frozen   []utxo // wallet outputs of other roles
}

func (g *synth) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.Uint32())
	}
	return b
}

// script makes an output script of the given kind with random key bytes.
func (g *synth) script(kind int) []byte {
	switch kind {
	case kindP2WPKH:
		return append([]byte{txscript.OP_0, 20}, g.bytes(20)...)
	case kindP2TR:
		return append([]byte{txscript.OP_1, 32}, g.bytes(32)...)
	case kindP2WSH:
		return append([]byte{txscript.OP_0, 32}, g.bytes(32)...)
	case kindP2PKH:
		s := append([]byte{txscript.OP_DUP, txscript.OP_HASH160, 20}, g.bytes(20)...)
		return append(s, txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG)
	default:
		s := append([]byte{txscript.OP_HASH160, 20}, g.bytes(20)...)
		return append(s, txscript.OP_EQUAL)
	}
}

func (g *synth) foreignScript() []byte { return g.foreign[g.rng.IntN(len(g.foreign))] }

func (g *synth) walletIndex(s []byte) int {
	for i, w := range g.wallet {
		if string(w) == string(s) {
			return i
		}
	}
	return -1
}

// add records the outputs of tx as spendable or frozen.
func (g *synth) add(tx *wire.MsgTx) {
	id := tx.TxHash()
	for i, out := range tx.TxOut {
		if out.PkScript[0] == txscript.OP_RETURN {
			continue
		}
		u := utxo{op: wire.OutPoint{Hash: id, Index: uint32(i)}, value: out.Value, script: out.PkScript}
		if r, ok := g.roleOf[string(out.PkScript)]; ok {
			g.received[g.walletIndex(out.PkScript)] = true
			if r != roleUsed {
				g.frozen = append(g.frozen, u)
				continue
			}
		}
		g.pool = append(g.pool, u)
	}
}

// takeForeign removes and returns one spendable output not paying the
// wallet.
func (g *synth) takeForeign() []utxo {
	for {
		i := g.rng.IntN(len(g.pool))
		if _, ok := g.roleOf[string(g.pool[i].script)]; ok {
			continue
		}
		u := g.pool[i]
		g.pool = append(g.pool[:i], g.pool[i+1:]...)
		return []utxo{u}
	}
}

// takeWallet removes and returns an output paying wallet script i.
func (g *synth) takeWallet(i int) utxo {
	for _, list := range []*[]utxo{&g.pool, &g.frozen} {
		for k, u := range *list {
			if string(u.script) == string(g.wallet[i]) {
				*list = append((*list)[:k], (*list)[k+1:]...)
				return u
			}
		}
	}
	panic("chaintest: synthetic wallet script has no output to spend")
}

func (g *synth) coinbase(h int) *wire.MsgTx {
	to := g.miner
	if h%17 == 5 {
		// Now and then a coinbase pays a used or receive-only script.
		i := g.rng.IntN(len(g.wallet)/roles)*roles + h%2
		to = g.wallet[i]
	}
	sig, _ := txscript.NewScriptBuilder().AddInt64(int64(h)).AddData(g.bytes(4)).Script()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  sig,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(wire.NewTxOut(50_0000_0000, to))
	g.add(tx)
	return tx
}

// randomTx spends one to three pool outputs into one to three outputs,
// some paying wallet scripts that may receive in blocks.
func (g *synth) randomTx() *wire.MsgTx {
	n := 1 + g.rng.IntN(3)
	if n > len(g.pool) {
		return nil
	}
	var ins []utxo
	for k := 0; k < n; k++ {
		i := g.rng.IntN(len(g.pool))
		ins = append(ins, g.pool[i])
		g.pool = append(g.pool[:i], g.pool[i+1:]...)
	}
	var outs [][]byte
	for k := 1 + g.rng.IntN(3); k > 0; k-- {
		if g.rng.IntN(5) < 2 {
			i := g.rng.IntN(len(g.wallet))
			if r := i % roles; r == roleMempoolIn || r == roleNever {
				i -= r // a used script instead
			}
			outs = append(outs, g.wallet[i])
		} else {
			outs = append(outs, g.foreignScript())
		}
	}
	if g.rng.IntN(8) == 0 {
		// A self-transfer: change back to the first input's script.
		outs = append(outs, ins[0].script)
	}
	tx := g.pay(ins, outs)
	if g.rng.IntN(6) == 0 {
		data, _ := txscript.NullDataScript(g.bytes(20))
		tx.AddTxOut(wire.NewTxOut(0, data))
	}
	g.add(tx)
	return tx
}

// pay builds a transaction spending ins into equal outputs to scripts,
// with dummy unlocking data fitting each input's script kind.
func (g *synth) pay(ins []utxo, scripts [][]byte) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	var total int64
	for _, u := range ins {
		total += u.value
		in := wire.NewTxIn(&u.op, nil, nil)
		in.Sequence = wire.MaxTxInSequenceNum - 2
		switch u.script[0] {
		case txscript.OP_0:
			in.Witness = wire.TxWitness{g.bytes(71), append([]byte{2}, g.bytes(32)...)}
		case txscript.OP_1:
			in.Witness = wire.TxWitness{g.bytes(64)}
		case txscript.OP_DUP:
			in.SignatureScript, _ = txscript.NewScriptBuilder().
				AddData(g.bytes(71)).AddData(append([]byte{3}, g.bytes(32)...)).Script()
		default:
			redeem := append([]byte{txscript.OP_0, 20}, g.bytes(20)...)
			in.SignatureScript, _ = txscript.NewScriptBuilder().AddData(redeem).Script()
			in.Witness = wire.TxWitness{g.bytes(71), append([]byte{2}, g.bytes(32)...)}
		}
		if i := g.walletIndex(u.script); i >= 0 {
			g.spent[i] = true
		}
		tx.AddTxIn(in)
	}
	each := (total - 1000) / int64(len(scripts))
	for _, s := range scripts {
		tx.AddTxOut(wire.NewTxOut(each, s))
	}
	return tx
}

// block wraps txs into the block at height h on top of prev.
func (g *synth) block(prev *wire.MsgBlock, h int, txs []*wire.MsgTx) *wire.MsgBlock {
	b := &wire.MsgBlock{
		Header: wire.BlockHeader{
			Version:   0x20000000,
			PrevBlock: prev.BlockHash(),
			Timestamp: prev.Header.Timestamp.Add(10 * time.Minute),
			Bits:      g.net.PowLimitBits,
			Nonce:     uint32(h),
		},
		Transactions: txs,
	}
	b.Header.MerkleRoot = MerkleRoot(txs)
	return b
}

// MerkleRoot computes the merkle root of txs by their txids, as a block
// header commits to it.
func MerkleRoot(txs []*wire.MsgTx) chainhash.Hash {
	u := make([]*btcutil.Tx, len(txs))
	for i, tx := range txs {
		u[i] = btcutil.NewTx(tx)
	}
	return blockchain.CalcMerkleRoot(u, false)
}
