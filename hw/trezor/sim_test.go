package trezor_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"codeberg.org/hardfolio/hardfolio/hw/sim/simtest"
	simtrezor "codeberg.org/hardfolio/hardfolio/hw/sim/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	tw "codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// The BIP39 reference mnemonic; its keys are published in BIP 44/49/84/86
// (the vectors below come from those BIPs).
const abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

const h = hdkeychain.HardenedKeyStart

// testUI stands for the user at the host: it reads the PIN keypad off the
// simulator's screen, like a user looking at the device.
type testUI struct {
	mu         sync.Mutex
	grid       [3][3]byte
	pin        string
	passphrase string
	buttons    []uint32
}

func (u *testUI) showPIN(g [3][3]byte) { u.mu.Lock(); u.grid = g; u.mu.Unlock() }

func (u *testUI) PIN(ctx context.Context, kind uint32) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return simtrezor.KeypadPositions(u.grid, u.pin), nil
}

func (u *testUI) Passphrase(ctx context.Context, onDeviceOK bool) (string, bool, error) {
	return u.passphrase, false, nil
}

func (u *testUI) Button(ctx context.Context, code uint32) {
	u.mu.Lock()
	u.buttons = append(u.buttons, code)
	u.mu.Unlock()
}

// start serves a simulator on a loopback UDP port and connects a client.
func start(t testing.TB, opts simtrezor.Options, ui *testUI) (*simtrezor.Device, *trezor.Client) {
	t.Helper()
	if ui != nil && opts.ShowPIN == nil {
		opts.ShowPIN = ui.showPIN
	}
	addr, dev := simtest.Trezor(t, opts)
	u, err := transport.DialTrezorUDP(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	var c *trezor.Client
	if ui == nil {
		c = trezor.New(tw.NewPacketLink(u), nil)
	} else {
		c = trezor.New(tw.NewPacketLink(u), ui)
	}
	t.Cleanup(func() { c.Close() })
	return dev, c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestFeaturesKeysAddresses(t *testing.T) {
	_, c := start(t, simtrezor.Options{Mnemonic: abandon, Label: "sim"}, nil)
	f, err := c.Initialize(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if f.Vendor != "trezor.io" || f.Model != "1" || !f.Initialized || f.Label != "sim" || len(f.SessionID) != 32 {
		t.Fatalf("features %+v", f)
	}
	fpr, err := c.MasterFingerprint(ctx(t))
	if err != nil || fpr != 0x73c5da0a {
		t.Fatalf("fingerprint %08x %v", fpr, err)
	}
	pk, err := c.PublicKey(ctx(t), "Bitcoin", []uint32{h | 84, h, h}, tw.SpendWitness, false)
	if err != nil {
		t.Fatal(err)
	}
	if pk.Xpub != "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs" ||
		pk.RootFingerprint == nil || *pk.RootFingerprint != 0x73c5da0a || pk.Node.Depth != 3 || pk.Node.ChildNum != h {
		t.Fatalf("BIP 84 account: %+v", pk)
	}
	pk, err = c.PublicKey(ctx(t), "Bitcoin", []uint32{h | 44, h, h}, tw.SpendAddress, false)
	if err != nil || pk.Xpub != "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj" {
		t.Fatalf("BIP 44 account: %+v %v", pk, err)
	}
	for _, tc := range []struct {
		coin string
		path []uint32
		st   uint32
		want string
	}{
		{"Bitcoin", []uint32{h | 44, h, h, 0, 0}, tw.SpendAddress, "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"},
		{"Testnet", []uint32{h | 49, h | 1, h, 0, 0}, tw.SpendP2SHWitness, "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2"},
		{"Bitcoin", []uint32{h | 84, h, h, 0, 0}, tw.SpendWitness, "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"},
		{"Bitcoin", []uint32{h | 86, h, h, 0, 0}, tw.SpendTaproot, "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr"},
	} {
		got, err := c.Address(ctx(t), tc.coin, tc.path, tc.st, false)
		if err != nil || got != tc.want {
			t.Errorf("address %v: %s %v, want %s", tc.path, got, err, tc.want)
		}
	}
	if _, err := c.Address(ctx(t), "Dogecoin", []uint32{h | 44, h, h, 0, 0}, tw.SpendAddress, false); !errors.Is(err, trezor.ErrDataError) {
		t.Fatalf("unknown coin: %v", err)
	}
	if s, err := c.Ping(ctx(t), "hello"); err != nil || s != "hello" {
		t.Fatal(s, err)
	}
}

func TestDisplayAndReject(t *testing.T) {
	ui := &testUI{}
	dev, c := start(t, simtrezor.Options{Mnemonic: abandon}, ui)
	path := []uint32{h | 84, h | 1, h, 0, 0}
	if _, err := c.Address(ctx(t), "Testnet", path, tw.SpendWitness, true); err != nil {
		t.Fatal(err)
	}
	if len(ui.buttons) != 1 || ui.buttons[0] != tw.ButtonAddress {
		t.Fatalf("buttons %v", ui.buttons)
	}
	dev.SetFaults(simtrezor.Faults{RejectNext: true})
	_, err := c.Address(ctx(t), "Testnet", path, tw.SpendWitness, true)
	if !errors.Is(err, trezor.ErrCancelled) || trezor.Hint(err) == "" {
		t.Fatalf("rejected: %v", err)
	}
	var fe *trezor.FailureError
	if !errors.As(err, &fe) || fe.Code != tw.FailureActionCancelled {
		t.Fatalf("failure code: %v", err)
	}
	// Without display nothing is shown, so nothing can be refused.
	if _, err := c.PublicKey(ctx(t), "Testnet", path[:3], tw.SpendWitness, false); err != nil {
		t.Fatal(err)
	}
}

func TestPIN(t *testing.T) {
	ui := &testUI{pin: "2580"[:3] + "1"}
	_, c := start(t, simtrezor.Options{Mnemonic: abandon, PIN: "2581"}, ui)
	f, err := c.Initialize(ctx(t))
	if err != nil || !f.PinProtection || f.Unlocked == nil || *f.Unlocked {
		t.Fatalf("features %+v %v", f, err)
	}
	ui.pin = "1234"
	if _, err := c.MasterFingerprint(ctx(t)); !errors.Is(err, trezor.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
	ui.pin = "2581"
	fpr, err := c.MasterFingerprint(ctx(t))
	if err != nil || fpr != 0x73c5da0a {
		t.Fatalf("after PIN: %08x %v", fpr, err)
	}
	f, _ = c.Initialize(ctx(t))
	if !*f.Unlocked {
		t.Fatal("still locked after the PIN")
	}
}

func TestPINWithoutUI(t *testing.T) {
	_, c := start(t, simtrezor.Options{PIN: "1"}, nil)
	_, err := c.MasterFingerprint(ctx(t))
	if !errors.Is(err, trezor.ErrPINRequired) {
		t.Fatalf("err = %v", err)
	}
	// The device was told to cancel and answers again.
	if _, err := c.Ping(ctx(t), "x"); err != nil {
		t.Fatal(err)
	}
}

func TestPassphrase(t *testing.T) {
	ui := &testUI{passphrase: "TREZOR"}
	_, c := start(t, simtrezor.Options{Mnemonic: abandon, PassphraseProtection: true}, ui)
	if _, err := c.Initialize(ctx(t)); err != nil {
		t.Fatal(err)
	}
	fpr, err := c.MasterFingerprint(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if want := trezorPassphraseFingerprint(); fpr != want {
		t.Fatalf("fingerprint %08x, want %08x", fpr, want)
	}
	// The session caches it: a resumed session is not asked again.
	ui.passphrase = "other"
	if _, err := c.Initialize(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if again, err := c.MasterFingerprint(ctx(t)); err != nil || again != fpr {
		t.Fatalf("resumed session: %08x %v", again, err)
	}
}

func TestDeviceStates(t *testing.T) {
	_, c := start(t, simtrezor.Options{Faults: simtrezor.Faults{NotInitialized: true}}, nil)
	if _, err := c.Initialize(ctx(t)); !errors.Is(err, trezor.ErrNotInitialized) || trezor.Hint(err) == "" {
		t.Fatalf("not initialised: %v", err)
	}
	if _, err := c.MasterFingerprint(ctx(t)); !errors.Is(err, trezor.ErrNotInitialized) {
		t.Fatalf("not initialised, key request: %v", err)
	}

	_, c = start(t, simtrezor.Options{Version: [3]uint32{1, 6, 3}}, nil)
	if _, err := c.Initialize(ctx(t)); !errors.Is(err, trezor.ErrFirmwareTooOld) {
		t.Fatalf("old firmware: %v", err)
	}
	_, c = start(t, simtrezor.Options{Version: [3]uint32{1, 10, 3}}, nil)
	if _, err := c.Address(ctx(t), "Bitcoin", []uint32{h | 86, h, h, 0, 0}, tw.SpendTaproot, false); !errors.Is(err, trezor.ErrFirmwareTooOld) {
		t.Fatalf("taproot on 1.10.3: %v", err)
	}
}

func TestSilentDevice(t *testing.T) {
	dev, c := start(t, simtrezor.Options{}, nil)
	c.ReplyTimeout = 300 * time.Millisecond
	dev.SetFaults(simtrezor.Faults{Silent: true})
	start := time.Now()
	_, err := c.MasterFingerprint(ctx(t))
	if !errors.Is(err, trezor.ErrSilent) || trezor.Hint(err) == "" {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
}

// Cancelling while the device waits for the user sends Cancel; the device
// is idle again afterwards.
func TestCancelWhileWaiting(t *testing.T) {
	waiting := make(chan struct{}, 1)
	opts := simtrezor.Options{Mnemonic: abandon, Confirm: func(ctx context.Context, s simtrezor.Screen) bool {
		waiting <- struct{}{}
		<-ctx.Done()
		return false
	}}
	dev, c := start(t, opts, nil)
	cctx, cancel := context.WithCancel(context.Background())
	go func() { <-waiting; cancel() }()
	began := time.Now()
	_, err := c.Address(cctx, "Bitcoin", []uint32{h | 84, h, h, 0, 0}, tw.SpendWitness, true)
	if !errors.Is(err, trezor.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("cancelling took %v: the device did not take the Cancel", d)
	}
	if s, err := c.Ping(ctx(t), "again"); err != nil || s != "again" {
		t.Fatalf("after cancel: %q %v", s, err)
	}
	_ = dev
}

// onDeviceUI chooses passphrase entry on the device.
type onDeviceUI struct{ testUI }

func (u *onDeviceUI) Passphrase(ctx context.Context, onDeviceOK bool) (string, bool, error) {
	return "ignored", onDeviceOK, nil
}

func TestPassphraseOnDevice(t *testing.T) {
	// A touchscreen model takes it on its own screen when the user
	// chooses so: the passphrase typed at the host is not sent.
	ui := &onDeviceUI{}
	addr, _ := simtest.Trezor(t, simtrezor.Options{Mnemonic: abandon, Model: "T", Version: [3]uint32{2, 6, 0},
		PassphraseProtection: true, DevicePassphrase: "TREZOR"})
	u, err := transport.DialTrezorUDP(ctx(t), addr)
	if err != nil {
		t.Fatal(err)
	}
	ct := trezor.New(tw.NewPacketLink(u), ui)
	defer ct.Close()
	if _, err := ct.Initialize(ctx(t)); err != nil {
		t.Fatal(err)
	}
	fpr, err := ct.MasterFingerprint(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if fpr != trezorPassphraseFingerprint() {
		t.Fatalf("fingerprint %08x: the on-device passphrase was not used", fpr)
	}
}

// trezorPassphraseFingerprint is the master fingerprint of "abandon ...
// about" with passphrase "TREZOR": the BIP39 vectors give its master key.
func trezorPassphraseFingerprint() uint32 {
	master, _ := hdkeychain.NewKeyFromString("xprv9s21ZrQH143K3h3fDYiay8mocZ3afhfULfb5GX8kCBdno77K4HiA15Tg23wpbeF1pLfs1c5SPmYHrEpTuuRhxMwvKDwqdKiGJS9XFKzUsAF")
	pub, _ := master.ECPubKey()
	h := btcutil.Hash160(pub.SerializeCompressed())
	return uint32(h[0])<<24 | uint32(h[1])<<16 | uint32(h[2])<<8 | uint32(h[3])
}
