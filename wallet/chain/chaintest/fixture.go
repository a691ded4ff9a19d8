package chaintest

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Fixture is the chain a harness's server serves, in full: every block from
// genesis to the tip, the mempool, and the scripts the suite asks about.
type Fixture struct {
	// Net is the network the blocks belong to.
	Net *chaincfg.Params
	// Blocks holds the best chain: Blocks[h] is the block at height h,
	// Blocks[0] the genesis block.
	Blocks []*wire.MsgBlock
	// Mempool holds the unconfirmed transactions, parents before children.
	Mempool []*wire.MsgTx
	// Scripts are the output scripts the suite queries. A good fixture
	// has scripts that received and spent, received only, were spent
	// by a mempool transaction, appear only in the mempool, and were
	// never used.
	Scripts [][]byte
}

// Tip returns the fixture's best block.
func (f *Fixture) Tip() chain.BlockRef {
	h := len(f.Blocks) - 1
	return chain.BlockRef{Height: int32(h), Hash: f.Blocks[h].BlockHash()}
}

// Tx returns the transaction with the given id, from a block or the
// mempool, or nil.
func (f *Fixture) Tx(id chainhash.Hash) *wire.MsgTx {
	for _, b := range f.Blocks {
		for _, tx := range b.Transactions {
			if tx.TxHash() == id {
				return tx
			}
		}
	}
	for _, tx := range f.Mempool {
		if tx.TxHash() == id {
			return tx
		}
	}
	return nil
}

// TxIDs returns the ids of every transaction in the fixture after the
// genesis block: confirmed ones in block order, then the mempool.
func (f *Fixture) TxIDs() []chainhash.Hash {
	var ids []chainhash.Hash
	for _, b := range f.Blocks[1:] {
		for _, tx := range b.Transactions {
			ids = append(ids, tx.TxHash())
		}
	}
	for _, tx := range f.Mempool {
		ids = append(ids, tx.TxHash())
	}
	return ids
}

// Truth returns the exact history of each of f.Scripts from genesis, as
// History(f.Scripts, 0) must give it. It is computed by brute force over
// every block and the mempool.
func Truth(f *Fixture) [][]chain.TxRef { return f.History(f.Scripts, 0) }

// History computes by brute force what chain.Source.History(scripts, since)
// must return for this fixture: for each script, every transaction with an
// output paying to it or an input spending an output that paid to it,
// confirmed at a height >= since, or in the mempool (Height 0, no Block).
// Confirmed entries carry the block's hash. Entries are in chain order,
// then mempool order; the genesis block's coinbase, unspendable, is left
// out. A script asked for twice gets the same history twice.
func (f *Fixture) History(scripts [][]byte, since int32) [][]chain.TxRef {
	// Every output in the fixture, to see which script an input spends.
	paid := make(map[wire.OutPoint][]byte)
	all := func(visit func(tx *wire.MsgTx, height int32, block chainhash.Hash)) {
		for h := 1; h < len(f.Blocks); h++ {
			bh := f.Blocks[h].BlockHash()
			for _, tx := range f.Blocks[h].Transactions {
				visit(tx, int32(h), bh)
			}
		}
		for _, tx := range f.Mempool {
			visit(tx, 0, chainhash.Hash{})
		}
	}
	all(func(tx *wire.MsgTx, _ int32, _ chainhash.Hash) {
		id := tx.TxHash()
		for i, out := range tx.TxOut {
			paid[wire.OutPoint{Hash: id, Index: uint32(i)}] = out.PkScript
		}
	})

	want := make(map[string][]int, len(scripts))
	for i, s := range scripts {
		want[string(s)] = append(want[string(s)], i)
	}
	res := make([][]chain.TxRef, len(scripts))
	for i := range res {
		res[i] = []chain.TxRef{}
	}
	all(func(tx *wire.MsgTx, height int32, block chainhash.Hash) {
		if height > 0 && height < since {
			return
		}
		touched := make(map[string]bool)
		for _, out := range tx.TxOut {
			touched[string(out.PkScript)] = true
		}
		for _, in := range tx.TxIn {
			if s, ok := paid[in.PreviousOutPoint]; ok {
				touched[string(s)] = true
			}
		}
		ref := chain.TxRef{TxID: tx.TxHash(), Height: height, Block: block}
		for s := range touched {
			for _, i := range want[s] {
				res[i] = append(res[i], ref)
			}
		}
	})
	return res
}

// DiffHistory compares a source's answer with the expected history,
// ignoring the order of entries within a script: heights must match
// exactly for confirmed entries, unconfirmed ones may have any Height <= 0,
// and a non-zero Block must be the right one. It returns "" when they
// agree, else a description of the first differences.
func DiffHistory(scripts [][]byte, want, got [][]chain.TxRef) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got histories for %d scripts, want %d", len(got), len(want))
	}
	var out bytes.Buffer
	n := 0
	for i := range want {
		w := make(map[chainhash.Hash]chain.TxRef, len(want[i]))
		for _, r := range want[i] {
			w[r.TxID] = r
		}
		seen := make(map[chainhash.Hash]bool, len(got[i]))
		var lines []string
		for _, r := range got[i] {
			if seen[r.TxID] {
				lines = append(lines, fmt.Sprintf("  duplicate %s", r.TxID))
				continue
			}
			seen[r.TxID] = true
			e, ok := w[r.TxID]
			switch {
			case !ok:
				lines = append(lines, fmt.Sprintf("  unexpected %s at height %d", r.TxID, r.Height))
			case e.Confirmed() != r.Confirmed() || (e.Confirmed() && e.Height != r.Height):
				lines = append(lines, fmt.Sprintf("  %s at height %d, want %d", r.TxID, r.Height, e.Height))
			case r.Confirmed() && r.Block != (chainhash.Hash{}) && r.Block != e.Block:
				lines = append(lines, fmt.Sprintf("  %s in block %s, want %s", r.TxID, r.Block, e.Block))
			case !r.Confirmed() && r.Block != (chainhash.Hash{}):
				lines = append(lines, fmt.Sprintf("  unconfirmed %s with a block hash", r.TxID))
			}
		}
		for _, e := range want[i] {
			if !seen[e.TxID] {
				lines = append(lines, fmt.Sprintf("  missing %s at height %d", e.TxID, e.Height))
			}
		}
		if len(lines) == 0 {
			continue
		}
		sort.Strings(lines)
		fmt.Fprintf(&out, "script %d (%x):\n", i, scripts[i])
		for _, l := range lines {
			out.WriteString(l + "\n")
		}
		if n++; n >= 5 {
			out.WriteString("...\n")
			break
		}
	}
	return out.String()
}

// TxBytes serializes tx with its witness, for comparing transactions.
func TxBytes(tx *wire.MsgTx) []byte {
	var b bytes.Buffer
	if err := tx.Serialize(&b); err != nil {
		panic(err) // writing to memory does not fail
	}
	return b.Bytes()
}
