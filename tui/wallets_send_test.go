package tui_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
	"codeberg.org/hardfolio/hardfolio/wallet"
	"codeberg.org/hardfolio/hardfolio/wallet/labels"
)

// payee is an address outside the fixture's wallet, on mainnet, and the
// same key hash on testnet.
func payee(tb testing.TB, params *chaincfg.Params) string {
	tb.Helper()
	a, err := btcutil.NewAddressWitnessPubKeyHash([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, params)
	if err != nil {
		tb.Fatal(err)
	}
	return a.EncodeAddress()
}

// sendFixture is the wallet fixture, synced, with its change coin frozen
// and a backend that estimates 5 sat/vB.
func sendFixture(tb testing.TB) *walletFixture {
	tb.Helper()
	fx := newWalletFixture(tb)
	fx.sync(tb)
	lpath, _ := fx.svc.LabelsPath(fx.cfg.ID)
	ls, err := labels.Open(lpath)
	if err != nil {
		tb.Fatal(err)
	}
	no := false
	frozen := fmt.Sprintf("%s:1", fx.txs[1].TxHash())
	if err := ls.Set(labels.Label{Type: labels.Output, Ref: frozen, Spendable: &no}); err != nil {
		tb.Fatal(err)
	}
	fx.svc.FeeRate = func(ctx context.Context, cfg portfolio.WalletConfig, target int) (float64, error) { return 5, nil }
	return fx
}

// fileModel opens the fixture's portfolio from a file (not the demo), so
// the send form writes PSBT files.
func (fx *walletFixture) fileModel(tb testing.TB, w, h int) *tui.Model {
	tb.Helper()
	bk, err := book.Open(tb.TempDir(), book.Options{Unit: "EUR"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { bk.Close() })
	if err := bk.Save(fx.p); err != nil {
		tb.Fatal(err)
	}
	m := tui.New(tui.Options{Book: bk, Now: tuitest.Now, Theme: "dark", Getenv: env, Wallets: &fx.svc})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	tuitest.Press(m, m.Context().Keys.Screen[2])
	return m
}

// fillSend opens the send form and pays amount to each address, one
// recipient row each.
func fillSend(m *tui.Model, amount string, addrs ...string) {
	km := m.Context().Keys
	tuitest.Press(m, km.Send)
	for i, a := range addrs {
		if i > 0 {
			tuitest.Press(m, km.AddRecipient)
		}
		tuitest.Type(m, a)
		tuitest.Press(m, km.NextField)
		tuitest.Type(m, amount)
	}
}

// clearAndType empties the focused text field and types s.
func clearAndType(m *tui.Model, s string) {
	tuitest.Send(m, keys.KeyMsg("ctrl+e"))
	tuitest.Send(m, keys.KeyMsg("ctrl+u"))
	tuitest.Type(m, s)
}

func TestWalletsSend(t *testing.T) {
	fx := sendFixture(t)
	good := payee(t, &chaincfg.MainNetParams)
	testnet := payee(t, &chaincfg.TestNet3Params)
	for _, c := range []struct {
		name string
		do   func(t *testing.T, m *tui.Model)
	}{
		{"Empty", func(t *testing.T, m *tui.Model) {
			tuitest.Press(m, m.Context().Keys.Send)
		}},
		{"Filled", func(t *testing.T, m *tui.Model) {
			km := m.Context().Keys
			fillSend(m, "0.01", good)
			// Pick the first coin by hand: amount, unit, fee, then the coins.
			for range 3 {
				tuitest.Press(m, km.NextField)
			}
			tuitest.Press(m, km.ToggleCoin)
		}},
		{"RecipientError", func(t *testing.T, m *tui.Model) {
			fillSend(m, "0.001", good, testnet)
			tuitest.Press(m, m.Context().Keys.Submit)
			errs := walletsScreen(t, m).SendErrors()
			if len(errs) != 1 || !strings.Contains(errs[wallets.FieldAddress(1)], "testnet") {
				t.Fatalf("errors %v, want one on the second address", errs)
			}
		}},
		{"Summary", func(t *testing.T, m *tui.Model) {
			if _, err := wallet.ReadPSBTFile(buildSummary(t, m)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range sizes {
				t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
					// The default file goes to the current directory.
					wd, err := os.Getwd()
					if err != nil {
						t.Fatal(err)
					}
					t.Chdir(t.TempDir())
					m := fx.fileModel(t, s.w, s.h)
					c.do(t, m)
					if err := os.Chdir(wd); err != nil { // back to testdata
						t.Fatal(err)
					}
					golden.RequireEqual(t, []byte(tuitest.Plain(m)))
				})
			}
		})
	}
}

// TestWalletsSendWritesPSBT fills the form by pressing bindings and typing,
// and checks the file written; a wrong-network address writes nothing.
func TestWalletsSendWritesPSBT(t *testing.T) {
	fx := sendFixture(t)
	good := payee(t, &chaincfg.MainNetParams)
	dir := t.TempDir()
	path := filepath.Join(dir, "pay.psbt")

	m := fx.fileModel(t, 100, 30)
	km := m.Context().Keys
	s := walletsScreen(t, m)

	// A wrong-network address on the second row: its error, no file.
	fillSend(m, "50000 sat", good, payee(t, &chaincfg.TestNet3Params))
	tuitest.Press(m, km.Submit)
	errs := s.SendErrors()
	if !strings.HasPrefix(errs[wallets.FieldAddress(1)], "not a mainnet address") || len(errs) != 1 {
		t.Fatalf("errors %v, want only the second address refused", errs)
	}
	if !strings.Contains(tuitest.Plain(m), "✗ not a mainnet address") {
		t.Fatalf("the error is not shown:\n%s", tuitest.Plain(m))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("a refused payment wrote %v", ents)
	}

	// Remove that row (the focus is on it), write to the temporary file.
	tuitest.Press(m, km.RemoveRecipient)
	tuitest.Press(m, km.PrevField) // round to the file field
	clearAndType(m, path)
	tuitest.Press(m, km.Submit)
	got, _, ok := s.SendDone()
	if !ok || got != path {
		t.Fatalf("done %v, path %q; errors %v", ok, got, s.SendErrors())
	}
	p, err := wallet.ReadPSBTFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := btcutil.DecodeAddress(good, &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := txscript.PayToAddrScript(want)
	paid := int64(0)
	for _, o := range p.UnsignedTx.TxOut {
		if bytes.Equal(o.PkScript, script) {
			paid += o.Value
		}
	}
	if paid != 50_000 {
		t.Fatalf("the PSBT pays the recipient %d sat, want 50000", paid)
	}
	frozen := fx.txs[1].TxHash()
	for _, in := range p.UnsignedTx.TxIn {
		if in.PreviousOutPoint.Hash == frozen && in.PreviousOutPoint.Index == 1 {
			t.Fatal("the PSBT spends the frozen coin")
		}
		if in.Sequence != wallet.SequenceRBF {
			t.Fatalf("input sequence %#x, want RBF", in.Sequence)
		}
	}
	plain := tuitest.Plain(m)
	for _, w := range []string{"Unsigned PSBT written", path, "hardfolio wallet broadcast cold", "Nothing has been broadcast"} {
		if !strings.Contains(plain, w) {
			t.Errorf("the summary lacks %q:\n%s", w, plain)
		}
	}
	tuitest.Press(m, km.Cancel)
	if s.SendOpen() {
		t.Fatal("esc left the summary open")
	}
}

// TestWalletsSendDemo: the demo shows the PSBT and writes no file.
func TestWalletsSendDemo(t *testing.T) {
	fx := sendFixture(t)
	dir := t.TempDir()
	t.Chdir(dir)
	m := fx.model(t, 100, 30)
	fillSend(m, "0.001", payee(t, &chaincfg.MainNetParams))
	tuitest.Press(m, m.Context().Keys.Submit)
	s := walletsScreen(t, m)
	path, b64, ok := s.SendDone()
	if !ok || path != "" || b64 == "" {
		t.Fatalf("done %v, path %q, %d chars of base64; errors %v", ok, path, len(b64), s.SendErrors())
	}
	if _, err := wallet.ReadPSBT(strings.NewReader(b64)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tuitest.Plain(m), "demo: not written to a file") {
		t.Fatalf("the demo does not say it wrote nothing:\n%s", tuitest.Plain(m))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("the demo wrote %v", ents)
	}
}

// TestWalletsSendHighFee: a fee above the guards is refused with its
// figures, and the toggle that then appears lets it through.
func TestWalletsSendHighFee(t *testing.T) {
	fx := sendFixture(t)
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 30)
	km := m.Context().Keys
	s := walletsScreen(t, m)
	fillSend(m, "0.0001", payee(t, &chaincfg.MainNetParams))
	tuitest.Press(m, km.NextField) // unit
	tuitest.Press(m, km.NextField) // fee
	clearAndType(m, "200")
	tuitest.Press(m, km.Submit)
	if e := s.SendErrors()[wallets.FieldFeeRate]; !strings.HasPrefix(e, "high fee:") {
		t.Fatalf("fee error %q (all %v)", e, s.SendErrors())
	}
	if !strings.Contains(tuitest.Plain(m), "High fee") {
		t.Fatalf("no high-fee toggle:\n%s", tuitest.Plain(m))
	}
	// The focus is on the toggle: allow, then write.
	tuitest.Press(m, km.NextOption)
	tuitest.Press(m, km.Submit)
	if _, _, ok := s.SendDone(); !ok {
		t.Fatalf("allowed high fee still refused: %v", s.SendErrors())
	}
}

func BenchmarkWalletsSendKeystroke(b *testing.B) {
	fx := sendFixture(b)
	b.Chdir(b.TempDir())
	m := fx.fileModel(b, 120, 40)
	tuitest.Press(m, m.Context().Keys.Send)
	msgs := []tea.Msg{keys.KeyMsg("b"), keys.KeyMsg("backspace")}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		m.Update(msgs[n%2])
		_ = m.View()
	}
}

// TestWalletsSendFeeEstimate: the rate field says it is estimating until
// the backend answers, and says so when it cannot.
func TestWalletsSendFeeEstimate(t *testing.T) {
	fx := sendFixture(t)
	m := fx.model(t, 120, 40)
	km := m.Context().Keys
	_, cmd := m.Update(keys.Press(km.Send))
	if !strings.Contains(tuitest.Plain(m), "estimating…") {
		t.Fatalf("no estimating note:\n%s", tuitest.Plain(m))
	}
	for _, msg := range tuitest.Run(cmd) {
		tuitest.Send(m, msg)
	}
	if !strings.Contains(tuitest.Plain(m), "Fee rate     5 ") {
		t.Fatalf("the estimate is not in the field:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Cancel)

	fx.svc.FeeRate = func(ctx context.Context, cfg portfolio.WalletConfig, target int) (float64, error) {
		return 0, fmt.Errorf("server unreachable")
	}
	m = fx.model(t, 120, 40)
	tuitest.Press(m, km.Send)
	if !strings.Contains(tuitest.Plain(m), "no estimate (server unreachable): type a rate") {
		t.Fatalf("no fallback note:\n%s", tuitest.Plain(m))
	}
	tuitest.Press(m, km.Submit)
	if e := walletsScreen(t, m).SendErrors()[wallets.FieldFeeRate]; e != "is required (sat/vB)" {
		t.Fatalf("fee error %q", e)
	}
}
