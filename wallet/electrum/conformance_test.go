package electrum_test

import (
	"context"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum/internal/testserver"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

// harness plugs the client and the test server into the conformance suite.
type harness struct {
	f    *chaintest.Fixture
	srv  *testserver.Server
	fees bool
}

func newHarness(t *testing.T, f *chaintest.Fixture, opts testserver.Options, fees bool) *harness {
	t.Helper()
	c := &testchain.Chain{Fixture: f}
	if fees {
		c.FeeRates = map[int]float64{1: 30, 2: 22.5, 6: 9.75, 144: 1.01}
	}
	srv, err := testserver.Start(c, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &harness{f: f, srv: srv, fees: fees}
}

func (h *harness) Fixture() *chaintest.Fixture { return h.f }

func (h *harness) Source(t *testing.T) chain.Source {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := electrum.Dial(ctx, electrum.Config{
		Server:    h.srv.Addr(),
		Params:    h.f.Net,
		KeepAlive: -1,
		Timeout:   20 * time.Second,
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (h *harness) HasFeeEstimates() bool { return h.fees }

func (h *harness) Lie(kind chaintest.LieKind) bool {
	switch kind {
	case chaintest.Honest:
		h.srv.SetFault(testserver.None)
	case chaintest.LieTxBytes:
		h.srv.SetFault(testserver.BadTx)
	case chaintest.LieHistory:
		h.srv.SetFault(testserver.ForeignHistory)
	case chaintest.LieMalformed:
		h.srv.SetFault(testserver.Malformed)
	case chaintest.LieHang:
		h.srv.SetFault(testserver.Hang)
	case chaintest.LieClose:
		h.srv.SetFault(testserver.CloseMidRequest)
	default:
		return false
	}
	return true
}

// BroadcastTx spends an output of the fixture that nothing spends yet.
// The test server checks inputs and amounts, not scripts.
func (h *harness) BroadcastTx(t *testing.T) *wire.MsgTx {
	return unspentSpender(t, h.f)
}

// unspentSpender returns a transaction spending the last unspent,
// spendable output of f.
func unspentSpender(t *testing.T, f *chaintest.Fixture) *wire.MsgTx {
	t.Helper()
	tx := testchain.UnspentSpender(f)
	if tx == nil {
		t.Fatal("fixture has no unspent output")
	}
	return tx
}

func TestConformanceTCP(t *testing.T) {
	chaintest.Run(t, newHarness(t, chaintest.BuildSynthetic(1), testserver.Options{}, true))
}

func TestConformanceTLS(t *testing.T) {
	chaintest.Run(t, newHarness(t, chaintest.BuildSynthetic(2), testserver.Options{TLS: true}, false))
}

// The 1.5 form of get_history (a dictionary) is understood too.
func TestConformanceProtocol15History(t *testing.T) {
	chaintest.Run(t, newHarness(t, chaintest.BuildSynthetic(3), testserver.Options{Protocol15: true}, true))
}
