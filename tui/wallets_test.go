package tui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/labels"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

// The account of the BIP 84 test vector.
const (
	bip84Zpub   = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
	bip84Origin = "73c5da0a/84h/0h/0h"
)

// walletFixture is a portfolio with one wallet, the chain it syncs from
// and the files the Wallets screen reads.
type walletFixture struct {
	p   *portfolio.Portfolio
	cfg portfolio.WalletConfig
	w   *wallet.Wallet
	mem *chaintest.Memory
	dir string
	svc wallets.Service
	txs []*wire.MsgTx // funding, spend, mempool receipt

	sims []string // the simulated devices' addresses, when there are some
}

func newWalletFixture(tb testing.TB) *walletFixture {
	tb.Helper()
	origin, err := descriptor.ParseKeyOrigin(bip84Origin)
	if err != nil {
		tb.Fatal(err)
	}
	d, err := descriptor.FromXpub(bip84Zpub, descriptor.WPKH, &origin, descriptor.Mainnet)
	if err != nil {
		tb.Fatal(err)
	}
	return newFixtureOf(tb, portfolio.WalletConfig{
		ID: "cold", Name: "Cold storage", Descriptor: d.String(), Network: "mainnet",
		Backend: portfolio.Backend{Kind: "electrum", Server: "ssl://electrum.example.org:50002"},
	}, &chaincfg.MainNetParams)
}

// newFixtureOf is the fixture of wallet cfg on the network of params: the
// demo portfolio with the wallet added (its Ledger holding taking the
// wallet's balance), and a chain in which the wallet received, paid and
// has a receipt in the mempool.
func newFixtureOf(tb testing.TB, cfg portfolio.WalletConfig, params *chaincfg.Params) *walletFixture {
	tb.Helper()
	p := portfolio.Demo(tuitest.Clock)
	p.Wallets = append(p.Wallets, cfg)
	// The demo's Ledger holding takes its quantity from this wallet.
	p.Holdings[p.HoldingIndex("btc-ledger")].Wallet = cfg.ID
	fx := &walletFixture{p: p, cfg: cfg, dir: tb.TempDir()}
	w, err := service.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	w.GapLimit = cfg.Gap()
	fx.w = w
	fx.svc = wallets.Service{
		CachePath:  func(id string) (string, error) { return filepath.Join(fx.dir, id+".json"), nil },
		LabelsPath: func(id string) (string, error) { return filepath.Join(fx.dir, id+".jsonl"), nil },
	}

	script := func(change bool, i uint32) []byte {
		if m := w.Multisig; m != nil {
			x, err := m.Derive(change, i)
			if err != nil {
				tb.Fatal(err)
			}
			return x.PkScript
		}
		x, err := w.Descriptor.Derive(change, i)
		if err != nil {
			tb.Fatal(err)
		}
		return x.Script
	}
	foreign := []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	coinbase := func(h int32) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: 0xffffffff}, SignatureScript: []byte{4, byte(h), byte(h >> 8), 0, 0}, Sequence: 0xffffffff})
		tx.AddTxOut(wire.NewTxOut(50_0000_0000, foreign))
		return tx
	}
	spend := func(from wire.OutPoint, outs ...*wire.TxOut) *wire.MsgTx {
		tx := wire.NewMsgTx(2)
		in := wire.NewTxIn(&from, nil, [][]byte{make([]byte, 71), make([]byte, 33)})
		in.Sequence = wallet.SequenceRBF
		tx.AddTxIn(in)
		for _, o := range outs {
			tx.AddTxOut(o)
		}
		return tx
	}
	cb1, cb2 := coinbase(1), coinbase(2)
	fund := spend(wire.OutPoint{Hash: cb1.TxHash()},
		wire.NewTxOut(1_000_000, script(false, 0)), wire.NewTxOut(2_000_000, script(false, 1)), wire.NewTxOut(49_96_990_000, foreign))
	pay := spend(wire.OutPoint{Hash: fund.TxHash()},
		wire.NewTxOut(400_000, foreign), wire.NewTxOut(590_000, script(true, 0)))
	receipt := spend(wire.OutPoint{Hash: cb2.TxHash()},
		wire.NewTxOut(500_000, script(false, 2)), wire.NewTxOut(49_99_490_000, foreign))
	fx.txs = []*wire.MsgTx{fund, pay, receipt}

	blocks := []*wire.MsgBlock{params.GenesisBlock}
	for h := int32(1); h <= 12; h++ {
		txs := []*wire.MsgTx{coinbase(h)}
		switch h {
		case 1:
			txs[0] = cb1
		case 2:
			txs[0] = cb2
		case 3:
			txs = append(txs, fund)
		case 5:
			txs = append(txs, pay)
		}
		b := &wire.MsgBlock{Header: wire.BlockHeader{
			Version: 2, PrevBlock: blocks[h-1].BlockHash(), MerkleRoot: chaintest.MerkleRoot(txs),
			Timestamp: time.Unix(1700000000+int64(h)*600, 0), Bits: 0x207fffff,
		}, Transactions: txs}
		blocks = append(blocks, b)
	}
	fx.mem = chaintest.NewMemory(&chaintest.Fixture{
		Net: params, Blocks: blocks, Mempool: []*wire.MsgTx{receipt},
		Scripts: [][]byte{script(false, 0), script(false, 1), script(false, 2), script(true, 0)},
	})
	return fx
}

// sync syncs the wallet from the fixture's chain, saves the cache with a
// pinned modification time and writes labels.
func (fx *walletFixture) sync(tb testing.TB) {
	tb.Helper()
	st, err := fx.syncState(context.Background(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	path, _ := fx.svc.CachePath(fx.cfg.ID)
	if err := st.Save(path); err != nil {
		tb.Fatal(err)
	}
	when := tuitest.Clock.Add(-2 * time.Hour)
	if err := os.Chtimes(path, when, when); err != nil {
		tb.Fatal(err)
	}
	lpath, _ := fx.svc.LabelsPath(fx.cfg.ID)
	ls, err := labels.Open(lpath)
	if err != nil {
		tb.Fatal(err)
	}
	text := func(s string) *string { return &s }
	for _, l := range []labels.Label{
		{Type: labels.Tx, Ref: fx.txs[0].TxHash().String(), Label: text("Bonus from work")},
		{Type: labels.Tx, Ref: fx.txs[1].TxHash().String(), Label: text("Rent, November")},
		{Type: labels.Addr, Ref: mustAddr(tb, fx.w, 2), Label: text("Invoice 42")},
	} {
		if err := ls.Set(l); err != nil {
			tb.Fatal(err)
		}
	}
}

func (fx *walletFixture) syncState(ctx context.Context, progress func(wallet.Progress)) (*wallet.State, error) {
	src := fx.mem.Source()
	defer src.Close()
	return fx.w.Sync(ctx, src, nil, progress)
}

func mustAddr(tb testing.TB, w *wallet.Wallet, i uint32) string {
	tb.Helper()
	if m := w.Multisig; m != nil {
		d, err := m.Derive(false, i)
		if err != nil {
			tb.Fatal(err)
		}
		return d.Address
	}
	d, err := w.Descriptor.Derive(false, i)
	if err != nil {
		tb.Fatal(err)
	}
	return d.Address
}

// model opens the fixture's portfolio at the given size on the Wallets
// screen.
func (fx *walletFixture) model(tb testing.TB, w, h int) *tui.Model {
	tb.Helper()
	bk := book.OpenDemo(tuitest.Clock)
	if err := bk.Save(fx.p); err != nil {
		tb.Fatal(err)
	}
	m := tui.New(tui.Options{Book: bk, Now: tuitest.Now, Theme: "dark", Getenv: env, Wallets: &fx.svc})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	tuitest.Press(m, m.Context().Keys.Screen[2])
	return m
}

func walletsScreen(tb testing.TB, m *tui.Model) *wallets.Model {
	tb.Helper()
	s, ok := m.Screen(m.Active()).(*wallets.Model)
	if !ok {
		tb.Fatalf("screen %d is %q, not the Wallets screen", m.Active(), m.Screen(m.Active()).Title())
	}
	return s
}

func TestWallets(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		eachSize(t, func(m *tui.Model) {
			tuitest.Press(m, m.Context().Keys.Screen[2])
			if !strings.Contains(tuitest.Plain(m), "hardfolio wallet add") {
				t.Fatal("the empty state does not say how to add a wallet")
			}
		})
	})
	fx := newWalletFixture(t)
	fx.sync(t)
	for _, c := range []struct {
		name string
		bind func(km *keys.KeyMap) key.Binding
	}{
		{"Receive", func(km *keys.KeyMap) key.Binding { return km.ViewReceive }},
		{"Addresses", func(km *keys.KeyMap) key.Binding { return km.ViewAddresses }},
		{"UTXOs", func(km *keys.KeyMap) key.Binding { return km.ViewUTXOs }},
		{"History", func(km *keys.KeyMap) key.Binding { return km.ViewHistory }},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range sizes {
				t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
					m := fx.model(t, s.w, s.h)
					tuitest.Press(m, c.bind(m.Context().Keys))
					frame := tuitest.Plain(m)
					if c.name == "Receive" {
						if strings.Contains(frame, "Enlarge the terminal") || !strings.Contains(frame, "█") {
							t.Errorf("no QR code at %dx%d", s.w, s.h)
						}
						if want := mustAddr(t, fx.w, 3); !strings.Contains(frame, want) {
							t.Errorf("the next receive address %s is not shown", want)
						}
					}
					golden.RequireEqual(t, []byte(frame))
				})
			}
		})
	}
}

// TestWalletsKeys presses the screen's bindings by name: sub-views,
// scrolling, and a sync started, reported and cancelled.
func TestWalletsKeys(t *testing.T) {
	fx := newWalletFixture(t)
	fx.sync(t)
	release := make(chan struct{})
	fx.svc.Sync = func(ctx context.Context, cfg portfolio.WalletConfig, progress func(wallet.Progress)) (*wallet.State, error, error) {
		progress(wallet.Progress{Stage: "history", Done: 1, Total: 2})
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-release:
			st, err := fx.syncState(ctx, progress)
			return st, nil, err
		}
	}
	m := fx.model(t, 80, 24)
	km := m.Context().Keys
	s := walletsScreen(t, m)
	if s.Selected() != "cold" || s.SubView() != wallets.Receive {
		t.Fatalf("selected %q, view %v", s.Selected(), s.SubView())
	}
	for _, c := range []struct {
		b    key.Binding
		want wallets.View
	}{{km.ViewAddresses, wallets.Addresses}, {km.ViewUTXOs, wallets.UTXOs}, {km.ViewHistory, wallets.History}, {km.ViewReceive, wallets.Receive}} {
		tuitest.Press(m, c.b)
		if s.SubView() != c.want {
			t.Fatalf("pressing %s shows %v", c.b.Help().Key, s.SubView())
		}
	}

	// Scrolling the addresses.
	tuitest.Press(m, km.ViewAddresses)
	tuitest.Press(m, km.Down)
	tuitest.Press(m, km.Down)
	if s.Offset() != 2 || !strings.Contains(tuitest.Plain(m), "rows 3–") {
		t.Fatalf("offset %d after two downs:\n%s", s.Offset(), tuitest.Plain(m))
	}
	tuitest.Press(m, km.Bottom)
	if !strings.Contains(tuitest.Plain(m), "of 44") || !strings.Contains(tuitest.Plain(m), "0eujlf8x3jla2v4zwm") {
		t.Fatalf("the bottom does not show the last change address:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Top)
	if s.Offset() != 0 {
		t.Fatalf("offset %d at the top", s.Offset())
	}

	// A sync, cancelled: its late reply is dropped.
	_, cmd := m.Update(keys.Press(km.SyncWallet))
	if !s.Syncing() || cmd == nil {
		t.Fatal("the sync key started no sync")
	}
	msgs := tuitest.Run(cmd)
	if len(msgs) != 1 {
		t.Fatalf("sync start gave %v", msgs)
	}
	_, listen := m.Update(msgs[0])
	if !strings.Contains(tuitest.Plain(m), "Syncing cold: history 1/2") {
		t.Fatalf("no progress shown:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Cancel)
	if s.Syncing() || m.Status() != "Sync of cold cancelled" {
		t.Fatalf("syncing %v, status %q", s.Syncing(), m.Status())
	}
	for _, msg := range tuitest.Run(listen) {
		m.Update(msg)
	}
	if m.Status() != "Sync of cold cancelled" {
		t.Fatalf("a cancelled sync's reply changed the status to %q", m.Status())
	}

	// A sync that finishes.
	close(release)
	tuitest.Press(m, km.SyncWallet)
	if s.Syncing() || !strings.HasPrefix(m.Status(), "Synced cold to block 12") {
		t.Fatalf("syncing %v, status %q", s.Syncing(), m.Status())
	}
	// The linked holding now holds the synced balance, saved through the
	// root like any edit, so the dashboard shows it.
	st, err := fx.syncState(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Portfolio().Holdings[m.Portfolio().HoldingIndex("btc-ledger")]
	if want := st.Balance().Total(); h.Sats != want {
		t.Fatalf("linked holding has %d sats after the sync, want the wallet's %d", h.Sats, want)
	}
}

// TestWalletsSyncFromCommandLine: without a sync service the key says how
// to sync.
func TestWalletsSyncFromCommandLine(t *testing.T) {
	fx := newWalletFixture(t)
	m := fx.model(t, 80, 24)
	tuitest.Press(m, m.Context().Keys.SyncWallet)
	if want := "Sync from the command line: hardfolio wallet sync cold"; m.Status() != want {
		t.Fatalf("status %q, want %q", m.Status(), want)
	}
	if !strings.Contains(tuitest.Plain(m), "not synced yet") {
		t.Fatalf("no cache, yet:\n%s", tuitest.Plain(m))
	}
}

func BenchmarkWallets(b *testing.B) {
	fx := newWalletFixture(b)
	fx.sync(b)
	m := fx.model(b, 120, 40)
	km := m.Context().Keys
	b.Run("keypress", func(b *testing.B) {
		msgs := []tea.Msg{keys.Press(km.ViewAddresses), keys.Press(km.Down), keys.Press(km.Down), keys.Press(km.ViewUTXOs),
			keys.Press(km.ViewHistory), keys.Press(km.ViewReceive), keys.Press(km.Up)}
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			m.Update(msgs[n%len(msgs)])
			_ = m.View()
		}
	})
	b.Run("view", func(b *testing.B) {
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			_ = m.View()
		}
	})
}
