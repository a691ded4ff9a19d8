package tui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/portfolio/book"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/devices"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
)

// TestDevicesTrezorPIN runs the program against a simulated Trezor with a
// PIN: importing an account asks for the PIN on the drawn keypad, the
// user types the positions of the digits the device shows, and the
// account is read.
func TestDevicesTrezorPIN(t *testing.T) {
	addr, uri, grids := serveLockedTrezor(t, "", "2468")

	m, p := trezorDevices(t, uri)
	km := m.Context().Keys
	p.waitFor(t, "the device asks for its PIN (locked)")
	p.send(keys.Press(km.ImportAccount))
	p.waitFor(t, "Import an account")
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Enter the PIN of your Trezor")
	p.waitFor(t, "│ 7 │ 8 │ 9 │")
	golden.RequireEqual(t, []byte(plainMasked(m, addr)))

	var g [3][3]byte
	select {
	case g = <-grids:
	case <-time.After(5 * time.Second):
		t.Fatal("the device showed no keypad")
	}
	for _, pos := range simtrezor.KeypadPositions(g, "2468") {
		p.send(keys.KeyMsg(string(pos)))
	}
	p.waitFor(t, "PIN: ••••")
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Account read from the device")
	desc := devicesOf(m).Imported()
	// The public test seed "all all ... all" has fingerprint 5c9e228d.
	if !strings.HasPrefix(desc, "wpkh([5c9e228d/84h/0h/0h]xpub") {
		t.Fatalf("imported %q", desc)
	}
}

// TestDevicesTrezorTestnet: a Trezor has no per-network app, so the
// import form asks for the network; testnet reads the coin type 1
// account as a tpub. The key is checked against the seed's own
// derivation at m/84'/1'/0'.
func TestDevicesTrezorTestnet(t *testing.T) {
	_, uri, _ := serveLockedTrezor(t, "", "")
	m, p := trezorDevices(t, uri)
	km := m.Context().Keys
	p.waitFor(t, "Trezor")
	p.send(keys.Press(km.ImportAccount))
	p.waitFor(t, "Import an account")
	p.waitFor(t, "(coin type 0: mainnet)")
	p.send(keys.Press(km.NextField))
	p.send(keys.Press(km.NextField))
	p.send(keys.Press(km.NextOption))
	p.waitFor(t, "Path m/84h/1h/0h (coin type 1: testnet)")
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Account read from the device")
	desc := devicesOf(m).Imported()
	want := tpubOf(t, simtrezor.TestMnemonic)
	if !strings.HasPrefix(desc, "wpkh([5c9e228d/84h/1h/0h]"+want+"/<0;1>/*)") {
		t.Fatalf("imported %q, want the tpub %s", desc, want)
	}
}

// trezorDevices shows the Devices screen of the demo with the Trezor
// emulator at uri as the only device, run by a program.
func trezorDevices(t *testing.T, uri string) (*tui.Model, *program) {
	t.Helper()
	hub := device.NewHub()
	hub.BridgeAddr = ""
	dsvc := &devices.Service{
		List: func(ctx context.Context, addrs []string) []device.Info {
			var out []device.Info
			for _, d := range hub.List(ctx, addrs) {
				if d.URI == uri {
					out = append(out, d)
				}
			}
			return out
		},
		HIDSupported: func() bool { return true },
		Refresh:      -1,
	}
	dir := t.TempDir()
	wsvc := wallets.Service{
		CachePath:  func(id string) (string, error) { return filepath.Join(dir, id+".json"), nil },
		LabelsPath: func(id string) (string, error) { return filepath.Join(dir, id+".jsonl"), nil },
	}
	m := tui.New(tui.Options{Book: book.OpenDemo(tuitest.Clock), Now: tuitest.Now, Theme: "dark", Getenv: env,
		Speculos: []string{uri}, Devices: dsvc, Wallets: &wsvc})
	p := newProgram(m)
	p.send(tea.WindowSizeMsg{Width: 110, Height: 40})
	p.send(keys.Press(m.Context().Keys.Screen[devicesScreen]))
	return m, p
}

// TestDevicesTrezorPassphrase: a Trezor with passphrase protection is
// listed without fingerprint; importing asks for the passphrase, typed
// hidden, and reads the account of that passphrase's wallet.
func TestDevicesTrezorPassphrase(t *testing.T) {
	sim, _, err := simtrezor.New(simtrezor.Options{Mnemonic: bip84Mnemonic, PassphraseProtection: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	addr, err := sim.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m, p := trezorDevices(t, device.SchemeTrezorUDP+":"+addr)
	km := m.Context().Keys
	p.waitFor(t, "passphrase (the fingerprint depends on it)")
	p.send(keys.Press(km.ImportAccount))
	p.waitFor(t, "Import an account")
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Passphrase of your Trezor")
	for _, r := range "TREZOR" {
		p.send(keys.KeyMsg(string(r)))
	}
	p.waitFor(t, "Passphrase: ••••••")
	if strings.Contains(tuitest.Plain(m), "TREZOR") {
		t.Fatal("the passphrase is shown")
	}
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Account read from the device")
	// BIP39 vectors: "abandon ... about" with "TREZOR" has the master key
	// xprv9s21ZrQH143K3h3fDYiay8...; its fingerprint is in the descriptor.
	master, _ := hdkeychain.NewKeyFromString("xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF")
	pub, _ := master.ECPubKey()
	want := fmt.Sprintf("wpkh([%x/84h/0h/0h]", btcutil.Hash160(pub.SerializeCompressed())[:4])
	if desc := devicesOf(m).Imported(); !strings.HasPrefix(desc, want) {
		t.Fatalf("imported %q, want %s...", desc, want)
	}
}

// serveLockedTrezor serves a simulated Trezor with mnemonic (empty: its
// test seed) and pin on loopback; grids receives each keypad it shows.
func serveLockedTrezor(t *testing.T, mnemonic, pin string) (addr, uri string, grids chan [3][3]byte) {
	t.Helper()
	grids = make(chan [3][3]byte, 4)
	sim, _, err := simtrezor.New(simtrezor.Options{Mnemonic: mnemonic, PIN: pin, ShowPIN: func(g [3][3]byte) { grids <- g }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	addr, err = sim.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return addr, device.SchemeTrezorUDP + ":" + addr, grids
}

// program runs a model as the real program does, commands in goroutines,
// but delivers their messages on the test's goroutine (waitFor), so the
// test reads the model without races.
type program struct {
	m    tea.Model
	msgs chan tea.Msg
}

func newProgram(m tea.Model) *program { return &program{m: m, msgs: make(chan tea.Msg, 64)} }

func (p *program) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				p.run(c)
			}
			return
		}
		if msg != nil {
			p.msgs <- msg
		}
	}()
}

func (p *program) send(msg tea.Msg) {
	var cmd tea.Cmd
	p.m, cmd = p.m.Update(msg)
	p.run(cmd)
}

// waitFor handles messages until the frame shows what, for ten seconds.
func (p *program) waitFor(t *testing.T, what string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !strings.Contains(tuitest.Plain(p.m), what) {
		select {
		case msg := <-p.msgs:
			p.send(msg)
		case <-deadline:
			t.Fatalf("no %q after 10 s:\n%s", what, tuitest.Plain(p.m))
		}
	}
}

// TestWalletsSignOnTrezor signs the send form's PSBT on a simulated Trezor
// with a PIN, found by the wallet's fingerprint once unlocked: the PIN is
// typed on the summary's keypad, the device's confirmations are followed,
// and the signed transaction is offered for broadcast.
func TestWalletsSignOnTrezor(t *testing.T) {
	fx := sendFixture(t)
	_, uri, grids := serveLockedTrezor(t, bip84Mnemonic, "951")
	hub := device.NewHub()
	hub.BridgeAddr = ""
	hub.ProbeTimeout = 2 * time.Second
	only := wallets.HubSignerPrompted(hub, []string{uri})
	fx.svc.OpenSignerPrompted = func(ctx context.Context, fpr uint32, p device.Prompter) (wallets.Signer, wallets.SignerInfo, error) {
		return only(ctx, fpr, p)
	}
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 40)
	km := m.Context().Keys
	buildSummary(t, m)

	p := newProgram(m)
	p.send(keys.Press(km.SignOnDevice))
	p.waitFor(t, "Enter the PIN of your Trezor")
	t.Run("PIN", func(t *testing.T) { goldenAt(t, wd, m) })
	var g [3][3]byte
	select {
	case g = <-grids:
	case <-time.After(5 * time.Second):
		t.Fatal("the device showed no keypad")
	}
	for _, pos := range simtrezor.KeypadPositions(g, "951") {
		p.send(keys.KeyMsg(string(pos)))
	}
	p.send(keys.Press(km.Accept))
	p.waitFor(t, "Broadcast it through")
	if _, _, ok := walletsScreen(t, m).SignedTx(); !ok {
		t.Fatalf("not signed:\n%s", tuitest.Plain(m))
	}
}
