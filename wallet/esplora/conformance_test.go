package esplora_test

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/esplora"
	"codeberg.org/hardfolio/hardfolio/wallet/esplora/internal/testserver"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/testchain"
)

// harness plugs the client and the test server into the conformance suite.
type harness struct {
	f    *chaintest.Fixture
	srv  *testserver.Server
	fees bool
}

func newHarness(t *testing.T, f *chaintest.Fixture, fees bool) *harness {
	t.Helper()
	c := &testchain.Chain{Fixture: f}
	if fees {
		c.FeeRates = map[int]float64{2: 30, 3: 22.5, 6: 9.75, 144: 1.01, 1008: 1}
	}
	srv, err := testserver.Start(c, f.Net)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &harness{f: f, srv: srv, fees: fees}
}

func (h *harness) Fixture() *chaintest.Fixture { return h.f }

func (h *harness) Source(t *testing.T) chain.Source {
	c, err := esplora.New(esplora.Config{BaseURL: h.srv.URL(), Params: h.f.Net, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("New: %v", err)
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

func (h *harness) BroadcastTx(t *testing.T) *wire.MsgTx { return unspentSpender(t, h.f) }

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

func TestConformance(t *testing.T) {
	chaintest.Run(t, newHarness(t, chaintest.BuildSynthetic(1), true))
}

func TestConformanceNoFees(t *testing.T) {
	chaintest.Run(t, newHarness(t, chaintest.BuildSynthetic(4), false))
}
