package chaintest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// Harness connects the suite to one backend.
type Harness interface {
	// Fixture returns the chain the server serves. The suite does not
	// modify it.
	Fixture() *Fixture
	// Source returns a new Source connected to a server serving exactly
	// the fixture. The harness closes it (t.Cleanup) or the suite does;
	// Close must tolerate being called twice.
	Source(t *testing.T) chain.Source
}

// LieKind is a way a server can misbehave.
type LieKind int

// The ways of misbehaving. After Lie(kind) every reply of the server
// (to existing connections and new ones) misbehaves that way, until
// Lie(Honest).
const (
	// Honest serves the fixture faithfully.
	Honest LieKind = iota
	// LieTxBytes sends transactions (and blocks) whose bytes do not hash
	// to what was asked for. Transactions must fail with chain.ErrLie.
	LieTxBytes
	// LieHistory makes the server's history contradict the chain: an
	// entry for a transaction that does not touch the script (an index
	// server), or a block or filter that does not match its header (a
	// node). History must fail with chain.ErrLie.
	LieHistory
	// LieMalformed sends replies that do not parse. Tip and History must
	// fail with chain.ErrMalformed.
	LieMalformed
	// LieHang accepts requests and never answers. Every call must end
	// with ctx's deadline (context.DeadlineExceeded) within 2 s of it.
	LieHang
	// LieClose closes the connection on every request. Calls must fail
	// promptly with an error naming the server.
	LieClose
)

func (k LieKind) String() string {
	switch k {
	case Honest:
		return "Honest"
	case LieTxBytes:
		return "TxBytes"
	case LieHistory:
		return "History"
	case LieMalformed:
		return "Malformed"
	case LieHang:
		return "Hang"
	case LieClose:
		return "Close"
	}
	return fmt.Sprintf("LieKind(%d)", int(k))
}

// Liar is a Harness whose server can be made to misbehave. Lie switches
// the server to kind and reports whether the harness can do it; the
// suite skips the kinds it cannot.
type Liar interface {
	Lie(kind LieKind) bool
}

// Broadcaster is a Harness whose server accepts transactions.
// BroadcastTx returns a valid transaction that is not in the fixture and
// that the server will accept; the suite broadcasts it last, through a
// Source, and expects its txid back.
type Broadcaster interface {
	BroadcastTx(t *testing.T) *wire.MsgTx
}

// FeeEstimator is a Harness that states whether its server has fee
// estimates: with true, FeeRate must return a rate; with false, it must
// fail with chain.ErrNoFeeEstimate. A harness without it may do either.
type FeeEstimator interface {
	HasFeeEstimates() bool
}

// timeout bounds every call of the suite, so that a broken source fails
// the test instead of hanging it.
const timeout = 60 * time.Second

// Run runs the conformance suite against h. See the package comment for
// what it checks.
func Run(t *testing.T, h Harness) {
	f := h.Fixture()
	if f == nil || len(f.Blocks) == 0 {
		t.Fatal("chaintest: harness has no fixture")
	}
	truth := Truth(f)
	src := h.Source(t)
	t.Cleanup(func() { src.Close() })

	t.Run("Tip", func(t *testing.T) {
		ctx := ctxT(t)
		got, err := src.Tip(ctx)
		if err != nil {
			t.Fatalf("Tip: %v", err)
		}
		if want := f.Tip(); got != want {
			t.Errorf("Tip = %d %s, want %d %s", got.Height, got.Hash, want.Height, want.Hash)
		}
	})

	t.Run("History", func(t *testing.T) {
		t.Run("All", func(t *testing.T) {
			checkHistory(t, src, f, f.Scripts, 0)
		})
		t.Run("One", func(t *testing.T) {
			// One script at a time, a spread of them.
			step := max(1, len(f.Scripts)/10)
			for i := 0; i < len(f.Scripts); i += step {
				checkHistory(t, src, f, f.Scripts[i:i+1], 0)
			}
		})
		t.Run("Batches", func(t *testing.T) {
			for i := 0; i < len(f.Scripts); i += 7 {
				checkHistory(t, src, f, f.Scripts[i:min(i+7, len(f.Scripts))], 0)
			}
		})
		t.Run("Duplicates", func(t *testing.T) {
			if len(f.Scripts) < 2 {
				t.Skip("fixture has fewer than two scripts")
			}
			s := [][]byte{f.Scripts[0], f.Scripts[1], f.Scripts[0]}
			checkHistory(t, src, f, s, 0)
		})
		t.Run("Since", func(t *testing.T) {
			tip := f.Tip().Height
			for _, since := range []int32{1, tip / 3, tip / 2, tip - 1, tip, tip + 1} {
				if since < 0 {
					continue
				}
				t.Run(fmt.Sprint(since), func(t *testing.T) {
					checkHistory(t, src, f, f.Scripts, since)
				})
			}
		})
		t.Run("Empty", func(t *testing.T) {
			got, err := src.History(ctxT(t), nil, 0, nil)
			if err != nil {
				t.Fatalf("History(nil): %v", err)
			}
			if len(got) != 0 {
				t.Errorf("History(nil) = %d histories, want none", len(got))
			}
		})
		t.Run("Progress", func(t *testing.T) {
			progress := make(chan chain.Progress)
			var reports []chain.Progress
			done := make(chan struct{})
			go func() {
				defer close(done)
				for p := range progress {
					reports = append(reports, p)
				}
			}()
			got, err := src.History(ctxT(t), f.Scripts, 0, progress)
			close(progress)
			<-done
			if err != nil {
				t.Fatalf("History: %v", err)
			}
			if d := DiffHistory(f.Scripts, truth, got); d != "" {
				t.Errorf("History with progress differs from the truth:\n%s", d)
			}
			var last int64
			for _, p := range reports {
				if p.Done < last || p.Done < 0 || (p.Total > 0 && p.Done > p.Total) {
					t.Errorf("bad progress report %+v after Done=%d", p, last)
				}
				last = p.Done
			}
		})
		t.Run("Cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := src.History(ctx, f.Scripts, 0, nil)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("History with a cancelled context: %v, want context.Canceled", err)
			}
		})
	})

	t.Run("Transactions", func(t *testing.T) {
		t.Run("All", func(t *testing.T) {
			ids := historyIDs(truth)
			for _, tx := range f.Mempool {
				ids = appendNew(ids, tx.TxHash())
			}
			checkTransactions(t, src, f, ids)
			// And a few at a time, in reverse order.
			for i := len(ids); i > 0; i -= 5 {
				part := make([]chainhash.Hash, 0, 5)
				for k := i - 1; k >= max(0, i-5); k-- {
					part = append(part, ids[k])
				}
				checkTransactions(t, src, f, part)
			}
		})
		t.Run("Empty", func(t *testing.T) {
			got, err := src.Transactions(ctxT(t), nil)
			if err != nil || len(got) != 0 {
				t.Errorf("Transactions(nil) = %d, %v; want none, nil", len(got), err)
			}
		})
		t.Run("Unknown", func(t *testing.T) {
			var id chainhash.Hash
			copy(id[:], "chaintest: no such transaction!!")
			got, err := src.Transactions(ctxT(t), []chainhash.Hash{id})
			if err == nil {
				t.Errorf("Transactions(unknown id) = %v, nil; want an error", got)
			}
		})
	})

	t.Run("FeeRate", func(t *testing.T) {
		want, stated := h.(FeeEstimator)
		for _, target := range []int{1, 2, 6, 144} {
			rate, err := src.FeeRate(ctxT(t), target)
			switch {
			case errors.Is(err, chain.ErrNoFeeEstimate):
				if stated && want.HasFeeEstimates() {
					t.Errorf("FeeRate(%d): %v, want a rate", target, err)
				}
			case err != nil:
				t.Errorf("FeeRate(%d): %v", target, err)
			case !(rate > 0) || math.IsInf(rate, 0):
				t.Errorf("FeeRate(%d) = %v, want a positive finite rate", target, rate)
			case stated && !want.HasFeeEstimates():
				t.Errorf("FeeRate(%d) = %v, want chain.ErrNoFeeEstimate", target, rate)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan string, 16)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				var scripts [][]byte
				for i := g % 3; i < len(f.Scripts); i += 1 + g%3 {
					scripts = append(scripts, f.Scripts[i])
				}
				got, err := src.History(ctx, scripts, 0, nil)
				if err != nil {
					errs <- fmt.Sprintf("goroutine %d: History: %v", g, err)
					return
				}
				if d := DiffHistory(scripts, f.History(scripts, 0), got); d != "" {
					errs <- fmt.Sprintf("goroutine %d: History differs:\n%s", g, d)
					return
				}
				ids := historyIDs(got)
				txs, err := src.Transactions(ctx, ids)
				if err != nil {
					errs <- fmt.Sprintf("goroutine %d: Transactions: %v", g, err)
					return
				}
				if len(txs) != len(ids) {
					errs <- fmt.Sprintf("goroutine %d: %d transactions for %d ids", g, len(txs), len(ids))
				}
				if _, err := src.Tip(ctx); err != nil {
					errs <- fmt.Sprintf("goroutine %d: Tip: %v", g, err)
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})

	if liar, ok := h.(Liar); ok {
		t.Run("Lies", func(t *testing.T) { runLies(t, h, liar) })
	}

	t.Run("Broadcast", func(t *testing.T) {
		t.Run("Garbage", func(t *testing.T) {
			tx := garbageTx()
			_, err := src.Broadcast(ctxT(t), tx)
			if !errors.Is(err, chain.ErrRejected) {
				t.Errorf("Broadcast(tx spending a missing output): %v, want chain.ErrRejected", err)
			}
		})
		b, ok := h.(Broadcaster)
		if !ok {
			return
		}
		t.Run("Valid", func(t *testing.T) {
			tx := b.BroadcastTx(t)
			id, err := src.Broadcast(ctxT(t), tx)
			if err != nil {
				t.Fatalf("Broadcast: %v", err)
			}
			if id != tx.TxHash() {
				t.Errorf("Broadcast = %s, want %s", id, tx.TxHash())
			}
		})
	})
}

// runLies checks that each kind of misbehaviour gives the right error.
func runLies(t *testing.T, h Harness, liar Liar) {
	f := h.Fixture()
	ids := historyIDs(Truth(f))
	if len(ids) > 3 {
		ids = ids[:3]
	}
	lie := func(t *testing.T, kind LieKind) chain.Source {
		src := h.Source(t)
		t.Cleanup(func() { src.Close() })
		if !liar.Lie(kind) {
			t.Skipf("harness cannot lie with %v", kind)
		}
		t.Cleanup(func() { liar.Lie(Honest) })
		return src
	}
	t.Run("TxBytes", func(t *testing.T) {
		src := lie(t, LieTxBytes)
		_, err := src.Transactions(ctxT(t), ids)
		wantErr(t, "Transactions", err, chain.ErrLie)
	})
	t.Run("History", func(t *testing.T) {
		src := lie(t, LieHistory)
		_, err := src.History(ctxT(t), f.Scripts, 0, nil)
		wantErr(t, "History", err, chain.ErrLie)
	})
	t.Run("Malformed", func(t *testing.T) {
		src := lie(t, LieMalformed)
		_, err := src.Tip(ctxT(t))
		wantErr(t, "Tip", err, chain.ErrMalformed)
		_, err = src.History(ctxT(t), f.Scripts, 0, nil)
		wantErr(t, "History", err, chain.ErrMalformed)
	})
	t.Run("Hang", func(t *testing.T) {
		src := lie(t, LieHang)
		calls := map[string]func(ctx context.Context) error{
			"Tip": func(ctx context.Context) error { _, err := src.Tip(ctx); return err },
			"History": func(ctx context.Context) error {
				_, err := src.History(ctx, f.Scripts, 0, nil)
				return err
			},
			"Transactions": func(ctx context.Context) error { _, err := src.Transactions(ctx, ids); return err },
			"FeeRate":      func(ctx context.Context) error { _, err := src.FeeRate(ctx, 6); return err },
		}
		for _, name := range []string{"Tip", "History", "Transactions", "FeeRate"} {
			const deadline = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			start := time.Now()
			err := runBounded(ctx, calls[name], deadline+2*time.Second)
			took := time.Since(start)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s against a hanging server: %v, want context.DeadlineExceeded", name, err)
			}
			if took > deadline+2*time.Second {
				t.Errorf("%s against a hanging server took %v, deadline %v", name, took, deadline)
			}
		}
	})
	t.Run("Close", func(t *testing.T) {
		src := lie(t, LieClose)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := src.Tip(ctx)
		if err == nil {
			t.Fatal("Tip against a server closing connections: no error")
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Tip against a server closing connections hung: %v", err)
		}
		var se *chain.ServerError
		if !errors.As(err, &se) || se.Server == "" {
			t.Errorf("Tip: error %q does not name the server (want a *chain.ServerError)", err)
		}
		// Once the server behaves, a new source works.
		liar.Lie(Honest)
		fresh := h.Source(t)
		defer fresh.Close()
		if got, err := fresh.Tip(ctxT(t)); err != nil || got != f.Tip() {
			t.Errorf("Tip after the server recovered = %v, %v; want %v", got, err, f.Tip())
		}
	})
}

// runBounded runs call, giving up after limit so that a source that
// ignores ctx fails the test instead of hanging it.
func runBounded(ctx context.Context, call func(context.Context) error, limit time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return errors.New("call did not return (ctx ignored)")
	}
}

func wantErr(t *testing.T, op string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: %v, want %v", op, err, kind)
		return
	}
	var se *chain.ServerError
	if !errors.As(err, &se) || se.Server == "" {
		t.Errorf("%s: error %q does not name the server (want a *chain.ServerError)", op, err)
	}
}

func checkHistory(t *testing.T, src chain.Source, f *Fixture, scripts [][]byte, since int32) {
	t.Helper()
	got, err := src.History(ctxT(t), scripts, since, nil)
	if err != nil {
		t.Fatalf("History(%d scripts, since %d): %v", len(scripts), since, err)
	}
	if d := DiffHistory(scripts, f.History(scripts, since), got); d != "" {
		t.Errorf("History(%d scripts, since %d) differs from the truth:\n%s", len(scripts), since, d)
	}
}

func checkTransactions(t *testing.T, src chain.Source, f *Fixture, ids []chainhash.Hash) {
	t.Helper()
	got, err := src.Transactions(ctxT(t), ids)
	if err != nil {
		t.Fatalf("Transactions(%d ids): %v", len(ids), err)
	}
	if len(got) != len(ids) {
		t.Fatalf("Transactions(%d ids) returned %d", len(ids), len(got))
	}
	for i, id := range ids {
		want := f.Tx(id)
		if want == nil {
			t.Fatalf("fixture has no transaction %s", id)
		}
		if got[i] == nil || string(TxBytes(got[i])) != string(TxBytes(want)) {
			t.Errorf("Transactions: transaction %d (%s) has other bytes than the chain's", i, id)
		}
	}
}

// historyIDs returns the distinct txids of a set of histories, in order
// of first appearance.
func historyIDs(hist [][]chain.TxRef) []chainhash.Hash {
	var ids []chainhash.Hash
	seen := make(map[chainhash.Hash]bool)
	for _, refs := range hist {
		for _, r := range refs {
			if !seen[r.TxID] {
				seen[r.TxID] = true
				ids = append(ids, r.TxID)
			}
		}
	}
	return ids
}

func appendNew(ids []chainhash.Hash, id chainhash.Hash) []chainhash.Hash {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// garbageTx returns a well-formed transaction spending an output that
// does not exist, which every server must refuse.
func garbageTx() *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	var prev chainhash.Hash
	copy(prev[:], "chaintest: this output is absent")
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Hash: prev, Index: 7},
		Witness:          wire.TxWitness{make([]byte, 64)},
		Sequence:         wire.MaxTxInSequenceNum,
	})
	script := append([]byte{0x51, 32}, make([]byte, 32)...)
	tx.AddTxOut(wire.NewTxOut(10_000, script))
	return tx
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}
