package wallet

import (
	"context"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Batch sizes of the requests Sync sends.
const (
	historyBatch = 100 // scripts per History call for already known scripts
	txBatch      = 50  // ids per Transactions call
)

// Progress reports how far a Sync has come.
type Progress struct {
	Stage       string // "history", "transactions" or "parents"
	Done, Total int    // units of the stage (scripts or transactions)
	// Scan is the source's own progress report during a History call that
	// scans blocks (compact filters); zero otherwise.
	Scan chain.Progress
}

// Sync brings state up to date with src and returns the new State; state is
// not modified. A nil state, or one built for other descriptors, means a
// full scan from the wallet's birthday. progress, when not nil, is called
// from the calling goroutine or from one goroutine at a time.
//
// Errors are those of the source (wrapped with the stage that failed) and
// ErrLie-marked inconsistencies between what the source said in different
// calls (a transaction that does not touch the script it was listed for).
func (w *Wallet) Sync(ctx context.Context, src chain.Source, state *State, progress func(Progress)) (*State, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	tip, err := src.Tip(ctx)
	if err != nil {
		return nil, fmt.Errorf("tip: %w", err)
	}

	// Start from the known state unless there is none, it belongs to other
	// descriptors, or the chain was reorganised under its tip.
	var st *State
	since := w.BirthdayHeight
	if state != nil && state.identity == w.identity() && !reorged(state.tip, tip) {
		st = state.clone()
		st.w = w
		if st.tip.Height > 0 {
			since = max(w.BirthdayHeight, st.tip.Height-ReorgMargin)
		}
	} else {
		st = newState(w)
	}
	s := &syncer{w: w, src: src, st: st, progress: progress}

	// Known scripts: ask for what happened since the margin below the old
	// tip, and replace that part of their history.
	var known []*scriptState
	for ch := range st.chains {
		known = append(known, st.chains[ch]...)
	}
	if err := s.query(ctx, known, since, true); err != nil {
		return nil, err
	}

	// New scripts: derive in batches of the gap limit until each chain ends
	// in GapLimit unused scripts.
	for {
		var fresh []*scriptState
		for _, change := range []bool{false, true} {
			add, err := s.extend(change)
			if err != nil {
				return nil, err
			}
			fresh = append(fresh, add...)
		}
		if len(fresh) == 0 {
			break
		}
		if err := s.query(ctx, fresh, w.BirthdayHeight, false); err != nil {
			return nil, err
		}
	}

	if err := s.fetch(ctx); err != nil {
		return nil, err
	}
	st.tip = tip
	st.indexed = false
	st.index()
	return st, nil
}

// reorged tells whether the chain changed under the old tip: it is now
// shorter, or holds another block at the same height.
func reorged(old, now chain.BlockRef) bool {
	if old.Height <= 0 {
		return false
	}
	return now.Height < old.Height || now.Height == old.Height && now.Hash != old.Hash
}

type syncer struct {
	w        *Wallet
	src      chain.Source
	st       *State
	progress func(Progress)
	heights  map[chainhash.Hash]chain.TxRef // what the source said this sync
}

// extend derives the scripts a chain needs so that it ends in GapLimit
// unused ones, appends them to the state and returns them.
func (s *syncer) extend(change bool) ([]*scriptState, error) {
	if !s.w.hasChain(change) {
		return nil, nil
	}
	scripts := s.st.chains[chainIdx(change)]
	unused := 0
	next := uint32(0)
	for _, sc := range scripts {
		if len(sc.txids) > 0 {
			unused = 0
		} else {
			unused++
		}
		next = sc.index + 1
	}
	if !s.w.ranged(change) {
		if len(scripts) > 0 {
			return nil, nil
		}
	} else if unused >= s.w.gapLimit() {
		return nil, nil
	}
	derived, err := s.w.derive(change, next, uint32(s.w.gapLimit()))
	if err != nil {
		return nil, fmt.Errorf("derive: %w", err)
	}
	var add []*scriptState
	for _, d := range derived {
		add = append(add, &scriptState{change: change, index: d.Index, script: d.Script, address: d.Address})
	}
	s.st.chains[chainIdx(change)] = append(scripts, add...)
	return add, nil
}

// query asks the source for the history of scripts since height since and
// merges it: for known scripts, entries confirmed below since are kept and
// the rest replaced.
func (s *syncer) query(ctx context.Context, scripts []*scriptState, since int32, known bool) error {
	if s.heights == nil {
		s.heights = map[chainhash.Hash]chain.TxRef{}
	}
	batch := historyBatch
	if !known {
		batch = s.w.gapLimit()
	}
	for start := 0; start < len(scripts); start += batch {
		part := scripts[start:min(start+batch, len(scripts))]
		raw := make([][]byte, len(part))
		for i, sc := range part {
			raw[i] = sc.script
		}
		s.progress(Progress{Stage: "history", Done: start, Total: len(scripts)})
		hist, err := s.history(ctx, raw, since)
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if len(hist) != len(part) {
			return fmt.Errorf("history: %w: %d answers for %d scripts", chain.ErrLie, len(hist), len(part))
		}
		for i, sc := range part {
			var keep []chainhash.Hash
			for _, id := range sc.txids {
				if t, ok := s.st.txs[id]; ok && t.height > 0 && t.height < since {
					keep = append(keep, id)
				}
			}
			for _, ref := range hist[i] {
				s.heights[ref.TxID] = ref
				if !slices.Contains(keep, ref.TxID) {
					keep = append(keep, ref.TxID)
				}
			}
			sc.txids = keep
		}
	}
	s.progress(Progress{Stage: "history", Done: len(scripts), Total: len(scripts)})
	return nil
}

// history calls src.History, forwarding its scan progress.
func (s *syncer) history(ctx context.Context, scripts [][]byte, since int32) ([][]chain.TxRef, error) {
	// The channel is never closed, so that a source reporting after
	// History returned cannot panic; the forwarder stops when History
	// returns.
	ch := make(chan chain.Progress, 16)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case p := <-ch:
				s.progress(Progress{Stage: "history", Scan: p})
			case <-stop:
				return
			}
		}
	}()
	hist, err := s.src.History(ctx, scripts, since, ch)
	close(stop)
	<-done
	return hist, err
}

// fetch downloads the transactions the history names and the state lacks,
// drops those no script refers to any more (replaced, evicted or reorganised
// out), checks that each touches the scripts it was listed for, and fetches
// the parents of the wallet's spends.
func (s *syncer) fetch(ctx context.Context) error {
	st := s.st
	referenced := map[chainhash.Hash]bool{}
	var need []chainhash.Hash
	for ch := range st.chains {
		for _, sc := range st.chains[ch] {
			for _, id := range sc.txids {
				if referenced[id] {
					continue
				}
				referenced[id] = true
				if _, ok := st.txs[id]; !ok {
					need = append(need, id)
				}
			}
		}
	}
	for id := range st.txs {
		if !referenced[id] {
			delete(st.txs, id)
		}
	}
	txs, err := s.download(ctx, need, "transactions")
	if err != nil {
		return err
	}
	for i, id := range need {
		st.txs[id] = &txState{tx: txs[i]}
	}
	for id, t := range st.txs {
		if ref, ok := s.heights[id]; ok {
			t.height, t.block = ref.Height, ref.Block
			if t.height < 0 {
				t.height = 0
			}
		}
	}

	// Check that every transaction touches the scripts it is listed for:
	// pays to them, or spends an output of ours paying to them.
	for ch := range st.chains {
		for _, sc := range st.chains[ch] {
			for _, id := range sc.txids {
				if !s.touches(st.txs[id].tx, sc.script) {
					return fmt.Errorf("history of %s: %w: transaction %s does not touch it", sc.address, chain.ErrLie, id)
				}
			}
		}
	}

	// Parents of our spends, so that their fees are known.
	ours := map[string]bool{}
	for ch := range st.chains {
		for _, sc := range st.chains[ch] {
			ours[string(sc.script)] = true
		}
	}
	wanted := map[chainhash.Hash]bool{}
	var parents []chainhash.Hash
	for _, t := range st.txs {
		if blockchain.IsCoinBaseTx(t.tx) || !s.spendsOurs(t.tx, ours) {
			continue
		}
		for _, in := range t.tx.TxIn {
			id := in.PreviousOutPoint.Hash
			if st.prevTx(id) == nil && !wanted[id] {
				wanted[id] = true
				parents = append(parents, id)
			}
		}
	}
	ptxs, err := s.download(ctx, parents, "parents")
	if err != nil {
		return err
	}
	for i, id := range parents {
		st.parents[id] = ptxs[i]
	}
	// Forget parents no transaction of ours spends any more.
	used := map[chainhash.Hash]bool{}
	for _, t := range st.txs {
		for _, in := range t.tx.TxIn {
			used[in.PreviousOutPoint.Hash] = true
		}
	}
	for id := range st.parents {
		if !used[id] {
			delete(st.parents, id)
		}
	}
	return nil
}

func (s *syncer) spendsOurs(tx *wire.MsgTx, ours map[string]bool) bool {
	for _, in := range tx.TxIn {
		if prev, ok := s.st.prevOut(in.PreviousOutPoint); ok && ours[string(prev.PkScript)] {
			return true
		}
	}
	return false
}

func (s *syncer) touches(tx *wire.MsgTx, script []byte) bool {
	for _, o := range tx.TxOut {
		if string(o.PkScript) == string(script) {
			return true
		}
	}
	for _, in := range tx.TxIn {
		if prev, ok := s.st.prevOut(in.PreviousOutPoint); ok && string(prev.PkScript) == string(script) {
			return true
		}
	}
	// With a birthday, a spend whose funding transaction confirmed before
	// it cannot be checked; accept it. From genesis every funding
	// transaction is known.
	if s.w.BirthdayHeight == 0 {
		return false
	}
	for _, in := range tx.TxIn {
		if _, ok := s.st.prevOut(in.PreviousOutPoint); !ok {
			return true
		}
	}
	return false
}

// download fetches transactions in batches and checks their ids.
func (s *syncer) download(ctx context.Context, ids []chainhash.Hash, stage string) ([]*wire.MsgTx, error) {
	out := make([]*wire.MsgTx, 0, len(ids))
	for start := 0; start < len(ids); start += txBatch {
		s.progress(Progress{Stage: stage, Done: start, Total: len(ids)})
		part := ids[start:min(start+txBatch, len(ids))]
		txs, err := s.src.Transactions(ctx, part)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stage, err)
		}
		if len(txs) != len(part) {
			return nil, fmt.Errorf("%s: %w: %d transactions for %d ids", stage, chain.ErrLie, len(txs), len(part))
		}
		for i, tx := range txs {
			if tx == nil {
				return nil, fmt.Errorf("%s: %w: no transaction for %s", stage, chain.ErrLie, part[i])
			}
			if err := chain.CheckTx(part[i], tx); err != nil {
				return nil, fmt.Errorf("%s: %w", stage, err)
			}
		}
		out = append(out, txs...)
	}
	if len(ids) > 0 {
		s.progress(Progress{Stage: stage, Done: len(ids), Total: len(ids)})
	}
	return out, nil
}
