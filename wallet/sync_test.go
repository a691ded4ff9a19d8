package wallet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

func TestSyncGapLimit(t *testing.T) {
	w := testWallet(t, descriptor.WPKH)
	c := newMemChain(110)
	r := func(i uint32) []byte { return derive(t, w, false, i).Script }
	// 0 and 15 are found in the first batch, 34 after extending past 15;
	// 60 lies beyond 34+20 and stays unseen. Change 5 is found.
	c.add(fund("a", [][]byte{r(0), r(15)}, []int64{100_000, 200_000}), 101)
	c.add(fund("b", [][]byte{r(34), r(60)}, []int64{300_000, 400_000}), 102)
	c.add(fund("c", [][]byte{derive(t, w, true, 5).Script}, []int64{50_000}), 103)

	var stages []string
	st, err := w.Sync(context.Background(), c, nil, func(p Progress) { stages = append(stages, p.Stage) })
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Balance(); got != (Balance{Confirmed: 650_000}) {
		t.Errorf("balance %+v, want 650000 confirmed", got)
	}
	// Scripts are derived in batches of the gap limit: 0..59 on receive
	// (the tail after 34 reaches 20 unused in the third batch), 0..39 on
	// change.
	if n := len(st.chains[0]); n != 60 {
		t.Errorf("%d receive scripts derived, want 60", n)
	}
	if n := len(st.chains[1]); n != 40 {
		t.Errorf("%d change scripts derived, want 40", n)
	}
	if len(stages) == 0 {
		t.Error("no progress reported")
	}
	next, err := st.NextReceive()
	if err != nil || next.Index != 1 {
		t.Errorf("NextReceive = %d, %v; want 1", next.Index, err)
	}
	nc, err := st.NextChange()
	if err != nil || nc.Index != 0 || !nc.Change {
		t.Errorf("NextChange = %+v, %v", nc, err)
	}
	addrs, err := st.Addresses(false, 14, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(addrs) != 3 || addrs[0].Used || !addrs[1].Used || addrs[1].Balance != 200_000 || addrs[1].Index != 15 {
		t.Errorf("addresses 14..16: %+v", addrs)
	}
	if addrs[1].Address != derive(t, w, false, 15).Address {
		t.Errorf("address 15 is %s", addrs[1].Address)
	}
	// Beyond what was scanned, addresses are derived and unused.
	far, err := st.Addresses(false, 100, 2)
	if err != nil || len(far) != 2 || far[0].Used || far[0].Address != derive(t, w, false, 100).Address {
		t.Errorf("addresses 100..101: %+v, %v", far, err)
	}
	h := st.History()
	if len(h) != 3 || h[0].Height != 103 || h[2].Height != 101 {
		t.Fatalf("history %+v", h)
	}
	if h[0].Net != 50_000 || h[0].FeeKnown {
		t.Errorf("receipt %+v: net 50000 with unknown fee expected", h[0])
	}
}

func TestSyncSpendsAndFees(t *testing.T) {
	w := testWallet(t, descriptor.WPKH)
	c := newMemChain(110)
	r0, r1 := derive(t, w, false, 0).Script, derive(t, w, false, 1).Script
	f := c.add(fund("a", [][]byte{r0, r1}, []int64{100_000, 200_000}), 101)
	st := syncOK(t, w, c, nil)

	// A payment from output 0 with change, in the mempool.
	ch := derive(t, w, true, 0).Script
	pay := c.add(spend([]wire.OutPoint{{Hash: f.TxHash(), Index: 0}}, [][]byte{foreignScript("x"), ch}, []int64{60_000, 39_000}), 0)
	// A spend mixing a foreign input with ours: its parent is fetched so
	// the fee is known.
	other := c.add(fund("other", [][]byte{foreignScript("y")}, []int64{10_000}), 105)
	mixed := c.add(spend([]wire.OutPoint{{Hash: f.TxHash(), Index: 1}, {Hash: other.TxHash(), Index: 0}},
		[][]byte{foreignScript("z")}, []int64{209_000}), 106)
	c.setTip(111, "a")

	st2 := syncOK(t, w, c, st)
	if got := st2.Balance(); got != (Balance{Unconfirmed: 39_000}) {
		t.Errorf("balance %+v, want 39000 unconfirmed", got)
	}
	u := st2.UTXOs()
	if len(u) != 1 || u[0].OutPoint != (wire.OutPoint{Hash: pay.TxHash(), Index: 1}) || !u[0].Change {
		t.Errorf("utxos %+v", u)
	}
	h := st2.History()
	if len(h) != 3 || h[0].TxID != pay.TxHash() || h[1].TxID != mixed.TxHash() {
		t.Fatalf("history order %+v", h)
	}
	if h[0].Net != -61_000 || !h[0].FeeKnown || h[0].Fee != 1_000 {
		t.Errorf("payment %+v: net -61000, fee 1000 expected", h[0])
	}
	if h[1].Net != -200_000 || !h[1].FeeKnown || h[1].Fee != 1_000 {
		t.Errorf("mixed spend %+v: net -200000, fee 1000 expected", h[1])
	}
	// The old state is untouched.
	if got := st.Balance(); got != (Balance{Confirmed: 300_000}) {
		t.Errorf("old state changed: %+v", got)
	}
	// The incremental sync asked known scripts from the tip minus the margin.
	if !containsSince(c.sinces, 110-ReorgMargin) {
		t.Errorf("sinces %v: want %d", c.sinces, 110-ReorgMargin)
	}

	// The payment is evicted from the mempool: it disappears.
	c.remove(pay.TxHash())
	st3 := syncOK(t, w, c, st2)
	if got := st3.Balance(); got != (Balance{Confirmed: 100_000}) {
		t.Errorf("after eviction: balance %+v", got)
	}
}

func containsSince(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestSyncReorg(t *testing.T) {
	w := testWallet(t, descriptor.TR)
	c := newMemChain(110)
	r0 := derive(t, w, false, 0).Script
	c.add(fund("a", [][]byte{r0}, []int64{100_000}), 100)
	b := c.add(fund("b", [][]byte{r0}, []int64{7_000}), 109)
	st := syncOK(t, w, c, nil)
	if st.Balance().Confirmed != 107_000 {
		t.Fatalf("balance %+v", st.Balance())
	}
	// Another block at the same height, without b: full rescan.
	c.remove(b.TxHash())
	c.setTip(110, "b")
	c.sinces = nil
	st2 := syncOK(t, w, c, st)
	if st2.Balance().Confirmed != 100_000 {
		t.Errorf("after reorg: balance %+v", st2.Balance())
	}
	if c.sinces[0] != w.BirthdayHeight {
		t.Errorf("reorg did not rescan from the birthday: sinces %v", c.sinces)
	}
	if st2.Tip().Hash != blockHash(110, "b") {
		t.Errorf("tip not updated")
	}
	// A shallow reorg within the margin while the chain grows is seen by
	// the incremental sync.
	c.add(b, 112)
	c.setTip(113, "b")
	st3 := syncOK(t, w, c, st2)
	c.remove(b.TxHash())
	c.setTip(114, "b")
	st4 := syncOK(t, w, c, st3)
	if st3.Balance().Confirmed != 107_000 || st4.Balance().Confirmed != 100_000 {
		t.Errorf("shallow reorg: %+v then %+v", st3.Balance(), st4.Balance())
	}
}

func TestSyncBirthdayAndLies(t *testing.T) {
	w := testWallet(t, descriptor.SHWPKH)
	w.BirthdayHeight = 50
	c := newMemChain(60)
	r0 := derive(t, w, false, 0).Script
	c.add(fund("old", [][]byte{r0}, []int64{1_000}), 40)
	c.add(fund("new", [][]byte{r0}, []int64{2_000}), 55)
	st := syncOK(t, w, c, nil)
	if st.Balance().Confirmed != 2_000 {
		t.Errorf("birthday not honoured: %+v", st.Balance())
	}
	// A source that lists a transaction for a script it does not touch.
	w.BirthdayHeight = 0
	liar := &lyingChain{memChain: c}
	if _, err := w.Sync(context.Background(), liar, nil, nil); !errors.Is(err, chain.ErrLie) {
		t.Errorf("lie not caught: %v", err)
	}
}

type lyingChain struct{ *memChain }

func (l *lyingChain) History(ctx context.Context, scripts [][]byte, since int32, p chan<- chain.Progress) ([][]chain.TxRef, error) {
	h, err := l.memChain.History(ctx, scripts, since, p)
	if err == nil && len(h) > 1 && len(h[0]) > 0 {
		h[1] = append(h[1], h[0][0])
	}
	return h, err
}

func TestCache(t *testing.T) {
	w := testWallet(t, descriptor.PKH)
	c := newMemChain(110)
	r0 := derive(t, w, false, 0).Script
	f := c.add(fund("a", [][]byte{r0}, []int64{100_000}), 101)
	c.add(spend([]wire.OutPoint{{Hash: f.TxHash()}}, [][]byte{derive(t, w, true, 0).Script}, []int64{99_000}), 0)
	st := syncOK(t, w, c, nil)

	path := filepath.Join(t.TempDir(), "wallets", w.ID+".json")
	if st2, err := LoadState(path, w); err != nil || st2.Tip().Height != 0 {
		t.Fatalf("missing cache: %v", err)
	}
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState(path, w)
	if err != nil {
		t.Fatal(err)
	}
	if got.Balance() != st.Balance() || got.Tip() != st.Tip() || len(got.History()) != 2 {
		t.Errorf("round trip: %+v %+v", got.Balance(), got.Tip())
	}
	a, b := got.History(), st.History()
	for i := range a {
		if a[i] != b[i] {
			t.Errorf("history %d: %+v != %+v", i, a[i], b[i])
		}
	}
	// An incremental sync from the loaded state works.
	if _, err := w.Sync(context.Background(), c, got, nil); err != nil {
		t.Fatal(err)
	}
	// No temporary files are left.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("cache directory holds %d files", len(entries))
	}

	// Broken caches are discarded with a warning.
	for name, data := range map[string]string{
		"corrupt": `{"version": 1, "txs": [`,
		"version": `{"version": 99}`,
		"garbage": "\x00\x01",
	} {
		p := filepath.Join(t.TempDir(), name+".json")
		_ = os.WriteFile(p, []byte(data), 0o600)
		st, err := LoadState(p, w)
		if !errors.Is(err, ErrCacheDiscarded) || st == nil || st.Tip().Height != 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A cache of another wallet is discarded too.
	other := testWallet(t, descriptor.WPKH)
	if _, err := LoadState(path, other); !errors.Is(err, ErrCacheDiscarded) {
		t.Errorf("other wallet's cache: %v", err)
	}
}

func TestCachePath(t *testing.T) {
	if _, err := CachePath("../x"); !errors.Is(err, ErrBadID) {
		t.Errorf("bad id accepted: %v", err)
	}
	p, err := CachePath("main")
	if err != nil || filepath.Base(p) != "main.json" || filepath.Base(filepath.Dir(p)) != "wallets" {
		t.Errorf("CachePath = %q, %v", p, err)
	}
}

func FuzzStateJSON(f *testing.F) {
	w := testWallet(f, descriptor.WPKH)
	c := newMemChain(110)
	c.add(fund("a", [][]byte{derive(f, w, false, 0).Script}, []int64{100_000}), 101)
	st, err := w.Sync(context.Background(), c, nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	data, _ := st.MarshalJSON()
	f.Add(data)
	f.Add([]byte(`{"version": 1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s State
		if err := s.UnmarshalJSON(data); err != nil {
			return
		}
		_ = s.checkScripts(w)
		s.index()
		if _, err := s.MarshalJSON(); err != nil {
			t.Fatal(err)
		}
	})
}
