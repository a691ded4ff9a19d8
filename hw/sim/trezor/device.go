// Package trezor is a software Trezor (a Trezor One with Bitcoin-only
// use), for tests, for trying the hw commands and for checking interop
// with trezorlib.
//
// # WARNING: THIS PACKAGE HOLDS PRIVATE KEYS
//
// The device derives its key tree from a BIP39 mnemonic kept in memory, in
// the clear (hw/sim/keys). Never load a mnemonic that guards real funds,
// and never send real funds to its addresses. New returns a warning that
// the caller must show.
//
// # What it simulates
//
// The device side of wire protocol v1 (hw/trezor/wire), served on the
// emulator's UDP interface (Serve): 64-byte packets, one per datagram, and
// the "PINGPING"/"PONGPONG" liveness ping. It answers
//
//	Initialize, GetFeatures   Features (vendor trezor.io, model "1")
//	Ping                      Success (ButtonRequest first with button_protection)
//	GetPublicKey              PublicKey (node, xpub/ypub/zpub or t/u/vpub, root fingerprint)
//	GetAddress                Address (p2pkh, p2sh-p2wpkh, p2wpkh, p2tr)
//	SignTx                    the TxRequest/TxAck flow (legacy/firmware/signing.c order)
//	Cancel                    Failure ActionCancelled
//
// with a PIN (PinMatrixRequest: digits shuffled on a 3x3 grid, shown
// through Options.ShowPIN, the host sends positions) and passphrase
// protection (PassphraseRequest, cached per session). Coins "Bitcoin",
// "Testnet" and "Regtest". Every message not listed gets Failure
// UnexpectedMessage.
//
// Faults (Options.Faults, Device.SetFaults) drive the error paths: the user
// refusing, a device without a seed, a device that goes silent.
package trezor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/chaincfg"

	"codeberg.org/hardfolio/hardfolio/hw/sim/keys"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// Warning is the text New returns; the caller must show it to the user.
const Warning = "this simulated Trezor holds a private key; never put real funds on its seed"

// TestMnemonic is the public test seed of trezor-firmware's device tests
// ("all" twelve times). Anything sent to its addresses can be taken by
// anyone.
const TestMnemonic = "all all all all all all all all all all all all"

// DefaultVersion is the firmware version reported when Options leaves it
// empty: a Trezor One firmware with taproot (1.10.4 or later).
var DefaultVersion = [3]uint32{1, 12, 1}

// Screen is what a confirmation screen shows.
type Screen string

// The confirmation screens.
const (
	ScreenXpub    Screen = "xpub"    // a public key (show_display)
	ScreenAddress Screen = "address" // an address (show_display)
	ScreenOutput  Screen = "output"  // an external output of a transaction
	ScreenSign    Screen = "sign"    // the total and fee of a transaction
	ScreenPing    Screen = "ping"    // a Ping with button protection
)

// Faults are failures a test can switch on. The zero value means none.
type Faults struct {
	// RejectNext makes the user press cancel at the next confirmation
	// screen: Failure ActionCancelled. It clears itself once used.
	RejectNext bool
	// NotInitialized makes the device a fresh one without a seed:
	// Features.initialized is false and key requests fail NotInitialized.
	NotInitialized bool
	// Silent makes the device stop answering: it reads messages and sends
	// nothing back, not even the liveness pong.
	Silent bool
	// SilentAfter, when > 0, lets that many more messages through and then
	// turns Silent on.
	SilentAfter int
	// BadPrevHash makes the device believe every previous transaction
	// hashes to something else than the input says (as firmware does when
	// the host lies about one): Failure DataError.
	BadPrevHash bool
}

// Options configure a simulated device.
type Options struct {
	// Mnemonic is the BIP39 mnemonic (English); empty means TestMnemonic.
	Mnemonic string
	// PIN, when set (digits 1-9), protects the device.
	PIN string
	// PassphraseProtection makes the device ask for a BIP39 passphrase.
	PassphraseProtection bool
	// Network is the network the device is meant for: it only picks the
	// coin the command line prints keys for. The device answers for
	// "Bitcoin", "Testnet" and "Regtest" alike, as a real Trezor does.
	Network *chaincfg.Params
	// Version is the firmware version; zero means DefaultVersion.
	Version [3]uint32
	// Model is Features.model; empty means "1".
	Model string
	// Label is Features.label.
	Label string
	// Faults are active from the start.
	Faults Faults
	// Confirm stands for the user in front of the device: asked at each
	// confirmation screen, it approves by returning true. It may block;
	// ctx ends when the device is closed. nil approves at once.
	Confirm func(ctx context.Context, s Screen) bool
	// DevicePassphrase is what the user types on the device when the host
	// asks for passphrase entry on the device; only a model other than
	// "1" offers that (capability PassphraseEntry).
	DevicePassphrase string
	// ShowPIN is the device's screen during PIN entry: the digits at the
	// keypad positions, rows top to bottom (positions 7 8 9, 4 5 6, 1 2 3).
	ShowPIN func(grid [3][3]byte)
}

// msg is a message from the host.
type msg struct {
	typ     uint16
	payload []byte
}

// Device is one simulated Trezor. Messages are handled one at a time by a
// goroutine of its own, which waits for the host inside flows (SignTx).
type Device struct {
	opts  Options
	seed  string // the mnemonic
	base  *keys.Keyring
	model string

	life     context.Context
	lifeDone context.CancelFunc

	in chan msg

	mu        sync.Mutex
	faults    Faults
	handled   int
	out       func(typ uint16, payload []byte) // where replies go (the last peer)
	unlocked  bool
	sessionID []byte
	session   *keys.Keyring // the passphrase's keys, once given this session
	closed    bool

	srv server
}

// Errors.
var (
	ErrClosed = errors.New("trezor sim: device closed")
)

// New builds a device. The returned warning must be shown to the user.
func New(opts Options) (*Device, string, error) {
	mn := opts.Mnemonic
	if strings.TrimSpace(mn) == "" {
		mn = TestMnemonic
	}
	seed, err := keys.Seed(mn, "")
	if err != nil {
		return nil, "", fmt.Errorf("trezor sim: mnemonic: %w", err)
	}
	base, err := keys.FromSeed(seed)
	if err != nil {
		return nil, "", fmt.Errorf("trezor sim: %w", err)
	}
	for _, r := range opts.PIN {
		if r < '1' || r > '9' {
			return nil, "", fmt.Errorf("trezor sim: a PIN has digits 1-9 only")
		}
	}
	if len(opts.PIN) > 9 {
		return nil, "", fmt.Errorf("trezor sim: a PIN has at most 9 digits")
	}
	if opts.Version == [3]uint32{} {
		opts.Version = DefaultVersion
	}
	model := opts.Model
	if model == "" {
		model = "1"
	}
	d := &Device{opts: opts, seed: mn, base: base, model: model, faults: opts.Faults, in: make(chan msg, 64)}
	d.life, d.lifeDone = context.WithCancel(context.Background())
	d.newSession()
	go d.run()
	return d, Warning, nil
}

// MasterFingerprint returns the fingerprint of the master key without
// passphrase.
func (d *Device) MasterFingerprint() [4]byte { return d.base.Fingerprint }

// SetFaults replaces the active faults and restarts the SilentAfter count.
func (d *Device) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
	d.handled = 0
}

// Faults returns the active faults.
func (d *Device) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// silent reports whether the device answers nothing now.
func (d *Device) silent() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults.Silent
}

// Close stops the device and its server.
func (d *Device) Close() error {
	d.lifeDone()
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.srv.close()
	return nil
}

// deliver hands a complete message from the host to the device.
func (d *Device) deliver(m msg) {
	d.mu.Lock()
	if n := d.faults.SilentAfter; n > 0 {
		d.handled++
		if d.handled > n {
			d.faults.Silent = true
		}
	}
	silent := d.faults.Silent
	d.mu.Unlock()
	if silent {
		return
	}
	select {
	case d.in <- m:
	case <-d.life.Done():
	}
}

// send writes a message to the host.
func (d *Device) send(m wire.Message) {
	if d.silent() {
		return
	}
	d.mu.Lock()
	out := d.out
	d.mu.Unlock()
	if out != nil {
		out(m.MessageType(), wire.Marshal(m))
	}
}

// next waits for the host's next message.
func (d *Device) next() (msg, bool) {
	select {
	case m := <-d.in:
		return m, true
	case <-d.life.Done():
		return msg{}, false
	}
}

func (d *Device) newSession() {
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	d.sessionID, d.session = id, nil
}

// run is the device's main loop.
func (d *Device) run() {
	m, ok := d.next()
	for ok {
		var again *msg
		again = d.handle(m)
		if again != nil {
			m = *again
			continue
		}
		m, ok = d.next()
	}
}

// interrupt ends a flow: with a failure to send, or with a message that
// starts something new (Initialize in the middle of a flow).
type interrupt struct {
	fail *wire.Failure
	next *msg
}

func (i *interrupt) Error() string {
	if i.fail != nil {
		return i.fail.Message
	}
	return "interrupted by " + wire.TypeName(i.next.typ)
}

func fail(code uint32, text string) *interrupt {
	return &interrupt{fail: &wire.Failure{Code: code, Message: text}}
}

// handle answers one message that starts an operation, and returns a
// message that interrupted it, if any, to handle next.
func (d *Device) handle(m msg) *msg {
	err := d.dispatch(m)
	var in *interrupt
	if errors.As(err, &in) {
		if in.next != nil {
			return in.next
		}
		d.send(*in.fail)
		return nil
	}
	if err != nil {
		d.send(wire.Failure{Code: wire.FailureProcessError, Message: err.Error()})
	}
	return nil
}

func (d *Device) dispatch(m msg) error {
	decode := func(out any) error {
		if err := wire.Unmarshal(m.payload, out); err != nil {
			return fail(wire.FailureDataError, "Failed to decode message: "+err.Error())
		}
		return nil
	}
	switch m.typ {
	case wire.TypeInitialize:
		var in wire.Initialize
		if err := decode(&in); err != nil {
			return err
		}
		if len(in.SessionID) == 0 || hex.EncodeToString(in.SessionID) != hex.EncodeToString(d.sessionID) {
			d.newSession()
		}
		d.send(d.features())
	case wire.TypeGetFeatures:
		d.send(d.features())
	case wire.TypeCancel:
		return fail(wire.FailureActionCancelled, "Cancelled")
	case wire.TypePing:
		var p wire.Ping
		if err := decode(&p); err != nil {
			return err
		}
		if p.ButtonProtection {
			if err := d.button(wire.ButtonOther, ScreenPing); err != nil {
				return err
			}
		}
		d.send(wire.Success{Message: p.Message})
	case wire.TypeGetPublicKey:
		var g wire.GetPublicKey
		if err := decode(&g); err != nil {
			return err
		}
		return d.getPublicKey(g)
	case wire.TypeGetAddress:
		var g wire.GetAddress
		if err := decode(&g); err != nil {
			return err
		}
		return d.getAddress(g)
	case wire.TypeSignTx:
		var s wire.SignTx
		if err := decode(&s); err != nil {
			return err
		}
		return d.signTx(s)
	default:
		return fail(wire.FailureUnexpectedMessage, "Unexpected message")
	}
	return nil
}

func (d *Device) features() wire.Features {
	d.mu.Lock()
	notInit := d.faults.NotInitialized
	d.mu.Unlock()
	unlocked := d.opts.PIN == "" || d.unlocked
	return wire.Features{
		Vendor: "trezor.io", MajorVersion: d.opts.Version[0], MinorVersion: d.opts.Version[1], PatchVersion: d.opts.Version[2],
		DeviceID: strings.ToUpper(hex.EncodeToString(d.base.Fingerprint[:])) + "SIM", Language: "en-US",
		PinProtection: d.opts.PIN != "", PassphraseProtection: d.opts.PassphraseProtection,
		Label: d.opts.Label, Initialized: !notInit, Unlocked: &unlocked, Model: d.model,
		Capabilities: d.capabilities(), SessionID: d.sessionID,
	}
}

// capabilities are the Trezor One's for Bitcoin, plus passphrase entry
// on the device for the touchscreen models.
func (d *Device) capabilities() []uint32 {
	if d.model == "1" {
		return []uint32{wire.CapabilityBitcoin}
	}
	return []uint32{wire.CapabilityBitcoin, wire.CapabilityPassphraseEntry}
}

// ask sends m and waits for the host's answer. Cancel ends the flow with
// ActionCancelled, Initialize ends it to start again; want lists the
// message types that continue it.
func (d *Device) ask(m wire.Message, want ...uint16) (msg, error) {
	d.send(m)
	r, ok := d.next()
	if !ok {
		return msg{}, ErrClosed
	}
	for _, w := range want {
		if r.typ == w {
			return r, nil
		}
	}
	switch r.typ {
	case wire.TypeCancel:
		return msg{}, fail(wire.FailureActionCancelled, "Cancelled")
	case wire.TypeInitialize, wire.TypeGetFeatures:
		return msg{}, &interrupt{next: &r}
	}
	return msg{}, fail(wire.FailureUnexpectedMessage, "Unexpected message")
}

// button shows a confirmation screen: ButtonRequest, the host's ButtonAck,
// then the user's decision.
func (d *Device) button(code uint32, s Screen) error {
	if _, err := d.ask(wire.ButtonRequest{Code: code}, wire.TypeButtonAck); err != nil {
		return err
	}
	d.mu.Lock()
	reject := d.faults.RejectNext
	d.faults.RejectNext = false
	d.mu.Unlock()
	if reject {
		return fail(wire.FailureActionCancelled, "Cancelled")
	}
	if d.opts.Confirm == nil {
		return nil
	}
	// The user decides while the host may send Cancel (or start over):
	// either ends the screen, as on a real device.
	cctx, stop := context.WithCancel(d.life)
	defer stop()
	done := make(chan bool, 1)
	go func() { done <- d.opts.Confirm(cctx, s) }()
	select {
	case ok := <-done:
		if !ok || d.life.Err() != nil {
			return fail(wire.FailureActionCancelled, "Cancelled")
		}
		return nil
	case m := <-d.in:
		stop()
		<-done
		if m.typ == wire.TypeInitialize || m.typ == wire.TypeGetFeatures {
			return &interrupt{next: &m}
		}
		if m.typ == wire.TypeCancel {
			return fail(wire.FailureActionCancelled, "Cancelled")
		}
		return fail(wire.FailureUnexpectedMessage, "Unexpected message")
	case <-d.life.Done():
		return ErrClosed
	}
}

// keyring unlocks the device if needed (PIN), asks for the passphrase if
// needed, and returns the keys of this session.
func (d *Device) keyring() (*keys.Keyring, error) {
	d.mu.Lock()
	notInit := d.faults.NotInitialized
	d.mu.Unlock()
	if notInit {
		return nil, fail(wire.FailureNotInitialized, "Device not initialized")
	}
	if d.opts.PIN != "" && !d.unlocked {
		if err := d.pin(); err != nil {
			return nil, err
		}
	}
	if !d.opts.PassphraseProtection {
		return d.base, nil
	}
	if d.session != nil {
		return d.session, nil
	}
	r, err := d.ask(wire.PassphraseRequest{}, wire.TypePassphraseAck)
	if err != nil {
		return nil, err
	}
	var a wire.PassphraseAck
	if err := wire.Unmarshal(r.payload, &a); err != nil {
		return nil, fail(wire.FailureDataError, "Failed to decode message")
	}
	p := ""
	switch {
	case a.OnDevice && d.model == "1":
		return nil, fail(wire.FailureDataError, "Passphrase entry on the device is not supported by this model")
	case a.OnDevice && a.Passphrase != nil:
		return nil, fail(wire.FailureDataError, "Passphrase provided when entering on the device")
	case a.OnDevice:
		p = d.opts.DevicePassphrase
	case a.Passphrase != nil:
		p = *a.Passphrase
	}
	if len(p) > 50 {
		return nil, fail(wire.FailureDataError, "Passphrase too long")
	}
	seed, err := keys.Seed(d.seed, p)
	if err != nil {
		return nil, err
	}
	k, err := keys.FromSeed(seed)
	if err != nil {
		return nil, err
	}
	d.session = k
	return k, nil
}

// pin runs PIN entry (legacy/firmware/pinmatrix.c): digits 1-9 shuffled
// over the keypad positions, the host answers with positions.
func (d *Device) pin() error {
	var perm [9]byte
	for i := range perm {
		perm[i] = byte('1' + i)
	}
	for i := len(perm) - 1; i > 0; i-- {
		var b [1]byte
		_, _ = rand.Read(b[:])
		j := int(b[0]) % (i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	if d.opts.ShowPIN != nil {
		// Position p (1-9, keypad order) shows perm[p-1]; rows top down.
		d.opts.ShowPIN([3][3]byte{
			{perm[6], perm[7], perm[8]},
			{perm[3], perm[4], perm[5]},
			{perm[0], perm[1], perm[2]},
		})
	}
	r, err := d.ask(wire.PinMatrixRequest{Type: wire.PinCurrent}, wire.TypePinMatrixAck)
	if err != nil {
		return err
	}
	var a wire.PinMatrixAck
	if err := wire.Unmarshal(r.payload, &a); err != nil {
		return fail(wire.FailureDataError, "Failed to decode message")
	}
	var typed []byte
	for _, c := range []byte(a.Pin) {
		if c < '1' || c > '9' {
			return fail(wire.FailurePinInvalid, "Invalid PIN")
		}
		typed = append(typed, perm[c-'1'])
	}
	if string(typed) != d.opts.PIN {
		return fail(wire.FailurePinInvalid, "Invalid PIN")
	}
	d.unlocked = true
	return nil
}

// KeypadPositions is what a user looking at the device's PIN screen types
// at the host: for each digit of pin, its position on grid (as ShowPIN
// gives it, rows top down), numbered like a numeric keypad (7 8 9 / 4 5 6
// / 1 2 3). Tests stand in for the user with it.
func KeypadPositions(grid [3][3]byte, pin string) string {
	var out []byte
	for _, digit := range []byte(pin) {
		for r := range 3 {
			for c := range 3 {
				if grid[r][c] == digit {
					out = append(out, byte('1'+(2-r)*3+c))
				}
			}
		}
	}
	return string(out)
}
