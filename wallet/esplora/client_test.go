package esplora_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/esplora"
	"codeberg.org/hardfolio/hardfolio/wallet/esplora/internal/testserver"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/socks5test"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startBuilt(t testing.TB, b *testchain.Chain) *testserver.Server {
	t.Helper()
	srv, err := testserver.Start(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func start(t testing.TB, n int) (*testchain.Chain, *testserver.Server) {
	b := testchain.Build(7, n, 25)
	return b, startBuilt(t, b)
}

func newClient(t testing.TB, cfg esplora.Config) *esplora.Client {
	t.Helper()
	c, err := esplora.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// checkAgainstServer compares histories with the server's own index,
// ignoring order (the API lists newest first).
func checkAgainstServer(t *testing.T, srv *testserver.Server, scripts [][]byte, got [][]chain.TxRef) {
	t.Helper()
	for i, s := range scripts {
		want := srv.History(s)
		if len(got[i]) != len(want) {
			t.Fatalf("script %d: %d entries, want %d", i, len(got[i]), len(want))
		}
		w := make(map[chainhash.Hash]int32)
		for _, e := range want {
			w[e.TxID] = max(e.Height, 0)
		}
		for _, g := range got[i] {
			h, ok := w[g.TxID]
			if !ok || h != g.Height {
				t.Fatalf("script %d: %s at %d, want %d (listed %v)", i, g.TxID, g.Height, h, ok)
			}
			if g.Confirmed() == (g.Block == chainhash.Hash{}) {
				t.Fatalf("script %d: %s at %d with block %s", i, g.TxID, g.Height, g.Block)
			}
		}
	}
}

// Histories longer than a page are read page by page, and since stops
// the paging early.
func TestPagination(t *testing.T) {
	b := testchain.Build(11, 5, 10)
	b.PayMany(b.Scripts[2], 60, 7)
	srv := startBuilt(t, b)
	c := newClient(t, esplora.Config{BaseURL: srv.URL()})

	got, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstServer(t, srv, b.Scripts, got)
	if n := len(got[2]); n < 61 {
		t.Fatalf("busy script: %d entries, want at least 61", n)
	}
	// 61+ confirmed: /txs (25) then /txs/chain/:last twice (25, 11+).
	if n := srv.Requests("chain"); n != 2 {
		t.Errorf("%d /txs/chain pages, want 2", n)
	}

	srv.ResetCounts()
	tip, _ := srv.Tip()
	got, err = c.History(ctxT(t), b.Scripts[2:3], tip-2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests("chain"); n != 0 {
		t.Errorf("with since near the tip: %d /txs/chain pages, want 0", n)
	}
	for _, r := range got[0] {
		if r.Confirmed() && r.Height < tip-2 {
			t.Errorf("%s at %d, before since %d", r.TxID, r.Height, tip-2)
		}
	}
}

// A wallet of 1,000 scripts: at most 8 requests in flight; a second sync
// asks only for the histories.
func TestConcurrencyAndRequests1000Scripts(t *testing.T) {
	b, srv := start(t, 1000)
	c := newClient(t, esplora.Config{BaseURL: srv.URL(), Params: &chaincfg.RegressionNetParams})
	got, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstServer(t, srv, b.Scripts, got)
	t.Logf("1000 scripts, first sync: %d requests (%d history pages, %d transactions, %d merkle proofs, %d headers), at most %d at once",
		srv.Requests(""), srv.Requests("txs")+srv.Requests("chain"), srv.Requests("hex"), srv.Requests("merkle-proof"), srv.Requests("header"), srv.MaxInFlight())
	if m := srv.MaxInFlight(); m > esplora.DefaultConcurrency || m < 2 {
		t.Errorf("%d requests at once, want 2..%d", m, esplora.DefaultConcurrency)
	}

	srv.ResetCounts()
	if _, err := c.History(ctxT(t), b.Scripts, 0, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("second sync: %d requests", srv.Requests(""))
	if n := srv.Requests(""); n != 1000 {
		t.Errorf("second sync: %d requests, want 1000 (histories only)", n)
	}
}

func TestConcurrencyOption(t *testing.T) {
	b, srv := start(t, 100)
	c := newClient(t, esplora.Config{BaseURL: srv.URL(), Concurrency: 3})
	if _, err := c.History(ctxT(t), b.Scripts, 0, nil); err != nil {
		t.Fatal(err)
	}
	if m := srv.MaxInFlight(); m > 3 {
		t.Errorf("%d requests at once, want at most 3", m)
	}
}

func TestTipFeeBroadcast(t *testing.T) {
	b, srv := start(t, 10)
	c := newClient(t, esplora.Config{BaseURL: srv.URL() + "/", Params: &chaincfg.RegressionNetParams})
	ctx := ctxT(t)
	tip, err := c.Tip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h, hash := srv.Tip(); tip.Height != h || tip.Hash != hash {
		t.Errorf("Tip = %d %s, want %d %s", tip.Height, tip.Hash, h, hash)
	}

	for target, want := range map[int]float64{1: 25.5, 2: 20, 5: 20, 6: 8.25, 100: 8.25, 144: 1.5, 1000: 1.5} {
		rate, err := c.FeeRate(ctx, target)
		if err != nil || math.Abs(rate-want) > 1e-9 {
			t.Errorf("FeeRate(%d) = %v, %v; want %v", target, rate, err, want)
		}
	}

	first := srv.History(b.Scripts[0])[0]
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: first.TxID, Index: 0}, Witness: wire.TxWitness{{1}}})
	tx.AddTxOut(wire.NewTxOut(5000, testchain.MinerScript))
	id, err := c.Broadcast(ctx, tx)
	if err != nil || id != tx.TxHash() {
		t.Fatalf("Broadcast = %s, %v", id, err)
	}
	tx2 := tx.Copy()
	tx2.TxOut[0].Value = 4000
	_, err = c.Broadcast(ctx, tx2)
	if !errors.Is(err, chain.ErrRejected) || !strings.Contains(err.Error(), "txn-mempool-conflict") {
		t.Errorf("double spend: %v, want chain.ErrRejected with the node's reason", err)
	}

	// The broadcast transaction is now in the script's history.
	got, err := c.History(ctx, b.Scripts[:1], 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range got[0] {
		found = found || r.TxID == id
	}
	if !found {
		t.Error("broadcast transaction not in the history")
	}
}

func TestUnknownTransaction(t *testing.T) {
	_, srv := start(t, 2)
	c := newClient(t, esplora.Config{BaseURL: srv.URL()})
	_, err := c.Transactions(ctxT(t), []chainhash.Hash{{1, 2, 3}})
	if !errors.Is(err, esplora.ErrNotFound) {
		t.Errorf("unknown transaction: %v, want ErrNotFound", err)
	}
	var se *chain.ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Op, "/tx/") || !strings.Contains(err.Error(), "Transaction not found") {
		t.Errorf("unknown transaction: %v, want the path and the server's words", err)
	}
}

func TestNoFeeEstimate(t *testing.T) {
	b := testchain.Build(1, 3, 5)
	b.FeeRates = nil
	srv := startBuilt(t, b)
	c := newClient(t, esplora.Config{BaseURL: srv.URL()})
	if _, err := c.FeeRate(ctxT(t), 2); !errors.Is(err, chain.ErrNoFeeEstimate) {
		t.Errorf("FeeRate without estimates: %v, want chain.ErrNoFeeEstimate", err)
	}
}

func TestWrongNetwork(t *testing.T) {
	b, srv := start(t, 2)
	c := newClient(t, esplora.Config{BaseURL: srv.URL(), Params: &chaincfg.MainNetParams})
	_, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "another network") {
		t.Errorf("regtest server for a mainnet wallet: %v", err)
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "http://user:pw@host", "127.0.0.1:3000"} {
		if _, err := esplora.New(esplora.Config{BaseURL: u}); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	_, err := esplora.New(esplora.Config{BaseURL: "http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion/api"})
	if !errors.Is(err, esplora.ErrOnionNeedsProxy) {
		t.Errorf("onion without proxy: %v", err)
	}
}

func TestThroughSOCKS5(t *testing.T) {
	b, srv := start(t, 5)
	px := socks5test.Start(t, srv.HostPort())
	const onion = "hardfoliotestxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
	c := newClient(t, esplora.Config{
		BaseURL: "http://" + onion,
		Proxy:   &esplora.Proxy{Addr: px.Addr, User: "wallet-1", Password: "x"},
	})
	got, err := c.History(ctxT(t), b.Scripts, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAgainstServer(t, srv, b.Scripts, got)
	if targets, user := px.Targets(), px.User(); len(targets) == 0 || targets[0] != onion+":80" || user != "wallet-1" {
		t.Errorf("proxy saw %v as %q, want %s:80 as wallet-1", targets, user, onion)
	}
}

// Each way of lying is caught, with an error naming the server, the
// request and the kind of fault; none hangs.
func TestFaults(t *testing.T) {
	b, srv := start(t, 30)
	var ids []chainhash.Hash
	for _, e := range srv.History(b.Scripts[0]) {
		ids = append(ids, e.TxID)
	}
	cases := []struct {
		fault testserver.Fault
		paths []string
		call  string
		want  error
		text  string
	}{
		{testserver.BadTx, nil, "Transactions", chain.ErrLie, "hashes to"},
		{testserver.BadTx, nil, "History", chain.ErrLie, "hashes to"},
		{testserver.ForeignHistory, nil, "History", chain.ErrLie, "neither pays to it nor spends from it"},
		{testserver.BadMerkle, nil, "History", chain.ErrLie, "merkle proof"},
		{testserver.WrongProofHeight, nil, "History", chain.ErrLie, "is for height"},
		{testserver.BadHeader, nil, "History", chain.ErrLie, "hashes to"},
		{testserver.BadHeader, nil, "Tip", chain.ErrLie, "hashes to"},
		{testserver.WrongBlock, nil, "History", chain.ErrLie, ""},
		{testserver.Malformed, nil, "History", chain.ErrMalformed, "GET /scripthash/"},
		{testserver.Malformed, nil, "Tip", chain.ErrMalformed, "/blocks/tip/hash"},
		{testserver.Malformed, []string{"merkle-proof"}, "History", chain.ErrMalformed, "/merkle-proof"},
		{testserver.Malformed, []string{"/hex"}, "Transactions", chain.ErrMalformed, "/hex"},
		{testserver.ServerFault, nil, "History", nil, "HTTP 503: upstream bitcoind unavailable"},
		{testserver.CloseMidRequest, nil, "History", nil, "EOF"},
		{testserver.Hang, nil, "History", context.DeadlineExceeded, "no reply in time"},
		{testserver.Hang, nil, "Transactions", context.DeadlineExceeded, "no reply in time"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d-%s-%v", tc.fault, tc.call, tc.paths), func(t *testing.T) {
			c := newClient(t, esplora.Config{BaseURL: srv.URL(), Timeout: 2 * time.Second})
			srv.SetFault(tc.fault, tc.paths...)
			defer srv.SetFault(testserver.None)
			testchain.CheckFault(t, c, tc.call, b.Scripts, ids, tc.want, tc.text, srv.HostPort())
		})
	}
}
