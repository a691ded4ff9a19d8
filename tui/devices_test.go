package tui_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"
	bip39 "github.com/cosmos/go-bip39"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/devices"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
	"codeberg.org/hardfolio/hardfolio/wallet/demo"
	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
	"codeberg.org/hardfolio/hardfolio/wallet/service"
)

const devicesScreen = 3

// startSim serves a simulated Ledger (Bitcoin Test app, Speculos' seed) on
// a loopback port chosen by the system and returns its address.
func startSim(tb testing.TB, faults simledger.Faults) (string, *simledger.Device) {
	tb.Helper()
	return serveSim(tb, simledger.Options{Faults: faults})
}

// serveSim serves a simulated Ledger made with opts on 127.0.0.1 until the
// test ends.
func serveSim(tb testing.TB, opts simledger.Options) (string, *simledger.Device) {
	tb.Helper()
	dev, _, err := simledger.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	go dev.Serve(ln)
	tb.Cleanup(func() { dev.Close() })
	return ln.Addr().String(), dev
}

// deviceService lists only emulators, so a device plugged into the
// machine running the tests changes nothing, and never ticks: tests run
// commands synchronously.
func deviceService() *devices.Service {
	hub := device.NewHub()
	return &devices.Service{
		List: func(ctx context.Context, addrs []string) []device.Info {
			var out []device.Info
			for _, d := range hub.List(ctx, addrs) {
				if strings.HasPrefix(d.URI, device.SchemeSpeculos+":") {
					out = append(out, d)
				}
			}
			return out
		},
		Open:         hub.Open,
		HIDSupported: func() bool { return true },
		Refresh:      -1,
	}
}

// newDevices opens the demo portfolio with the emulators at addrs, sizes
// the interface and shows the Devices screen.
func newDevices(tb testing.TB, w, h int, addrs ...string) *tui.Model {
	tb.Helper()
	dir := tb.TempDir()
	svc := wallets.Service{
		CachePath:  func(id string) (string, error) { return filepath.Join(dir, id+".json"), nil },
		LabelsPath: func(id string) (string, error) { return filepath.Join(dir, id+".jsonl"), nil },
	}
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, Theme: "dark", Getenv: env,
		Speculos: addrs, Devices: deviceService(), Wallets: &svc})
	tuitest.Send(m, tea.WindowSizeMsg{Width: w, Height: h})
	tuitest.Press(m, m.Context().Keys.Screen[devicesScreen])
	return m
}

func devicesOf(m *tui.Model) *devices.Model { return m.Screen(devicesScreen).(*devices.Model) }

// plainMasked is the frame with the emulator's port, which the system
// chose, replaced by as many '#'.
func plainMasked(m *tui.Model, addr string) string {
	s := tuitest.Plain(m)
	if addr == "" {
		return s
	}
	_, port, _ := net.SplitHostPort(addr)
	return strings.ReplaceAll(s, addr, "127.0.0.1:"+strings.Repeat("#", len(port)))
}

func TestDevices(t *testing.T) {
	cases := []struct {
		name string
		sim  bool
		f    func(t *testing.T, m *tui.Model)
	}{
		{"Empty", false, func(t *testing.T, m *tui.Model) {}},
		{"Listed", true, func(t *testing.T, m *tui.Model) {}},
		{"ImportForm", true, func(t *testing.T, m *tui.Model) {
			tuitest.Press(m, m.Context().Keys.ImportAccount)
		}},
		{"Imported", true, func(t *testing.T, m *tui.Model) {
			km := m.Context().Keys
			tuitest.Press(m, km.ImportAccount)
			tuitest.Press(m, km.Accept)
			if devicesOf(m).Imported() == "" {
				t.Fatalf("no descriptor read: %s", devicesOf(m).Message())
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, s := range sizes {
				t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
					var addrs []string
					if c.sim {
						addr, _ := startSim(t, simledger.Faults{})
						addrs = append(addrs, addr)
					}
					m := newDevices(t, s.w, s.h, addrs...)
					c.f(t, m)
					addr := ""
					if len(addrs) > 0 {
						addr = addrs[0]
					}
					golden.RequireEqual(t, []byte(plainMasked(m, addr)))
				})
			}
		})
	}
}

// simTpub derives the simulator's account key at m/84h/1h/0h from its seed,
// independently of the device code.
func simTpub(t *testing.T) string { return tpubOf(t, simledger.SpeculosMnemonic) }

// tpubOf derives the account key at m/84h/1h/0h of a mnemonic's seed
// (no passphrase) with hdkeychain.
func tpubOf(t *testing.T, mnemonic string) string {
	t.Helper()
	seed := bip39.NewSeed(mnemonic, "")
	k, err := hdkeychain.NewMaster(seed, &chaincfg.TestNet3Params)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []uint32{84, 1, 0} {
		if k, err = k.Derive(hdkeychain.HardenedKeyStart + i); err != nil {
			t.Fatal(err)
		}
	}
	n, err := k.Neuter()
	if err != nil {
		t.Fatal(err)
	}
	return n.String()
}

func TestDevicesImportAndVerify(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	m := newDevices(t, 120, 40, addr)
	km := m.Context().Keys
	d := devicesOf(m)
	if len(d.Devices()) != 1 || d.Devices()[0].FingerprintHex() != "f5acc2fd" {
		t.Fatalf("devices %+v", d.Devices())
	}

	// Import: wpkh and account 0 are the defaults.
	tuitest.Press(m, km.ImportAccount)
	if !d.Form() {
		t.Fatal("the import form did not open")
	}
	_, cmd := m.Update(keys.Press(km.Accept))
	if !strings.Contains(tuitest.Plain(m), "Reading the xpub from your Ledger…") {
		t.Fatalf("no progress shown:\n%s", tuitest.Plain(m))
	}
	for _, msg := range tuitest.Run(cmd) {
		tuitest.Send(m, msg)
	}
	tuitest.Press(m, km.Submit)

	const id = "ledger-f5acc2fd-84-0"
	var found bool
	for _, w := range m.Portfolio().Wallets {
		if w.ID != id {
			continue
		}
		found = true
		if w.Network != "testnet" {
			t.Errorf("network %q", w.Network)
		}
		desc, err := descriptor.Parse(w.Descriptor, descriptor.Testnet)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := desc.ExtendedKey(), simTpub(t); got != want {
			t.Errorf("xpub %s, want %s", got, want)
		}
		if o, _ := desc.Origin(); o.String() != "f5acc2fd/84h/1h/0h" || desc.Type() != descriptor.WPKH || !desc.HasChange() {
			t.Errorf("descriptor %s", w.Descriptor)
		}
	}
	if !found {
		t.Fatalf("the portfolio lacks wallet %s; status %q, screen %q", id, m.Status(), d.Message())
	}
	if !m.CanUndo() {
		t.Error("the import cannot be undone")
	}

	// The Wallets screen shows it.
	tuitest.Press(m, km.Screen[2])
	if !strings.Contains(tuitest.Plain(m), id) {
		t.Fatalf("the Wallets screen does not show %s:\n%s", id, tuitest.Plain(m))
	}
	tuitest.Press(m, km.Screen[devicesScreen])

	// Verify: the device shows the address and it matches.
	_, cmd = m.Update(keys.Press(km.VerifyAddress))
	if !strings.Contains(tuitest.Plain(m), "Confirm the address on your Ledger… (esc cancels)") {
		t.Fatalf("no confirmation prompt:\n%s", tuitest.Plain(m))
	}
	for _, msg := range tuitest.Run(cmd) {
		tuitest.Send(m, msg)
	}
	local, shown, match, ok := d.Verified()
	if !ok || !match || local == "" || !strings.HasPrefix(shown, "tb1q") {
		t.Fatalf("verified %q %q %v %v: %s", local, shown, match, ok, d.Message())
	}
	if !strings.Contains(tuitest.Plain(m), "Address confirmed") {
		t.Fatalf("no success message:\n%s", tuitest.Plain(m))
	}

	// Esc cancels a confirmation; its late answer is dropped.
	_, cmd = m.Update(keys.Press(km.VerifyAddress))
	tuitest.Press(m, km.Cancel)
	if d.Busy() || !strings.Contains(d.Message(), "cancelled") {
		t.Fatalf("not cancelled: %q", d.Message())
	}
	for _, msg := range tuitest.Run(cmd) {
		tuitest.Send(m, msg)
	}
	if !strings.Contains(d.Message(), "cancelled") {
		t.Fatalf("a cancelled check reported %q", d.Message())
	}
}

func TestDevicesLocked(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{Locked: true})
	m := newDevices(t, 120, 40, addr)
	ds := devicesOf(m).Devices()
	if len(ds) != 1 || ds[0].Err == nil {
		t.Fatalf("devices %+v", ds)
	}
	hint := apdu.Hint(ds[0].Err)
	if hint == "" {
		t.Fatalf("no hint for %v", ds[0].Err)
	}
	flat := strings.Join(strings.Fields(tuitest.Plain(m)), " ")
	if !strings.Contains(flat, hint) {
		t.Fatalf("the hint %q is not shown:\n%s", hint, tuitest.Plain(m))
	}
}

// BenchmarkDevicesKeypress measures a key press on the Devices screen with
// a simulated device listed and a wallet of it in the portfolio.
func BenchmarkDevicesKeypress(b *testing.B) {
	addr, _ := startSim(b, simledger.Faults{})
	m := newDevices(b, 120, 40, addr)
	km := m.Context().Keys
	tuitest.Press(m, km.ImportAccount)
	tuitest.Press(m, km.Accept)
	tuitest.Press(m, km.Submit)
	msgs := []tea.Msg{keys.Press(km.Down), keys.Press(km.Up), keys.Press(km.NextWallet)}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		m.Update(msgs[n%len(msgs)])
		_ = m.View()
	}
}

// TestDevicesVerifyNextUnused: the address shown on the device is the
// wallet's next unused receive address from its last sync, not address 0.
func TestDevicesVerifyNextUnused(t *testing.T) {
	addr, _ := startSim(t, simledger.Faults{})
	dir := t.TempDir()
	svc := wallets.Service{
		CachePath:  func(id string) (string, error) { return filepath.Join(dir, id+".json"), nil },
		LabelsPath: func(id string) (string, error) { return filepath.Join(dir, id+".jsonl"), nil },
	}
	desc := "wpkh([f5acc2fd/84h/1h/0h]" + simTpub(t) + "/<0;1>/*)"
	cfg := portfolio.WalletConfig{ID: "sim", Descriptor: desc, Network: "testnet"}
	w, err := service.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Addresses 0 and 1 received in the last sync.
	when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	mem, err := demo.NewChain(w.Descriptor, []demo.Payment{{Sats: 1000, Index: 0, Time: when}, {Sats: 2000, Index: 1, Time: when.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := w.Sync(context.Background(), mem.Source(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	path, _ := svc.CachePath(cfg.ID)
	if err := st.Save(path); err != nil {
		t.Fatal(err)
	}

	b := book.OpenDemo(tuitest.Clock)
	p, err := b.Portfolio().WithWallet(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Save(p); err != nil {
		t.Fatal(err)
	}
	m := tui.New(tui.Options{Book: b, Now: tuitest.Now, Theme: "dark", Getenv: env,
		Speculos: []string{addr}, Devices: deviceService(), Wallets: &svc})
	tuitest.Send(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	tuitest.Press(m, m.Context().Keys.Screen[devicesScreen])
	want, err := w.Descriptor.Derive(false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tuitest.Plain(m), "next unused receive address #2: "+want.Address) {
		t.Fatalf("the screen does not offer address #2 %s:\n%s", want.Address, tuitest.Plain(m))
	}
	tuitest.Press(m, m.Context().Keys.VerifyAddress)
	local, shown, match, ok := devicesOf(m).Verified()
	if !ok || !match || local != want.Address || shown != want.Address {
		t.Fatalf("verified %q on the device %q (match %v, ok %v), want %s: %s", local, shown, match, ok, want.Address, devicesOf(m).Message())
	}
}
