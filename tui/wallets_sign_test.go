package tui_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/golden"

	"codeberg.org/hardfolio/hardfolio/hw/device"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	simledger "codeberg.org/hardfolio/hardfolio/hw/sim/ledger"
	"codeberg.org/hardfolio/hardfolio/portfolio"
	"codeberg.org/hardfolio/hardfolio/tui"
	"codeberg.org/hardfolio/hardfolio/tui/internal/tuitest"
	"codeberg.org/hardfolio/hardfolio/tui/keys"
	"codeberg.org/hardfolio/hardfolio/tui/wallets"
	"codeberg.org/hardfolio/hardfolio/wallet"
)

// bip84Mnemonic is the seed of the BIP 84 test vector, whose account the
// wallet fixture watches: a simulated Ledger with it signs for the fixture.
const bip84Mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

// signFixture is the send fixture with a simulated Ledger holding the
// fixture's seed (the Bitcoin app, mainnet) on loopback, found by
// fingerprint through a device hub, and broadcasts going to the
// fixture's in-memory server.
func signFixture(t *testing.T, opts simledger.Options) (*walletFixture, *simledger.Device) {
	t.Helper()
	fx := sendFixture(t)
	opts.Mnemonic, opts.Network = bip84Mnemonic, &chaincfg.MainNetParams
	addr, dev := serveSim(t, opts)
	fx.signWith(device.NewHub(), addr)
	return fx, dev
}

// signWith has the send form sign on the emulators at addrs, found by
// fingerprint through hub, and broadcast to the fixture's server.
func (fx *walletFixture) signWith(hub *device.Hub, addrs ...string) {
	fx.svc.OpenSigner = func(ctx context.Context, fpr uint32) (wallets.Signer, wallets.SignerInfo, error) {
		// Emulators only: a device plugged into the test machine changes nothing.
		d, info, err := hub.OpenFingerprint(ctx, addrs, fpr)
		if err == nil && !strings.HasPrefix(info.URI, device.SchemeSpeculos+":") {
			d.Close()
			return nil, wallets.SignerInfo{}, errors.New("not an emulator")
		}
		if err != nil {
			return nil, wallets.SignerInfo{}, err
		}
		return d, wallets.SignerInfo{Vendor: info.Vendor, Model: info.Model}, nil
	}
	fx.svc.Broadcast = func(ctx context.Context, _ portfolio.WalletConfig, tx *wire.MsgTx) (chainhash.Hash, error) {
		src := fx.mem.Source()
		defer src.Close()
		return src.Broadcast(ctx, tx)
	}
}

// buildSummary fills the send form, writes the PSBT into a temporary
// directory (the current one) and returns the file written.
func buildSummary(t *testing.T, m *tui.Model) string {
	t.Helper()
	km := m.Context().Keys
	fillSend(m, "0.01", payee(t, &chaincfg.MainNetParams))
	for range 3 {
		tuitest.Press(m, km.NextField)
	}
	tuitest.Press(m, km.ToggleCoin)
	tuitest.Press(m, km.Submit)
	path, _, ok := walletsScreen(t, m).SendDone()
	if !ok {
		t.Fatalf("no PSBT: errors %v", walletsScreen(t, m).SendErrors())
	}
	return path
}

// goldenAt compares the frame with the golden file, from the directory
// the test started in. The signed transaction's id, which moves with the
// change output's random position, is masked.
func goldenAt(t *testing.T, wd string, m *tui.Model) {
	t.Helper()
	here, _ := os.Getwd()
	if err := os.Chdir(wd); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(here)
	frame := tuitest.Plain(m)
	if txid, _, ok := walletsScreen(t, m).SignedTx(); ok {
		frame = strings.ReplaceAll(frame, txid, strings.Repeat("#", len(txid)))
	}
	golden.RequireEqual(t, []byte(frame))
}

// TestWalletsSignAndBroadcast signs the built PSBT on the simulated Ledger
// from the summary, checks what the screen says at each step, and
// broadcasts to the fixture's server: the transaction that arrives is the
// one the summary named, with valid signatures.
func TestWalletsSignAndBroadcast(t *testing.T) {
	fx, _ := signFixture(t, simledger.Options{})
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 40)
	km := m.Context().Keys
	s := walletsScreen(t, m)
	path := buildSummary(t, m)
	unsigned, _ := os.ReadFile(path)
	if !strings.Contains(tuitest.Plain(m), km.SignOnDevice.Help().Key+" signs it on your hardware wallet") {
		t.Fatalf("the summary does not offer signing:\n%s", tuitest.Plain(m))
	}

	tuitest.Press(m, km.SignOnDevice)
	t.Run("Signed", func(t *testing.T) { goldenAt(t, wd, m) })
	txid, fee, ok := s.SignedTx()
	if !ok {
		t.Fatalf("not signed:\n%s", tuitest.Plain(m))
	}
	if fee <= 0 || !strings.Contains(tuitest.Plain(m), "Signed on your Ledger") {
		t.Fatalf("fee %d:\n%s", fee, tuitest.Plain(m))
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, unsigned) {
		t.Fatal("signing changed the unsigned PSBT file")
	}
	signed, err := wallet.ReadPSBTFile(wallet.SignedPSBTPath(path))
	if err != nil {
		t.Fatalf("the signed PSBT was not written: %v", err)
	}
	if err := wallet.Finalize(signed); err != nil {
		t.Fatal(err)
	}
	if tx, err := wallet.Extract(signed); err != nil || tx.TxHash().String() != txid {
		t.Fatalf("the signed file gives %v, %v; the screen says %s", tx, err, txid)
	}

	fx.broadcastFromSummary(t, m, txid, signed)
}

// broadcastFromSummary answers yes to the summary's question and checks
// that the transaction txid (signed's) reached the fixture's server.
func (fx *walletFixture) broadcastFromSummary(t *testing.T, m *tui.Model, txid string, signed *psbt.Packet) {
	t.Helper()
	tuitest.Press(m, m.Context().Keys.Yes)
	if !strings.Contains(tuitest.Plain(m), "Broadcast: transaction "+txid) {
		t.Fatalf("no broadcast:\n%s", tuitest.Plain(m))
	}
	src := fx.mem.Source()
	defer src.Close()
	// The server has it: broadcasting it again is refused as a double spend.
	if _, err := src.Broadcast(context.Background(), mustTx(t, signed)); err == nil {
		t.Fatal("the server accepted the transaction twice: the first broadcast did not arrive")
	}
}

func mustTx(t *testing.T, p *psbt.Packet) *wire.MsgTx {
	t.Helper()
	tx, err := wallet.Extract(p)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestWalletsSignRefused: the user declines on the device; the screen says
// so with the device's hint, nothing is written, and signing can start
// again.
func TestWalletsSignRefused(t *testing.T) {
	fx, dev := signFixture(t, simledger.Options{Faults: simledger.Faults{RejectNext: true}})
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 40)
	km := m.Context().Keys
	path := buildSummary(t, m)
	tuitest.Press(m, km.SignOnDevice)
	flat := strings.Join(strings.Fields(tuitest.Plain(m)), " ")
	if !strings.Contains(flat, "Not signed: ") || !strings.Contains(flat, strings.Join(strings.Fields(device.Hint(apdu.ErrUserRejected)), " ")) {
		t.Fatalf("no refusal with its hint:\n%s", tuitest.Plain(m))
	}
	if _, err := os.Stat(wallet.SignedPSBTPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused signing wrote %s (%v)", wallet.SignedPSBTPath(path), err)
	}
	_ = dev
	tuitest.Press(m, km.SignOnDevice)
	if _, _, ok := walletsScreen(t, m).SignedTx(); !ok {
		t.Fatalf("signing again failed:\n%s", tuitest.Plain(m))
	}
}

// TestWalletsSignCancel cancels while the device waits for the user: the
// exchange ends at once, the PSBT is unchanged, no signed file appears,
// and the device's late answer is dropped.
func TestWalletsSignCancel(t *testing.T) {
	atScreen := make(chan simledger.Screen, 1)
	release := make(chan struct{})
	fx, _ := signFixture(t, simledger.Options{Confirm: func(ctx context.Context, s simledger.Screen) bool {
		atScreen <- s
		select {
		case <-release:
		case <-ctx.Done():
		}
		return true
	}})
	defer close(release)
	wd, _ := os.Getwd()
	t.Chdir(t.TempDir())
	m := fx.fileModel(t, 100, 40)
	km := m.Context().Keys
	path := buildSummary(t, m)
	unsigned, _ := os.ReadFile(path)
	draft := walletsScreen(t, m).SendPSBT()
	var before bytes.Buffer
	if err := draft.Serialize(&before); err != nil {
		t.Fatal(err)
	}

	// s finds the device (run here), then asks it to sign (run aside).
	_, cmd := m.Update(keys.Press(km.SignOnDevice))
	for _, msg := range tuitest.Run(cmd) {
		_, cmd = m.Update(msg)
	}
	t.Run("Confirming", func(t *testing.T) { goldenAt(t, wd, m) })
	if !strings.Contains(tuitest.Plain(m), "Confirm the transaction on your Ledger: check each output and the fee") {
		t.Fatalf("no prompt:\n%s", tuitest.Plain(m))
	}
	done := make(chan []tea.Msg, 1)
	go func() { done <- tuitest.Run(cmd) }()
	select {
	case s := <-atScreen:
		if s != simledger.ScreenSign {
			t.Fatalf("the device shows %q", s)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the device never asked for confirmation")
	}
	start := time.Now()
	tuitest.Press(m, km.Cancel)
	var late []tea.Msg
	select {
	case late = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling did not end the exchange with the device")
	}
	if len(late) != 1 || !strings.Contains(fmt.Sprint(late[0]), "cancel") {
		t.Logf("late answer %v", late)
	}
	t.Logf("exchange ended %v after esc", time.Since(start).Round(time.Millisecond))
	for _, msg := range late {
		tuitest.Send(m, msg)
	}
	t.Run("Cancelled", func(t *testing.T) { goldenAt(t, wd, m) })
	if !strings.Contains(tuitest.Plain(m), "Signing cancelled: nothing was signed") {
		t.Fatalf("no cancellation message:\n%s", tuitest.Plain(m))
	}
	if _, _, ok := walletsScreen(t, m).SignedTx(); ok {
		t.Fatal("a cancelled signing counts as signed")
	}
	var after bytes.Buffer
	if err := walletsScreen(t, m).SendPSBT().Serialize(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("the PSBT changed")
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, unsigned) {
		t.Fatal("the PSBT file changed")
	}
	if _, err := os.Stat(wallet.SignedPSBTPath(path)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a cancelled signing wrote a signed PSBT (%v)", err)
	}
}
