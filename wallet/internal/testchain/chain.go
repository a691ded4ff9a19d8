// Package testchain is the chain the Electrum and Esplora test servers
// serve: a chaintest.Fixture with fee estimates, indexed the way a server
// indexes it (histories by script hash, transactions by id, merkle
// branches), accepting broadcasts into its mempool and mining them; and a
// builder of regtest chains sized as a test needs.
package testchain

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
)

// Chain is the data a test server serves: a block chain and a mempool (the
// fixture's; its scripts are the wallet's, when it has any) and fee
// estimates.
type Chain struct {
	*chaintest.Fixture
	// FeeRates maps a confirmation target in blocks to a fee rate in
	// sat/vB. Targets without an entry take the next larger one; none at
	// all means the server has no estimate.
	FeeRates map[int]float64
}

// Clone returns a copy of c whose blocks and mempool can grow (Mine,
// Index.Accept) without changing c.
func (c *Chain) Clone() *Chain {
	f := *c.Fixture
	f.Blocks = slices.Clone(f.Blocks)
	f.Mempool = slices.Clone(f.Mempool)
	return &Chain{Fixture: &f, FeeRates: c.FeeRates}
}

// TxInfo locates a transaction.
type TxInfo struct {
	Tx     *wire.MsgTx
	Height int32 // > 0 confirmed; 0 unconfirmed; -1 unconfirmed with unconfirmed inputs
	Pos    int   // position in its block
	Fee    int64 // unconfirmed only
}

// HistItem is one entry of a script's history.
type HistItem struct {
	TxID   chainhash.Hash
	Height int32
	Fee    int64
}

// Index is a Chain with the lookups a server needs.
type Index struct {
	Chain  *Chain
	Hashes []chainhash.Hash // block hash by height
	Txs    map[chainhash.Hash]*TxInfo

	hist    map[string][]HistItem // script hash -> history, blockchain order then mempool
	spent   map[wire.OutPoint]chainhash.Hash
	scripts map[string][]byte // script hash -> script
}

// NewIndex indexes c.
func NewIndex(c *Chain) *Index {
	ix := &Index{
		Chain:   c,
		Txs:     make(map[chainhash.Hash]*TxInfo),
		hist:    make(map[string][]HistItem),
		spent:   make(map[wire.OutPoint]chainhash.Hash),
		scripts: make(map[string][]byte),
	}
	for h, b := range c.Blocks {
		ix.Hashes = append(ix.Hashes, b.BlockHash())
		for pos, tx := range b.Transactions {
			ix.add(tx, int32(h), pos)
		}
	}
	for _, tx := range c.Mempool {
		ix.add(tx, 0, 0)
	}
	return ix
}

// add indexes one transaction at height (0 for the mempool).
func (ix *Index) add(tx *wire.MsgTx, height int32, pos int) {
	id := tx.TxHash()
	info := &TxInfo{Tx: tx, Height: height, Pos: pos}
	ix.Txs[id] = info
	touched := make(map[string]bool)
	var in int64
	for _, txin := range tx.TxIn {
		op := txin.PreviousOutPoint
		if op.Index == wire.MaxPrevOutIndex {
			continue // coinbase
		}
		ix.spent[op] = id
		if p, ok := ix.Txs[op.Hash]; ok && int(op.Index) < len(p.Tx.TxOut) {
			out := p.Tx.TxOut[op.Index]
			in += out.Value
			touched[ix.remember(out.PkScript)] = true
			if height == 0 && p.Height <= 0 {
				info.Height = -1
			}
		}
	}
	var out int64
	for _, o := range tx.TxOut {
		out += o.Value
		touched[ix.remember(o.PkScript)] = true
	}
	if height == 0 {
		info.Fee = max(in-out, 0)
	}
	for sh := range touched {
		ix.hist[sh] = append(ix.hist[sh], HistItem{TxID: id, Height: info.Height, Fee: info.Fee})
	}
	if height <= 0 {
		ix.sortMempool()
	}
}

func (ix *Index) remember(script []byte) string {
	sh := chain.ScriptHash(script)
	if _, ok := ix.scripts[sh]; !ok {
		ix.scripts[sh] = bytes.Clone(script)
	}
	return sh
}

// sortMempool orders each history's unconfirmed tail as servers do:
// height 0 before -1, then by txid.
func (ix *Index) sortMempool() {
	for _, h := range ix.hist {
		i := len(h)
		for i > 0 && h[i-1].Height <= 0 {
			i--
		}
		tail := h[i:]
		sort.SliceStable(tail, func(a, b int) bool {
			if tail[a].Height != tail[b].Height {
				return tail[a].Height > tail[b].Height
			}
			return bytes.Compare(tail[a].TxID[:], tail[b].TxID[:]) < 0
		})
	}
}

// History returns the history of a script hash (chain.ScriptHash):
// confirmed entries in chain order, then the mempool's.
func (ix *Index) History(sh string) []HistItem { return ix.hist[sh] }

// Tip returns the best height.
func (ix *Index) Tip() int32 { return int32(len(ix.Chain.Blocks) - 1) }

// Branch returns the merkle branch of the transaction at pos in the block
// at height, deepest pairing first.
func (ix *Index) Branch(height int32, pos int) []chainhash.Hash {
	b := ix.Chain.Blocks[height]
	level := make([]chainhash.Hash, len(b.Transactions))
	for i, tx := range b.Transactions {
		level[i] = tx.TxHash()
	}
	return MerkleBranch(level, pos)
}

// Foreign returns a confirmed transaction, not a coinbase, that does not
// touch script hash sh: the one with the lowest txid (compared as bytes),
// so that a server lying about a history lies the same way every time.
func (ix *Index) Foreign(sh string) (chainhash.Hash, int32, bool) {
	mine := make(map[chainhash.Hash]bool)
	for _, e := range ix.History(sh) {
		mine[e.TxID] = true
	}
	var ids []chainhash.Hash
	for id, info := range ix.Txs {
		if info.Height > 0 && !mine[id] && info.Pos > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return chainhash.Hash{}, 0, false
	}
	sort.Slice(ids, func(a, b int) bool { return bytes.Compare(ids[a][:], ids[b][:]) < 0 })
	return ids[0], ix.Txs[ids[0]].Height, true
}

// MerkleBranch returns the branch of leaf pos in the tree over leaves,
// deepest pairing first.
func MerkleBranch(leaves []chainhash.Hash, pos int) []chainhash.Hash {
	var branch []chainhash.Hash
	level := append([]chainhash.Hash(nil), leaves...)
	for len(level) > 1 {
		level = evenLevel(level)
		branch = append(branch, level[pos^1])
		level = nextLevel(level)
		pos /= 2
	}
	return branch
}

// MerkleRoot returns the merkle root of leaves.
func MerkleRoot(leaves []chainhash.Hash) chainhash.Hash {
	if len(leaves) == 0 {
		return chainhash.Hash{}
	}
	level := append([]chainhash.Hash(nil), leaves...)
	for len(level) > 1 {
		level = nextLevel(evenLevel(level))
	}
	return level[0]
}

// evenLevel pads a level of a merkle tree with its last hash to an even
// length, as Bitcoin does.
func evenLevel(level []chainhash.Hash) []chainhash.Hash {
	if len(level)%2 == 1 {
		level = append(level, level[len(level)-1])
	}
	return level
}

// nextLevel hashes the pairs of an even level into the level above.
func nextLevel(level []chainhash.Hash) []chainhash.Hash {
	next := make([]chainhash.Hash, len(level)/2)
	for i := range next {
		var buf [64]byte
		copy(buf[:32], level[2*i][:])
		copy(buf[32:], level[2*i+1][:])
		next[i] = chainhash.DoubleHashH(buf[:])
	}
	return next
}

// errRejected is a transaction the server's node would refuse.
type errRejected struct{ reason string }

func (e *errRejected) Error() string { return e.reason }

// Accept checks tx as a node's mempool would (inputs exist and are
// unspent, outputs do not exceed inputs; scripts are not run) and adds it
// to the mempool. A transaction already in the mempool is accepted again.
// A refusal's message is the node's reason, e.g. "txn-mempool-conflict".
func (ix *Index) Accept(tx *wire.MsgTx) error {
	id := tx.TxHash()
	if info, ok := ix.Txs[id]; ok {
		if info.Height > 0 {
			return &errRejected{"Transaction already in block chain"}
		}
		return nil
	}
	if len(tx.TxIn) == 0 || len(tx.TxOut) == 0 {
		return &errRejected{"bad-txns-vin-empty"}
	}
	var in, out int64
	for _, txin := range tx.TxIn {
		op := txin.PreviousOutPoint
		p, ok := ix.Txs[op.Hash]
		if !ok || int(op.Index) >= len(p.Tx.TxOut) {
			return &errRejected{"bad-txns-inputs-missingorspent"}
		}
		if _, spent := ix.spent[op]; spent {
			return &errRejected{"txn-mempool-conflict"}
		}
		in += p.Tx.TxOut[op.Index].Value
	}
	for _, o := range tx.TxOut {
		if o.Value < 0 {
			return &errRejected{"bad-txns-vout-negative"}
		}
		out += o.Value
	}
	if out > in {
		return &errRejected{"bad-txns-in-belowout"}
	}
	ix.Chain.Mempool = append(ix.Chain.Mempool, tx)
	ix.add(tx, 0, 0)
	return nil
}

// FeeRate returns the fee rate for target, or false without estimate.
func (c *Chain) FeeRate(target int) (float64, bool) {
	best, bestT := 0.0, -1
	for t, r := range c.FeeRates {
		if t >= target && (bestT < 0 || t < bestT) {
			best, bestT = r, t
		}
	}
	if bestT < 0 {
		// Beyond every target: the lowest rate.
		for t, r := range c.FeeRates {
			if bestT < 0 || t > bestT {
				best, bestT = r, t
			}
		}
	}
	return best, bestT >= 0
}

// Mine moves the mempool into a new block, mined at regtest difficulty.
func (c *Chain) Mine(coinbaseScript []byte) *wire.MsgBlock {
	prev := c.Blocks[len(c.Blocks)-1]
	b := c.addBlock(coinbaseScript, c.Mempool, prev.Header.Timestamp.Unix()+600)
	c.Mempool = nil
	return b
}

// HeaderHex serializes a block header.
func HeaderHex(h *wire.BlockHeader) string {
	var buf bytes.Buffer
	h.Serialize(&buf)
	return hex.EncodeToString(buf.Bytes())
}

// TxHex serializes a transaction with witness.
func TxHex(tx *wire.MsgTx) string {
	return hex.EncodeToString(chaintest.TxBytes(tx))
}

// String describes the chain briefly.
func (c *Chain) String() string {
	n := 0
	for _, b := range c.Blocks {
		n += len(b.Transactions)
	}
	return fmt.Sprintf("%d blocks, %d transactions, %d in the mempool", len(c.Blocks), n, len(c.Mempool))
}
