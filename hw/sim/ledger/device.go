package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/chaincfg"
)

// Warning is the text New returns; the caller must show it to the user.
const Warning = "this simulated Ledger holds a private key; never put real funds on its seed"

// SpeculosMnemonic is the default seed of Ledger's Speculos emulator
// (speculos/main.py, DEFAULT_SEED). Its master fingerprint is f5acc2fd. It
// is public: anything sent to its addresses can be taken by anyone.
const SpeculosMnemonic = "glory promote mansion idle axis finger extra february uncover one trip " +
	"resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin"

// DefaultAppVersion is the Bitcoin app version reported when Options leaves
// it empty (the version of app-bitcoin-new the simulator follows).
const DefaultAppVersion = "2.4.6"

// Status words (app-bitcoin-new src/boilerplate/sw.h; 0x5515 and 0x6807
// come from the OS).
const (
	SWOK              uint16 = 0x9000
	SWDeny            uint16 = 0x6985
	SWIncorrectData   uint16 = 0x6A80
	SWNotSupported    uint16 = 0x6A82
	SWWrongP1P2       uint16 = 0x6A86
	SWWrongDataLength uint16 = 0x6A87
	SWInsNotSupported uint16 = 0x6D00
	SWClaNotSupported uint16 = 0x6E00
	SWBadState        uint16 = 0xB007
	SWSignatureFail   uint16 = 0xB008
	SWInterruptedExec uint16 = 0xE000
	SWLocked          uint16 = 0x5515
	SWAppNotInstalled uint16 = 0x6807
)

// Command bytes.
const (
	claOS        = 0xB0 // SDK default APDUs
	insGetAppVer = 0x01
	insQuitApp   = 0xA7

	claDashboard = 0xE0
	insOpenApp   = 0xD8

	claApp             = 0xE1
	insGetExtPubkey    = 0x00
	insRegisterWallet  = 0x02
	insSignPSBT        = 0x04
	insGetWalletAddr   = 0x03
	insGetMasterFpr    = 0x05
	claFramework       = 0xF8
	insContinue        = 0x01
	maxProtocolVersion = 1 // CURRENT_PROTOCOL_VERSION
)

// dashboardName and dashboardVersion are what GET_APP_AND_VERSION reports
// while the dashboard is open.
const (
	dashboardName    = "BOLOS"
	dashboardVersion = "2.2.3"
)

// Errors returned by Exchange and Serve.
var (
	// ErrDisconnected is returned once the DisconnectAfter fault fires: the
	// device behaves as unplugged until the fault is cleared.
	ErrDisconnected = errors.New("ledger sim: device disconnected")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("ledger sim: device closed")
)

// Faults are failures a test can switch on to exercise a client's error
// paths. The zero value means none.
type Faults struct {
	// RejectNext makes the user refuse the next confirmation screen: the
	// next request that shows something on the device (an xpub or address
	// with display set, a non-standard path, a transaction to sign before
	// any signature is made, a policy to register) answers 0x6985. Requests that
	// show nothing are unaffected, as on a real device. It clears itself
	// once used.
	RejectNext bool
	// Locked makes the device answer 0x5515 to every APDU, as a device at
	// its PIN screen does.
	Locked bool
	// Dashboard puts the device on its dashboard (app "BOLOS") instead of
	// the Bitcoin app: CLA E1 gets 0x6E00. OPEN_APP (E0 D8) with the app's
	// name clears it, QUIT_APP (B0 A7) sets it.
	Dashboard bool
	// DisconnectAfter, when > 0, lets that many more exchanges through and
	// then unplugs the device: Exchange returns ErrDisconnected and Serve
	// drops every connection until the faults are set again.
	DisconnectAfter int
}

// Options configure a simulated device.
type Options struct {
	// Mnemonic is the BIP39 mnemonic (English word list) the keys derive
	// from; empty means SpeculosMnemonic.
	Mnemonic string
	// Passphrase is the optional BIP39 passphrase.
	Passphrase string
	// Network selects the app: chaincfg.MainNetParams runs "Bitcoin" (xpub,
	// coin type 0'); any other network runs "Bitcoin Test" (tpub, coin type
	// 1'). Nil means testnet. Like the real app, "Bitcoin Test" encodes
	// addresses for testnet (tb1..., m/n..., 2...) even on regtest or signet.
	Network *chaincfg.Params
	// AppVersion is the reported app version; empty means DefaultAppVersion.
	AppVersion string
	// Faults are active from the start.
	Faults Faults
	// Confirm stands for the user in front of the device: the device calls
	// it at each confirmation screen, saying what the screen shows, and
	// approves when it returns true. It may block, as a user reading the
	// screen does, and the exchange waits meanwhile; ctx ends when the
	// device is closed. nil approves at once. A RejectNext fault refuses
	// before Confirm is asked.
	Confirm func(ctx context.Context, s Screen) bool
}

// Screen is what a confirmation screen of the device shows.
type Screen string

// The confirmation screens.
const (
	ScreenXpub     Screen = "xpub"     // an extended public key (display set)
	ScreenAddress  Screen = "address"  // an address (display set)
	ScreenRegister Screen = "register" // a wallet policy to register
	ScreenSign     Screen = "sign"     // a transaction: each output and the fee
)

// coin holds what differs between the "Bitcoin" and "Bitcoin Test" builds
// of the app (app-bitcoin-new Makefile).
type coin struct {
	appName     string
	xpubVersion uint32
	coinType    uint32
	p2pkh, p2sh byte
	hrp         string
}

var (
	coinMain = coin{"Bitcoin", 0x0488B21E, 0, 0, 5, "bc"}
	coinTest = coin{"Bitcoin Test", 0x043587CF, 1, 111, 196, "tb"}
)

// Device is one simulated Ledger with the Bitcoin app installed. Its methods
// are safe for concurrent use; exchanges are handled one at a time.
type Device struct {
	keys       *keyring
	coin       coin
	appVersion string

	confirmHook func(ctx context.Context, s Screen) bool
	// life ends when the device is closed: it bounds a blocking Confirm.
	life     context.Context
	lifeDone context.CancelFunc

	mu        sync.Mutex
	faults    Faults
	exchanges int // exchanges since the faults were last set
	unplugged bool
	closed    bool
	pending   *call // command waiting for a CONTINUE, if any

	srv server
}

// New builds a device from opts. The returned warning must be shown to the
// user: the device holds a private key.
func New(opts Options) (dev *Device, warning string, err error) {
	mnemonic := opts.Mnemonic
	if strings.TrimSpace(mnemonic) == "" {
		mnemonic = SpeculosMnemonic
	}
	keys, err := newKeyring(mnemonic, opts.Passphrase)
	if err != nil {
		return nil, "", err
	}
	c := coinTest
	if opts.Network != nil && opts.Network.Net == chaincfg.MainNetParams.Net {
		c = coinMain
	}
	version := opts.AppVersion
	if version == "" {
		version = DefaultAppVersion
	}
	if len(version) > 32 {
		return nil, "", fmt.Errorf("ledger sim: app version %q too long", version)
	}
	d := &Device{keys: keys, coin: c, appVersion: version, faults: opts.Faults, confirmHook: opts.Confirm}
	d.life, d.lifeDone = context.WithCancel(context.Background())
	return d, Warning, nil
}

// AppName returns the name of the app the device runs ("Bitcoin" or
// "Bitcoin Test").
func (d *Device) AppName() string { return d.coin.appName }

// MasterFingerprint returns the BIP32 fingerprint of the master key.
func (d *Device) MasterFingerprint() [4]byte { return d.keys.Fingerprint }

// SetFaults replaces the active faults and restarts the DisconnectAfter
// count. Setting faults plugs an unplugged device back in.
func (d *Device) SetFaults(f Faults) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = f
	d.exchanges = 0
	d.unplugged = false
}

// Faults returns the active faults.
func (d *Device) Faults() Faults {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.faults
}

// Exchange sends one command APDU (CLA INS P1 P2 Lc data) and returns the
// response data followed by the two status bytes. The only errors are
// ErrDisconnected and ErrClosed; device-level failures are status words.
func (d *Device) Exchange(apdu []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil, ErrClosed
	}
	if d.unplugged {
		return nil, ErrDisconnected
	}
	if n := d.faults.DisconnectAfter; n > 0 {
		if d.exchanges >= n {
			d.unplug()
			return nil, ErrDisconnected
		}
		d.exchanges++
	}
	return d.dispatch(apdu), nil
}

// unplug drops the device off the bus; a command in progress is lost.
func (d *Device) unplug() {
	d.unplugged = true
	d.abortPending()
}

// Close ends any command in progress and stops Serve. Exchange fails with
// ErrClosed afterwards.
func (d *Device) Close() error {
	d.lifeDone() // first: a Confirm blocking with the lock held gives up
	d.mu.Lock()
	d.closed = true
	d.abortPending()
	d.mu.Unlock()
	d.srv.close()
	return nil
}

// dispatch answers one APDU, in the order the OS and the app check things.
func (d *Device) dispatch(apdu []byte) []byte {
	// 1. A locked device answers nothing but "locked".
	if d.faults.Locked {
		d.abortPending()
		return sw(SWLocked)
	}

	// 2. The SDK answers its default APDUs before the app sees them, when
	// P1 = P2 = 0, without looking at Lc.
	if len(apdu) >= 4 && apdu[0] == claOS && apdu[2] == 0 && apdu[3] == 0 {
		switch apdu[1] {
		case insGetAppVer:
			return d.appAndVersion()
		case insQuitApp:
			d.abortPending()
			d.faults.Dashboard = true
			return sw(SWOK)
		}
	}

	if d.faults.Dashboard {
		d.abortPending()
		return d.dashboard(apdu)
	}

	// 3. The app's parser: header plus Lc, and Lc must match the data.
	if len(apdu) < 5 || int(apdu[4]) != len(apdu)-5 {
		d.abortPending()
		return sw(SWWrongDataLength)
	}
	cla, ins, p2, data := apdu[0], apdu[1], apdu[3], apdu[5:]

	// 4. A command waiting for the client: only CONTINUE is valid now.
	if d.pending != nil {
		if cla != claFramework || ins != insContinue {
			d.abortPending()
			return sw(SWIncorrectData)
		}
		return d.resume(data)
	}

	// 5. The dispatcher: protocol version, stray CONTINUE, CLA, INS. P1 is
	// not checked by the app.
	if p2 > maxProtocolVersion {
		return sw(SWWrongP1P2)
	}
	if cla == claFramework && ins == insContinue {
		return sw(SWBadState)
	}
	if cla != claApp {
		return sw(SWClaNotSupported)
	}
	switch ins {
	case insGetExtPubkey:
		return d.getExtendedPubkey(data)
	case insGetMasterFpr:
		return append(d.keys.Fingerprint[:], 0x90, 0x00)
	case insGetWalletAddr:
		return d.start(p2, data, d.getWalletAddress)
	case insRegisterWallet:
		return d.start(p2, data, d.registerWallet)
	case insSignPSBT:
		return d.start(p2, data, d.signPSBT)
	default:
		return sw(SWInsNotSupported)
	}
}

// appAndVersion answers GET_APP_AND_VERSION:
//
//	| size | field                                  |
//	|------|----------------------------------------|
//	| 1    | format, 0x01                           |
//	| 1+n  | length, app name                       |
//	| 1+n  | length, version                        |
//	| 1+1  | flags length (1), OS flags (0x00)      | apps only
//
// The dashboard omits the flags (SDK os_io_seproxyhal_get_app_name_and_version
// with HAVE_BOLOS and the io task); Speculos' os_flags is 0.
func (d *Device) appAndVersion() []byte {
	name, version := d.coin.appName, d.appVersion
	if d.faults.Dashboard {
		name, version = dashboardName, dashboardVersion
	}
	out := []byte{0x01, byte(len(name))}
	out = append(out, name...)
	out = append(out, byte(len(version)))
	out = append(out, version...)
	if !d.faults.Dashboard {
		out = append(out, 0x01, 0x00)
	}
	return append(out, 0x90, 0x00)
}

// dashboard answers APDUs while no app is open. OPEN_APP is
//
//	E0 D8 00 00 Lc <app name, ASCII>
//
// and answers 0x9000 when the name is the installed app's (the app then
// runs), 0x6807 otherwise.
func (d *Device) dashboard(apdu []byte) []byte {
	if len(apdu) < 5 || int(apdu[4]) != len(apdu)-5 {
		return sw(SWWrongDataLength)
	}
	switch {
	case apdu[0] == claDashboard && apdu[1] == insOpenApp:
		if string(apdu[5:]) != d.coin.appName {
			return sw(SWAppNotInstalled)
		}
		d.faults.Dashboard = false
		return sw(SWOK)
	case apdu[0] == claDashboard:
		return sw(SWInsNotSupported)
	default:
		return sw(SWClaNotSupported)
	}
}

// confirm stands for a confirmation screen: it reports whether the user
// approved, consuming a RejectNext fault, then asking Options.Confirm.
func (d *Device) confirm(s Screen) bool {
	if d.faults.RejectNext {
		d.faults.RejectNext = false
		return false
	}
	if d.confirmHook != nil {
		return d.confirmHook(d.life, s) && d.life.Err() == nil
	}
	return true
}

// sw returns a response with no data.
func sw(code uint16) []byte {
	return binary.BigEndian.AppendUint16(nil, code)
}

// withSW appends a status word to data.
func withSW(data []byte, code uint16) []byte {
	return binary.BigEndian.AppendUint16(data, code)
}
