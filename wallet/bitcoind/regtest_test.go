package bitcoind_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/bitcoind"
	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/regtest"
)

// chainSetup is one populated regtest node shared by the tests of this
// package.
type chainSetup struct {
	node *regtest.Node
	w    *regtest.Wallet
	act  *regtest.Activity

	mu        sync.Mutex
	nextSpare int32 // height of the next unspent mature coinbase
}

var (
	setupOnce sync.Once
	setup     *chainSetup
	setupErr  = "setting up the regtest chain failed (see the first test's log)"
)

// sharedChain starts the node and populates it on first use. The node
// lives until the test binary exits (the first test's cleanup would stop
// it too early), so it is stopped in TestMain.
func sharedChain(t *testing.T) *chainSetup {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a btcd node")
	}
	setupOnce.Do(func() {
		start := time.Now()
		tb := t
		regtest.Binary(tb)
		t.Logf("btcd binary: %v", regtest.BuildTime())
		w := regtest.NewWallet(tb)
		n := regtest.StartDetached(tb, w.MinerAddress())
		stopNode = n.Stop
		act := regtest.Populate(tb, n, w)
		setup = &chainSetup{node: n, w: w, act: act, nextSpare: 10}
		t.Logf("node up and populated in %v", time.Since(start))
	})
	if setup == nil {
		t.Fatal(setupErr)
	}
	return setup
}

var stopNode = func() {}

func TestMain(m *testing.M) {
	code := m.Run()
	stopNode()
	os.Exit(code)
}

// fixture reads the node's chain and mempool.
func (c *chainSetup) fixture(t *testing.T) *chaintest.Fixture {
	return &chaintest.Fixture{
		Net:     c.node.Params,
		Blocks:  c.node.Blocks(t),
		Mempool: c.node.Mempool(t),
		Scripts: c.act.Scripts,
	}
}

// harness runs the suite through a proxy in front of the node, as btcd
// or, with core set, as an emulated Bitcoin Core.
type harness struct {
	c     *chainSetup
	f     *chaintest.Fixture
	proxy *proxy
}

func newHarness(t *testing.T, core bool) *harness {
	c := sharedChain(t)
	h := &harness{c: c, f: c.fixture(t), proxy: newProxy(t, c.node.URL())}
	if core {
		h.proxy.setRewrite(coreEmulation(c.node))
	}
	return h
}

func (h *harness) Fixture() *chaintest.Fixture { return h.f }

func (h *harness) Source(t *testing.T) chain.Source {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := bitcoind.Dial(ctx, bitcoind.Config{
		URL: h.proxy.URL(), User: h.c.node.User, Password: h.c.node.Pass, Net: &chaincfg.RegressionNetParams,
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func (h *harness) Lie(k chaintest.LieKind) bool { h.proxy.setLie(k); return true }

// coreHarness is the harness of the emulated Bitcoin Core, which has no
// fee estimates (btcd's estimator, fed by the blocks Populate mined,
// sometimes has one).
type coreHarness struct{ *harness }

func (h coreHarness) HasFeeEstimates() bool { return false }

// BroadcastTx spends a mature coinbase nothing spends yet to the miner.
func (h *harness) BroadcastTx(t *testing.T) *wire.MsgTx {
	h.c.mu.Lock()
	height := h.c.nextSpare
	h.c.nextSpare++
	h.c.mu.Unlock()
	coin := regtest.CoinOf(h.c.node.Block(t, height).Transactions[0], 0)
	return h.c.w.Spend(t, []regtest.Coin{coin}, []*wire.TxOut{wire.NewTxOut(coin.Value-10_000, h.c.w.MinerScript())})
}

func TestConformanceBtcd(t *testing.T) {
	h := newHarness(t, false)
	start := time.Now()
	chaintest.Run(t, h)
	t.Logf("suite against btcd: %v", time.Since(start))
}

func TestConformanceCoreEmulated(t *testing.T) {
	h := newHarness(t, true)
	start := time.Now()
	chaintest.Run(t, coreHarness{h})
	t.Logf("suite against emulated Bitcoin Core: %v", time.Since(start))
}

func TestDialKinds(t *testing.T) {
	for _, core := range []bool{false, true} {
		h := newHarness(t, core)
		s := h.Source(t).(*bitcoind.Source)
		want := bitcoind.Btcd
		if core {
			want = bitcoind.Core
		}
		if s.Kind() != want {
			t.Errorf("Kind = %v, want %v", s.Kind(), want)
		}
	}
}

func TestDialChecks(t *testing.T) {
	c := sharedChain(t)
	ctx := context.Background()
	_, err := bitcoind.Dial(ctx, bitcoind.Config{URL: c.node.URL(), User: c.node.User, Password: c.node.Pass, Net: &chaincfg.MainNetParams})
	if err == nil || !strings.Contains(err.Error(), "not on mainnet") {
		t.Errorf("Dial of a regtest node for mainnet: %v", err)
	}
	_, err = bitcoind.Dial(ctx, bitcoind.Config{URL: c.node.URL(), User: c.node.User, Password: "wrong"})
	if err == nil || !strings.Contains(err.Error(), "authentication failed") {
		t.Errorf("Dial with a wrong password: %v", err)
	}
	var se *chain.ServerError
	if !errors.As(err, &se) || !strings.Contains(se.Server, "127.0.0.1") {
		t.Errorf("error %v does not name the server", err)
	}
	cookie := filepath.Join(t.TempDir(), ".cookie")
	os.WriteFile(cookie, []byte(c.node.User+":"+c.node.Pass+"\n"), 0o600)
	s, err := bitcoind.Dial(ctx, bitcoind.Config{URL: c.node.RPCAddr, CookieFile: cookie})
	if err != nil {
		t.Fatalf("Dial with a cookie file and a bare host:port: %v", err)
	}
	defer s.Close()
	if _, err := s.Tip(ctx); err != nil {
		t.Errorf("Tip: %v", err)
	}
}

// TestNoFilters: a node without filters gives an error that says so.
func TestNoFilters(t *testing.T) {
	c := sharedChain(t)
	p := newProxy(t, c.node.URL())
	core := coreEmulation(c.node)
	p.setRewrite(func(method string, params []json.RawMessage) (json.RawMessage, *rpcErr) {
		if method == "getblockfilter" {
			return nil, &rpcErr{Code: -1, Message: "Index is not enabled for filtertype basic"}
		}
		return core(method, params)
	})
	s, err := bitcoind.Dial(context.Background(), bitcoind.Config{URL: p.URL(), User: c.node.User, Password: c.node.Pass})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.History(context.Background(), c.act.Scripts, 0, nil)
	if err == nil || !strings.Contains(err.Error(), "-blockfilterindex=1") {
		t.Errorf("History without filters: %v", err)
	}
}

// coreEmulation makes btcd look like Bitcoin Core to the source: no
// "version" method, getnetworkinfo, getblockfilter built from btcd's
// getcfilter and getcfilterheader, getblock at verbosity 3 with
// prevouts, and estimatesmartfee without data. btcd's own filter
// methods are hidden.
func coreEmulation(n *regtest.Node) rewriter {
	var filters sync.Map // block hash -> getblockfilter result; blocks do not change
	notFound := &rpcErr{Code: -32601, Message: "Method not found"}
	fail := func(err error) (json.RawMessage, *rpcErr) { return nil, &rpcErr{Code: -1, Message: err.Error()} }
	return func(method string, params []json.RawMessage) (json.RawMessage, *rpcErr) {
		str := func(i int) string {
			var s string
			if i < len(params) {
				json.Unmarshal(params[i], &s)
			}
			return s
		}
		switch method {
		case "version", "getcfilter", "getcfilterheader", "estimatefee":
			return nil, notFound
		case "getnetworkinfo":
			return json.RawMessage(`{"version": 270000, "subversion": "/Satoshi:27.0.0/"}`), nil
		case "estimatesmartfee":
			return json.RawMessage(`{"errors": ["Insufficient data or no feerate found"], "blocks": 0}`), nil
		case "getblockfilter":
			if out, ok := filters.Load(str(0)); ok {
				return out.(json.RawMessage), nil
			}
			f, err := n.Call("getcfilter", str(0), 0)
			if err != nil {
				return fail(err)
			}
			h, err := n.Call("getcfilterheader", str(0), 0)
			if err != nil {
				return fail(err)
			}
			out, _ := json.Marshal(map[string]json.RawMessage{"filter": f, "header": h})
			filters.Store(str(0), json.RawMessage(out))
			return out, nil
		case "getblock":
			if len(params) < 2 || string(params[1]) != "3" {
				return nil, nil
			}
			out, err := verbosity3(n, str(0))
			if err != nil {
				return fail(err)
			}
			return out, nil
		}
		return nil, nil
	}
}

// verbosity3 builds the parts of Bitcoin Core's getblock verbosity 3
// reply that the source reads: each input's previous output script.
func verbosity3(n *regtest.Node, hash string) (json.RawMessage, error) {
	raw, err := n.Call("getblock", hash, 0)
	if err != nil {
		return nil, err
	}
	var s string
	json.Unmarshal(raw, &s)
	b, _ := hex.DecodeString(s)
	var blk wire.MsgBlock
	if err := blk.Deserialize(bytes.NewReader(b)); err != nil {
		return nil, err
	}
	type prevout struct {
		ScriptPubKey struct {
			Hex string `json:"hex"`
		} `json:"scriptPubKey"`
	}
	type vin struct {
		Coinbase string   `json:"coinbase,omitempty"`
		Txid     string   `json:"txid,omitempty"`
		Vout     uint32   `json:"vout"`
		Prevout  *prevout `json:"prevout,omitempty"`
	}
	type tx struct {
		Txid string `json:"txid"`
		Vin  []vin  `json:"vin"`
	}
	var out struct {
		Hash string `json:"hash"`
		Tx   []tx   `json:"tx"`
	}
	out.Hash = hash
	for i, t := range blk.Transactions {
		x := tx{Txid: t.TxHash().String()}
		for _, in := range t.TxIn {
			if i == 0 {
				x.Vin = append(x.Vin, vin{Coinbase: hex.EncodeToString(in.SignatureScript)})
				continue
			}
			res, err := n.Call("getrawtransaction", in.PreviousOutPoint.Hash.String(), 0)
			if err != nil {
				return nil, err
			}
			var ps string
			json.Unmarshal(res, &ps)
			pb, _ := hex.DecodeString(ps)
			var prev wire.MsgTx
			if err := prev.Deserialize(bytes.NewReader(pb)); err != nil {
				return nil, err
			}
			po := &prevout{}
			po.ScriptPubKey.Hex = hex.EncodeToString(prev.TxOut[in.PreviousOutPoint.Index].PkScript)
			x.Vin = append(x.Vin, vin{Txid: in.PreviousOutPoint.Hash.String(), Vout: in.PreviousOutPoint.Index, Prevout: po})
		}
		out.Tx = append(out.Tx, x)
	}
	return json.Marshal(out)
}

// TestHistoryCalls checks which RPCs a scan makes: from genesis it needs
// no look-up of older outputs; from the tip it asks what the matching
// block spends (getrawtransaction on btcd, getblock verbosity 3 on
// Bitcoin Core) and, from past the tip, what the mempool spends
// (gettxout), once per mempool transaction; the mempool's transactions
// are fetched once per source.
func TestHistoryCalls(t *testing.T) {
	for _, core := range []bool{false, true} {
		h := newHarness(t, core)
		src := h.Source(t)
		f := h.Fixture()
		tip := f.Tip().Height
		ctx := context.Background()
		h.proxy.count()
		check := func(since int32, want map[string]int, absent ...string) {
			t.Helper()
			got, err := src.History(ctx, f.Scripts, since, nil)
			if err != nil {
				t.Fatalf("core=%v since=%d: %v", core, since, err)
			}
			if d := chaintest.DiffHistory(f.Scripts, f.History(f.Scripts, since), got); d != "" {
				t.Fatalf("core=%v since=%d:\n%s", core, since, d)
			}
			calls := h.proxy.count()
			for m, n := range want {
				if calls[m] != n {
					t.Errorf("core=%v since=%d: %d calls of %s, want %d (all: %v)", core, since, calls[m], m, n, calls)
				}
			}
			for _, m := range absent {
				if calls[m] != 0 {
					t.Errorf("core=%v since=%d: %d calls of %s, want none", core, since, calls[m], m)
				}
			}
		}
		mempool := len(f.Mempool)
		check(0, map[string]int{"getrawtransaction": mempool}, "gettxout", "getblock/3")
		check(0, map[string]int{"getrawtransaction": 0}, "gettxout", "getblock/3")
		if core {
			check(tip, map[string]int{"getblock/3": 1, "getrawtransaction": 0})
		} else {
			// One per transaction the tip block spends from.
			prev := make(map[chainhash.Hash]bool)
			for _, tx := range f.Blocks[tip].Transactions[1:] {
				for _, in := range tx.TxIn {
					prev[in.PreviousOutPoint.Hash] = true
				}
			}
			check(tip, map[string]int{"getrawtransaction": len(prev)}, "getblock/3")
		}
		inputs := 0
		for _, tx := range f.Mempool {
			for _, in := range tx.TxIn {
				if f.Tx(in.PreviousOutPoint.Hash) != nil && !inMempool(f, in.PreviousOutPoint.Hash) {
					inputs++
				}
			}
		}
		check(tip+1, map[string]int{"gettxout": 0}) // looked up above already
		src2 := h.Source(t)
		if _, err := src2.History(ctx, f.Scripts, tip+1, nil); err != nil {
			t.Fatal(err)
		}
		if c := h.proxy.count(); c["gettxout"] != inputs {
			t.Errorf("core=%v: fresh source from past the tip: %d gettxout, want %d", core, c["gettxout"], inputs)
		}
	}
}

func inMempool(f *chaintest.Fixture, id chainhash.Hash) bool {
	for _, tx := range f.Mempool {
		if tx.TxHash() == id {
			return true
		}
	}
	return false
}
