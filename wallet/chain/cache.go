package chain

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// This file holds what backends keep between calls, and how they bound
// and name their calls.

// TxCache keeps transactions that were checked against their ids. A
// transaction never changes once its id is known, so entries stay valid;
// past the cache's size an arbitrary half is dropped. Callers must not
// change the transactions they put or get (hand out copies instead). It is
// safe for concurrent use.
type TxCache struct {
	mu  sync.Mutex
	max int
	m   map[chainhash.Hash]*wire.MsgTx
}

// NewTxCache returns a cache of at most max transactions.
func NewTxCache(max int) *TxCache {
	return &TxCache{max: max, m: make(map[chainhash.Hash]*wire.MsgTx)}
}

// Get returns the transaction with the given id, or nil.
func (tc *TxCache) Get(id chainhash.Hash) *wire.MsgTx {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.m[id]
}

// Put keeps tx, which must hash to id.
func (tc *TxCache) Put(id chainhash.Hash, tx *wire.MsgTx) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.m) >= tc.max {
		n := 0
		for k := range tc.m {
			delete(tc.m, k)
			if n++; n >= tc.max/2 {
				break
			}
		}
	}
	tc.m[id] = tx
}

// maxProven bounds a ProvenSet; past it the set starts afresh.
const maxProven = 200000

// ProvenSet remembers transactions whose inclusion in a block was proven:
// txid -> height and block. A later sync that finds the same block at that
// height needs no new merkle proof. The zero value is an empty set, safe
// for concurrent use.
type ProvenSet struct {
	mu sync.Mutex
	m  map[chainhash.Hash]BlockRef
}

// Get returns the block the transaction id was proven in, when it was
// proven at height.
func (p *ProvenSet) Get(id chainhash.Hash, height int32) (chainhash.Hash, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.m[id]
	if !ok || r.Height != height {
		return chainhash.Hash{}, false
	}
	return r.Hash, true
}

// Put records that transaction id was proven in block at height.
func (p *ProvenSet) Put(id chainhash.Hash, height int32, block chainhash.Hash) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) > maxProven {
		p.m = make(map[chainhash.Hash]BlockRef)
	}
	p.m[id] = BlockRef{Height: height, Hash: block}
}

// WithTimeout bounds ctx by timeout, unless its deadline is earlier
// already; either way the returned context can be cancelled.
func WithTimeout(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= timeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, timeout)
}

// WrapServer returns err as a *ServerError naming server and op, or nil
// for nil. An error that is a *ServerError already is returned as it is;
// a deadline is reported as "no reply in time".
func WrapServer(server, op string, err error) error {
	if err == nil {
		return nil
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no reply in time: %w", err)
	}
	return &ServerError{Server: server, Op: op, Err: err}
}
