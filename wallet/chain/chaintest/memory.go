package chaintest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Memory is the fake server: its Sources serve a Fixture from memory, for
// tests of the wallet layer, and pass the suite like every backend. Its
// Lie method makes it misbehave as a server would, with the errors a
// careful client would return. Broadcast accepts a transaction whose
// inputs all spend outputs of the fixture that nothing spends yet, and
// adds it to the server's own mempool (the fixture is not modified).
type Memory struct {
	f *Fixture

	mu      sync.Mutex
	lie     LieKind
	mempool []*wire.MsgTx
}

// Source returns a new connection to the server.
func (m *Memory) Source() chain.Source { return &memSource{m: m} }

// memSource is one connection to a Memory.
type memSource struct {
	m      *Memory
	closed atomic.Bool
}

// NewMemory returns a Memory serving f.
func NewMemory(f *Fixture) *Memory {
	return &Memory{f: f, mempool: append([]*wire.MsgTx(nil), f.Mempool...)}
}

const memoryServer = "memory"

// Lie makes every later call misbehave as kind says; Honest ends it.
func (m *Memory) Lie(kind LieKind) bool {
	m.mu.Lock()
	m.lie = kind
	m.mu.Unlock()
	return true
}

// enter returns the current fixture (with this Memory's mempool) or the
// error of the current lie that applies to every call.
func (s *memSource) enter(ctx context.Context, op string) (*Fixture, LieKind, error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	m := s.m
	closed := s.closed.Load()
	m.mu.Lock()
	lie := m.lie
	f := *m.f
	f.Mempool = m.mempool
	m.mu.Unlock()
	fail := func(err error) error { return &chain.ServerError{Server: memoryServer, Op: op, Err: err} }
	switch {
	case closed:
		return nil, 0, fail(errors.New("source closed"))
	case lie == LieHang:
		<-ctx.Done()
		return nil, 0, ctx.Err()
	case lie == LieClose:
		return nil, 0, fail(errors.New("connection closed by server"))
	case lie == LieMalformed:
		return nil, 0, fail(fmt.Errorf("%w: unexpected end of input", chain.ErrMalformed))
	}
	return &f, lie, nil
}

// Tip returns the fixture's tip.
func (s *memSource) Tip(ctx context.Context) (chain.BlockRef, error) {
	f, _, err := s.enter(ctx, "tip")
	if err != nil {
		return chain.BlockRef{}, err
	}
	return f.Tip(), nil
}

// History returns the fixture's history of scripts.
func (s *memSource) History(ctx context.Context, scripts [][]byte, since int32, progress chan<- chain.Progress) ([][]chain.TxRef, error) {
	f, lie, err := s.enter(ctx, "history")
	if err != nil {
		return nil, err
	}
	if lie == LieHistory && len(scripts) > 0 {
		return nil, &chain.ServerError{Server: memoryServer, Op: "history",
			Err: fmt.Errorf("%w: transaction %s does not touch script %x", chain.ErrLie, f.Blocks[0].Transactions[0].TxHash(), scripts[0])}
	}
	res := f.History(scripts, since)
	if progress != nil {
		select {
		case progress <- chain.Progress{Done: int64(len(scripts)), Total: int64(len(scripts)), What: "scripts"}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return res, nil
}

// Transactions returns the fixture's transactions.
func (s *memSource) Transactions(ctx context.Context, ids []chainhash.Hash) ([]*wire.MsgTx, error) {
	f, lie, err := s.enter(ctx, "transactions")
	if err != nil {
		return nil, err
	}
	out := make([]*wire.MsgTx, len(ids))
	for i, id := range ids {
		tx := f.Tx(id)
		if tx == nil {
			return nil, &chain.ServerError{Server: memoryServer, Op: "transactions", Err: fmt.Errorf("no transaction %s", id)}
		}
		tx = tx.Copy()
		if lie == LieTxBytes {
			tx.LockTime ^= 1
		}
		if err := chain.CheckTx(id, tx); err != nil {
			return nil, &chain.ServerError{Server: memoryServer, Op: "transactions", Err: err}
		}
		out[i] = tx
	}
	return out, nil
}

// FeeRate returns 1 sat/vB for every target.
func (s *memSource) FeeRate(ctx context.Context, target int) (float64, error) {
	if _, _, err := s.enter(ctx, "feerate"); err != nil {
		return 0, err
	}
	return 1, nil
}

// Broadcast adds tx to the mempool if it spends only unspent outputs of
// the fixture.
func (s *memSource) Broadcast(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	f, _, err := s.enter(ctx, "broadcast")
	if err != nil {
		return chainhash.Hash{}, err
	}
	outs := make(map[wire.OutPoint]bool)
	spent := make(map[wire.OutPoint]bool)
	visit := func(t *wire.MsgTx) {
		id := t.TxHash()
		for i := range t.TxOut {
			outs[wire.OutPoint{Hash: id, Index: uint32(i)}] = true
		}
		for _, in := range t.TxIn {
			spent[in.PreviousOutPoint] = true
		}
	}
	for _, b := range f.Blocks {
		for _, t := range b.Transactions {
			visit(t)
		}
	}
	for _, t := range f.Mempool {
		visit(t)
	}
	for _, in := range tx.TxIn {
		if !outs[in.PreviousOutPoint] || spent[in.PreviousOutPoint] {
			return chainhash.Hash{}, &chain.ServerError{Server: memoryServer, Op: "broadcast",
				Err: fmt.Errorf("%w: missing or spent input %v", chain.ErrRejected, in.PreviousOutPoint)}
		}
	}
	s.m.mu.Lock()
	s.m.mempool = append(s.m.mempool, tx.Copy())
	s.m.mu.Unlock()
	return tx.TxHash(), nil
}

// Close makes every later call fail.
func (s *memSource) Close() error {
	s.closed.Store(true)
	return nil
}
