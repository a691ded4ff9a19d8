package main

import (
	"context"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
)

// TestDemoDevice: the demo's simulated Ledger listens on loopback only and
// answers as the Speculos default seed's device.
func TestDemoDevice(t *testing.T) {
	addr, stop, err := startDemoDevice()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("demo device at %q: want a loopback address", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sp, err := transport.DialSpeculos(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	fpr, err := btcapp.New(sp).MasterFingerprint(ctx)
	if err != nil || fpr != 0xf5acc2fd {
		t.Fatalf("fingerprint %08x, %v", fpr, err)
	}
}

// TestDemoSendFlow walks the demo's payment end to end, as a newcomer
// would in "hardfolio demo": sync the demo wallet from the in-memory
// chain, pay, sign on the simulated Ledger, broadcast to the demo chain,
// sync again. The wallet is the simulator's own account, the holding
// keeps its balance, and nothing is written to the user's files.
func TestDemoSendFlow(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
	t.Chdir(t.TempDir())
	addr, _ := startSim(t, simledger.Faults{})
	b := book.OpenDemo(demoClock)
	svc, err := demoWallets(b, []string{addr})
	if err != nil {
		t.Fatal(err)
	}
	p := b.Portfolio()
	cfg := p.WalletConfig(demoWalletID)
	if cfg == nil || p.Holdings[p.HoldingIndex(demoHolding)].Wallet != demoWalletID {
		t.Fatalf("the demo wallet is not in the demo portfolio, or its holding does not follow it")
	}
	// The wallet is the simulated device's own BIP 84 account.
	dev, err := device.NewHub().Open(context.Background(), "speculos:"+addr)
	if err != nil {
		t.Fatal(err)
	}
	xpub, err := dev.Xpub(context.Background(), []uint32{84 | device.Hardened, 1 | device.Hardened, device.Hardened}, false)
	dev.Close()
	if err != nil || !strings.Contains(cfg.Descriptor, "[f5acc2fd/84h/1h/0h]"+xpub+"/") {
		t.Fatalf("demo descriptor %s, device xpub %s (%v)", cfg.Descriptor, xpub, err)
	}

	m := tui.New(tui.Options{Book: b, Now: func() time.Time { return demoClock }, Theme: "dark", Getenv: func(string) string { return "" },
		Wallets: svc, Speculos: []string{addr}})
	send(m, tea.WindowSizeMsg{Width: 120, Height: 50})
	km := m.Context().Keys
	press(m, km.Screen[2])
	press(m, km.SyncWallet)
	if got := m.Portfolio().Holdings[p.HoldingIndex(demoHolding)].Sats; got != 125_000_000 {
		t.Fatalf("after the sync the holding has %d sat, want the demo's 125000000", got)
	}
	if !strings.Contains(plain(m), "demo chain") {
		t.Fatalf("the demo wallet's backend is not named:\n%s", plain(m))
	}

	press(m, km.Send)
	typeText(m, "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx")
	press(m, km.NextField)
	typeText(m, "0.1")
	press(m, km.Submit)
	ws := m.Screen(2).(*wallets.Model)
	if _, _, ok := ws.SendDone(); !ok {
		t.Fatalf("no PSBT: %v\n%s", ws.SendErrors(), plain(m))
	}
	press(m, km.SignOnDevice)
	txid, fee, ok := ws.SignedTx()
	if !ok {
		t.Fatalf("not signed:\n%s", plain(m))
	}
	if !strings.Contains(plain(m), "Broadcast it through demo chain (in memory, nothing leaves this machine)?") {
		t.Fatalf("the question does not say where it goes:\n%s", plain(m))
	}
	press(m, km.Yes)
	if !strings.Contains(plain(m), "Broadcast: transaction "+txid) {
		t.Fatalf("not broadcast:\n%s", plain(m))
	}
	press(m, km.Cancel)
	press(m, km.SyncWallet)
	want := int64(125_000_000 - 10_000_000 - fee)
	if got := m.Portfolio().Holdings[p.HoldingIndex(demoHolding)].Sats; got != want {
		t.Fatalf("after paying, the holding has %d sat, want %d", got, want)
	}
	press(m, km.ViewHistory)
	if !strings.Contains(plain(m), txid[:12]) {
		t.Fatalf("the history lacks %s:\n%s", txid, plain(m))
	}
	for _, dir := range []string{home, "."} {
		var files []string
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, path)
			}
			return nil
		})
		if len(files) != 0 {
			t.Fatalf("the demo wrote %v", files)
		}
	}
}

var demoClock = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// send runs msg through the model and every command it returns, feeding
// their messages back in, the way bubbletea would but synchronously.
func send(m tea.Model, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 && len(queue) < 1000 {
		msg, queue = queue[0], queue[1:]
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		queue = append(queue, runCmd(cmd)...)
	}
}

func runCmd(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case nil, tea.QuitMsg:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runCmd(c)...)
		}
		return out
	default:
		return []tea.Msg{msg}
	}
}

func press(m tea.Model, b key.Binding) { send(m, keys.Press(b)) }

func typeText(m tea.Model, s string) {
	for _, r := range s {
		send(m, keys.KeyMsg(string(r)))
	}
}

func plain(m tea.Model) string { return ansi.Strip(m.View()) }
