package electrum_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum/internal/testserver"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start serves a built chain of n scripts.
func start(t testing.TB, n int, opts testserver.Options) (*testchain.Chain, *testserver.Server) {
	t.Helper()
	b := testchain.Build(7, n, 25)
	srv, err := testserver.Start(b, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return b, srv
}

func dial(t testing.TB, cfg electrum.Config) *electrum.Client {
	t.Helper()
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = -1
	}
	c, err := electrum.Dial(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkAgainstServer compares a history with the server's own index.
func checkAgainstServer(t *testing.T, srv *testserver.Server, scripts [][]byte, got [][]chain.TxRef) {
	t.Helper()
	for i, s := range scripts {
		want := srv.History(s)
		if len(got[i]) != len(want) {
			t.Fatalf("script %d: %d entries, want %d", i, len(got[i]), len(want))
		}
		for j, w := range want {
			g := got[i][j]
			if g.TxID != w.TxID || g.Height != w.Height {
				t.Fatalf("script %d entry %d: %s@%d, want %s@%d", i, j, g.TxID, g.Height, w.TxID, w.Height)
			}
			if g.Confirmed() && g.Block == (chainhash.Hash{}) {
				t.Fatalf("script %d entry %d: confirmed without block hash", i, j)
			}
		}
	}
}

// The required figure: a wallet of 1,000 used scripts syncs with one round
// trip per 100 scripts for the histories, and batches for everything else.
func TestRoundTrips1000Scripts(t *testing.T) {
	b, srv := start(t, 1000, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr(), Params: &chaincfg.RegressionNetParams})
	srv.ResetCounts()
	before := c.RoundTrips()

	got, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstServer(t, srv, b.Scripts, got)

	txs, merkles, headers := srv.Calls("blockchain.transaction.get"), srv.Calls("blockchain.transaction.get_merkle"), srv.Calls("blockchain.block.header")
	histLines := srv.LinesWith("blockchain.scripthash.get_history")
	total := srv.Lines()
	t.Logf("1000 scripts: %d round trips in all (client counted %d): %d for histories; %d transactions, %d merkle proofs, %d headers fetched; largest batch %d",
		total, c.RoundTrips()-before, histLines, txs, merkles, headers, srv.MaxBatch())
	if histLines > 10 {
		t.Errorf("histories took %d round trips, want at most 10", histLines)
	}
	verifyLines := (txs + merkles + headers + 99) / 100
	if total > int64(10+verifyLines) {
		t.Errorf("%d round trips, want at most %d (10 for histories, %d for transactions, proofs and headers)", total, 10+verifyLines, verifyLines)
	}
	if srv.MaxBatch() > 100 {
		t.Errorf("a batch of %d requests, want at most 100", srv.MaxBatch())
	}
	if c.RoundTrips()-before != total {
		t.Errorf("client counted %d round trips, server %d", c.RoundTrips()-before, total)
	}

	// A second sync fetches the histories and the headers again (to see
	// that each block is still at its height), not the transactions or
	// their proofs.
	srv.ResetCounts()
	again, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstServer(t, srv, b.Scripts, again)
	t.Logf("second sync: %d round trips (%d headers)", srv.Lines(), srv.Calls("blockchain.block.header"))
	if n, want := srv.Lines(), int64(10+(headers+99)/100); n != want {
		t.Errorf("second sync: %d round trips, want %d", n, want)
	}
	if n := srv.Calls("blockchain.transaction.get_merkle") + srv.Calls("blockchain.transaction.get"); n != 0 {
		t.Errorf("second sync fetched %d transactions and proofs again", n)
	}

	// Transactions of the histories are already verified and kept.
	srv.ResetCounts()
	var ids []chainhash.Hash
	for _, refs := range got {
		for _, r := range refs {
			ids = append(ids, r.TxID)
		}
	}
	if _, err := c.Transactions(ctxT(t), ids); err != nil {
		t.Fatal(err)
	}
	if n := srv.Lines(); n != 0 {
		t.Errorf("Transactions after History took %d round trips, want 0", n)
	}
}

func BenchmarkHistory1000Scripts(b *testing.B) {
	bt, srv := start(b, 1000, testserver.Options{})
	for b.Loop() {
		c, err := electrum.Dial(context.Background(), electrum.Config{Server: srv.Addr(), KeepAlive: -1})
		if err != nil {
			b.Fatal(err)
		}
		srv.ResetCounts()
		if _, err := c.History(context.Background(), bt.Scripts, 0, nil); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(srv.Lines()), "roundtrips/op")
		b.ReportMetric(float64(srv.LinesWith("blockchain.scripthash.get_history")), "history-roundtrips/op")
		c.Close()
	}
}

func TestHistorySince(t *testing.T) {
	b, srv := start(t, 60, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	tip, _ := srv.Tip()
	since := tip - 1
	got, err := c.History(ctxT(t), b.Scripts, since, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, refs := range got {
		for _, r := range refs {
			if r.Confirmed() && r.Height < since {
				t.Errorf("script %d: %s at height %d, before %d", i, r.TxID, r.Height, since)
			}
			n++
		}
	}
	if n == 0 {
		t.Fatal("no history at all after since")
	}
}

// Mempool entries keep the server's height: 0, or -1 for a transaction
// with an unconfirmed input.
func TestMempoolHeights(t *testing.T) {
	b, srv := start(t, 10, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	got, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	heights := make(map[int32]int)
	for _, refs := range got {
		for _, r := range refs {
			if !r.Confirmed() {
				heights[r.Height]++
				if r.Block != (chainhash.Hash{}) {
					t.Errorf("unconfirmed %s has a block", r.TxID)
				}
			}
		}
	}
	if heights[0] == 0 || heights[-1] == 0 {
		t.Errorf("unconfirmed heights %v, want both 0 and -1", heights)
	}
}

func TestTipFeeBroadcast(t *testing.T) {
	b, srv := start(t, 10, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	ctx := ctxT(t)

	tip, err := c.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h, hash := srv.Tip()
	if tip.Height != h || tip.Hash != hash {
		t.Errorf("Tip = %d %s, want %d %s", tip.Height, tip.Hash, h, hash)
	}
	if v := c.ServerVersion(); v != "TestServer 1.0" {
		t.Errorf("ServerVersion = %q", v)
	}

	// 6 blocks: 8.25 sat/vB, sent as 0.0000825 BTC/kB.
	rate, err := c.FeeRate(ctx, 6)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(rate-8.25) > 1e-9 {
		t.Errorf("FeeRate(6) = %v, want 8.25", rate)
	}
	if _, err := c.FeeRate(ctx, 0); err == nil {
		t.Error("FeeRate(0): no error")
	}

	// Spend the first script's coin.
	first := srv.History(b.Scripts[0])[0]
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: first.TxID, Index: 0}, Witness: wire.TxWitness{{1}}})
	tx.AddTxOut(wire.NewTxOut(5000, testchain.MinerScript))
	id, err := c.Broadcast(ctx, tx)
	if err != nil || id != tx.TxHash() {
		t.Fatalf("Broadcast = %s, %v; want %s", id, err, tx.TxHash())
	}
	// The same coin again, in another transaction: the node refuses.
	tx2 := tx.Copy()
	tx2.TxOut[0].Value = 4000
	_, err = c.Broadcast(ctx, tx2)
	if !errors.Is(err, chain.ErrRejected) || !strings.Contains(err.Error(), "txn-mempool-conflict") {
		t.Errorf("double spend: %v, want chain.ErrRejected with the node's reason", err)
	}
	var se *chain.ServerError
	if !errors.As(err, &se) || se.Op != "blockchain.transaction.broadcast" {
		t.Errorf("double spend: %v, want a ServerError for the broadcast", err)
	}
}

func TestNoFeeEstimate(t *testing.T) {
	b := testchain.Build(1, 3, 5)
	b.FeeRates = nil
	srv, err := testserver.Start(b, testserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dial(t, electrum.Config{Server: srv.Addr()})
	_, err = c.FeeRate(ctxT(t), 2)
	if !errors.Is(err, chain.ErrNoFeeEstimate) {
		t.Errorf("FeeRate without estimate: %v, want chain.ErrNoFeeEstimate", err)
	}
}

func TestWrongNetwork(t *testing.T) {
	_, srv := start(t, 2, testserver.Options{})
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: srv.Addr(), Params: &chaincfg.MainNetParams, KeepAlive: -1})
	if err == nil || !strings.Contains(err.Error(), "another network") {
		t.Errorf("Dial to a regtest server for mainnet: %v, want a network mismatch", err)
	}
}

// Each way of lying is caught, with an error naming the server and the
// kind of fault; none hangs.
func TestFaults(t *testing.T) {
	b, srv := start(t, 30, testserver.Options{})
	cases := []struct {
		fault   testserver.Fault
		methods []string
		call    string // History, Transactions, Tip
		want    error
		text    string
	}{
		{testserver.BadTx, nil, "Transactions", chain.ErrLie, "hashes to"},
		{testserver.BadTx, nil, "History", chain.ErrLie, "hashes to"},
		{testserver.ForeignHistory, nil, "History", chain.ErrLie, "neither pays to it nor spends from it"},
		{testserver.BadMerkle, nil, "History", chain.ErrLie, "merkle proof"},
		{testserver.WrongProofHeight, nil, "History", chain.ErrLie, "is for height"},
		{testserver.BadHeaderChain, nil, "History", chain.ErrLie, "points to previous block"},
		{testserver.Malformed, nil, "History", chain.ErrMalformed, "not JSON"},
		{testserver.Malformed, nil, "Tip", chain.ErrMalformed, "not JSON"},
		{testserver.Malformed, []string{"blockchain.transaction.get_merkle"}, "History", chain.ErrMalformed, "not JSON"},
		{testserver.BadShape, nil, "Tip", chain.ErrMalformed, ""},
		{testserver.BadShape, nil, "History", chain.ErrMalformed, ""},
		{testserver.BadShape, []string{"blockchain.block.header"}, "History", chain.ErrMalformed, "header"},
		{testserver.BadShape, nil, "Transactions", chain.ErrMalformed, ""},
		{testserver.RPCError, nil, "History", nil, "out of coffee"},
		{testserver.CloseMidRequest, nil, "History", nil, "closed by server"},
		{testserver.Hang, nil, "History", context.DeadlineExceeded, "no reply in time"},
	}
	var ids []chainhash.Hash
	for _, e := range srv.History(b.Scripts[0]) {
		ids = append(ids, e.TxID)
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d-%s-%v", tc.fault, tc.call, tc.methods), func(t *testing.T) {
			c := dial(t, electrum.Config{Server: srv.Addr(), Timeout: 2 * time.Second})
			srv.SetFault(tc.fault, tc.methods...)
			defer srv.SetFault(testserver.None)
			testchain.CheckFault(t, c, tc.call, b.Scripts, ids, tc.want, tc.text, srv.HostPort())
		})
	}
}

// A connection the server drops between calls is re-established
// transparently; one it drops mid-request is retried once.
func TestReconnect(t *testing.T) {
	b, srv := start(t, 5, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	if _, err := c.Tip(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.DropConnections()
	time.Sleep(20 * time.Millisecond)
	if _, err := c.History(ctxT(t), b.Scripts, 0, nil); err != nil {
		t.Fatalf("History after the server dropped the connection: %v", err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	// Closing mid-request: one retry on a new connection, then the error.
	srv.SetFault(testserver.CloseMidRequest)
	_, err := c.Tip(ctxT(t))
	if err == nil {
		t.Fatal("no error")
	}
	if n := srv.Connections(); n != 3 {
		t.Errorf("%d connections after a failing call, want 3 (one retry)", n)
	}
	srv.SetFault(testserver.None)
	if _, err := c.Tip(ctxT(t)); err != nil {
		t.Fatalf("Tip once the server behaves: %v", err)
	}
}

func TestConcurrentCallersShareOneConnection(t *testing.T) {
	b, srv := start(t, 40, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			s := b.Scripts[g : g+10]
			got, err := c.History(ctxT(t), s, 0, nil)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range s {
				if len(got[i]) != len(srv.History(s[i])) {
					t.Errorf("goroutine %d script %d: %d entries", g, i, len(got[i]))
				}
			}
		}(g)
	}
	wg.Wait()
	if n := srv.Connections(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestNotifications(t *testing.T) {
	b, srv := start(t, 10, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr(), KeepAlive: 100 * time.Millisecond})
	ctx := ctxT(t)
	tip, err := c.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The first script has a payment waiting in the mempool.
	st, err := c.Subscribe(ctx, b.Scripts[:1])
	if err != nil || len(st) != 1 || st[0] == "" {
		t.Fatalf("Subscribe = %q, %v", st, err)
	}

	block := srv.Mine()
	wantHash := block.BlockHash()
	var sawTip, sawScript bool
	timeout := time.After(5 * time.Second)
	for !sawTip || !sawScript {
		select {
		case n := <-c.Notifications():
			switch {
			case n.Tip != nil:
				if n.Tip.Height != tip.Height+1 || n.Tip.Hash != wantHash {
					t.Errorf("tip notification %d %s, want %d %s", n.Tip.Height, n.Tip.Hash, tip.Height+1, wantHash)
				}
				sawTip = true
			case n.ScriptHash != "":
				if n.ScriptHash != electrum.ScriptHash(b.Scripts[0]) || n.Status == st[0] {
					t.Errorf("script notification %+v", n)
				}
				sawScript = true
			}
		case <-timeout:
			t.Fatalf("notifications: tip %v, script %v", sawTip, sawScript)
		}
	}

	// A dropped connection is restored by the keep-alive loop, with the
	// subscriptions, and reported.
	srv.DropConnections()
	timeout = time.After(5 * time.Second)
	for {
		select {
		case n := <-c.Notifications():
			if !n.Reconnected {
				continue
			}
		case <-timeout:
			t.Fatal("no reconnection notice")
		}
		break
	}
	srv.Mine()
	select {
	case n := <-c.Notifications():
		if n.Tip == nil && n.ScriptHash == "" {
			t.Errorf("after reconnecting: %+v", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after reconnecting: subscriptions not renewed")
	}
	c.Close()
	if _, ok := <-c.Notifications(); ok {
		for range c.Notifications() {
		}
	}
}

func TestKeepAlivePings(t *testing.T) {
	_, srv := start(t, 2, testserver.Options{})
	dial(t, electrum.Config{Server: srv.Addr(), KeepAlive: 40 * time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for srv.Calls("server.ping") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d pings", srv.Calls("server.ping"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClosedClient(t *testing.T) {
	_, srv := start(t, 2, testserver.Options{})
	c := dial(t, electrum.Config{Server: srv.Addr()})
	c.Close()
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := c.Tip(ctxT(t)); !errors.Is(err, electrum.ErrClosed) {
		t.Errorf("Tip on a closed client: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	_, srv := start(t, 2, testserver.Options{})
	addr := srv.Addr()
	srv.Close()
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: addr, KeepAlive: -1, Timeout: 2 * time.Second})
	var se *chain.ServerError
	if !errors.As(err, &se) {
		t.Errorf("Dial to a closed port: %v, want a ServerError", err)
	}
}

func TestParseServer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		addr string
		tls  bool
		bad  bool
	}{
		{in: "tcp://example.org:50001", addr: "example.org:50001"},
		{in: "ssl://example.org:50002", addr: "example.org:50002", tls: true},
		{in: "tls://example.org", addr: "example.org:50002", tls: true},
		{in: "tcp://example.org", addr: "example.org:50001"},
		{in: "example.org:50002:s", addr: "example.org:50002", tls: true},
		{in: "example.org:50001:t", addr: "example.org:50001"},
		{in: "127.0.0.1:50001", addr: "127.0.0.1:50001"},
		{in: "ssl://[::1]:50002", addr: "[::1]:50002", tls: true},
		{in: "tcp://abcdefghijklmnop.onion:50001", addr: "abcdefghijklmnop.onion:50001"},
		{in: "http://example.org", bad: true},
		{in: "example.org", bad: true},
		{in: "tcp://", bad: true},
	} {
		addr, useTLS, err := electrum.ParseServer(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("ParseServer(%q) = %q, want an error", tc.in, addr)
			}
			continue
		}
		if err != nil || addr != tc.addr || useTLS != tc.tls {
			t.Errorf("ParseServer(%q) = %q, %v, %v; want %q, %v", tc.in, addr, useTLS, err, tc.addr, tc.tls)
		}
	}
}
