package device

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/btcutil/psbt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/btcapp"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// trezorFactory opens Trezor devices: a Trezor One over USB HID, any
// model through the Trezor bridge, and the emulator over UDP.
//
// A Trezor has no per-network app: the coin of each request follows the
// path's coin type (1' is Testnet, with tpub keys and tb addresses; anything
// else Bitcoin), so Info reports the app "Bitcoin" and the firmware
// version.
type trezorFactory struct{}

func (trezorFactory) vendor() string            { return "Trezor" }
func (trezorFactory) usbVendorID() uint16       { return trezorHIDVendorID }
func (trezorFactory) hidScheme() string         { return SchemeTrezorHID }
func (trezorFactory) emulatorSchemes() []string { return []string{SchemeTrezorUDP, SchemeTrezorBridge} }

func (trezorFactory) model(h transport.HIDInfo) (string, bool) {
	if !isTrezorHIDInterface(h.VendorID, h.ProductID, h.UsagePage, h.Interface) {
		return "", false
	}
	return "Trezor One", true
}

func (trezorFactory) open(ctx context.Context, hub *Hub, u URI, model string) (Device, error) {
	var rt wire.RoundTripper
	switch u.Scheme {
	case SchemeTrezorHID:
		h, err := transport.OpenHID(u.Path)
		if err != nil {
			return nil, err
		}
		rt = wire.NewPacketLink(h)
	case SchemeTrezorUDP:
		c, err := transport.DialTrezorUDP(ctx, u.Path)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrNotFound, u, err)
		}
		rt, model = wire.NewPacketLink(c), "emulator"
	case SchemeTrezorBridge:
		l, m, err := openBridge(ctx, u.Path)
		if err != nil {
			return nil, err
		}
		rt, model = l, m
	default:
		return nil, fmt.Errorf("%w %s", ErrURI, u)
	}
	return newTrezor(hub, rt, model, u), nil
}

// newTrezor is the device at u talking through rt.
func newTrezor(hub *Hub, rt wire.RoundTripper, model string, u URI) *trezorDevice {
	var ui trezor.UI
	if hub != nil && hub.Prompter != nil {
		ui = trezorUI{hub.Prompter}
	}
	return &trezorDevice{client: trezor.New(rt, ui), held: held{info: Info{Vendor: "Trezor", Model: model, URI: u.String()}}}
}

// trezorUI puts a Prompter behind the Trezor client's callbacks.
type trezorUI struct{ p Prompter }

func (u trezorUI) PIN(ctx context.Context, _ uint32) (string, error) { return u.p.PIN(ctx) }
func (u trezorUI) Passphrase(ctx context.Context, onDeviceOK bool) (string, bool, error) {
	return u.p.Passphrase(ctx, onDeviceOK)
}

func (u trezorUI) Button(ctx context.Context, code uint32) {
	what := map[uint32]string{
		wire.ButtonConfirmOutput: "output", wire.ButtonSignTx: "transaction", wire.ButtonFeeOverThreshold: "fee",
		wire.ButtonAddress: "address", wire.ButtonPublicKey: "public key", wire.ButtonPinEntry: "PIN",
		wire.ButtonPassphraseEntry: "passphrase",
	}[code]
	if what == "" {
		what = "request"
	}
	u.p.Confirm(ctx, what)
}

// bridgeLink carries messages through a bridge session: /post and /read,
// or with a bridge older than 2.0.25 one /call per message and answer
// (the message waits in pending until the answer is read).
type bridgeLink struct {
	s       *transport.BridgeSession
	call    bool
	pending []byte
}

func (l *bridgeLink) Write(ctx context.Context, typ uint16, payload []byte) error {
	if l.call {
		l.pending = wire.EncodeBridge(typ, payload)
		return nil
	}
	return l.s.Post(ctx, wire.EncodeBridge(typ, payload))
}

func (l *bridgeLink) Read(ctx context.Context) (uint16, []byte, error) {
	var b []byte
	var err error
	if l.call {
		if l.pending == nil {
			return 0, nil, fmt.Errorf("%w: nothing sent to answer (this bridge only takes /call)", transport.ErrBridge)
		}
		b, err = l.s.Call(ctx, l.pending)
		l.pending = nil
	} else {
		b, err = l.s.Read(ctx)
	}
	if err != nil {
		return 0, nil, err
	}
	return wire.DecodeBridge(b)
}

func (l *bridgeLink) Close() error { return l.s.Release() }

// openBridge acquires the device at path ("host:port" for the first one,
// "host:port/device" for a given one), taking it over from the session
// that holds it, as trezorlib does.
func openBridge(ctx context.Context, path string) (wire.RoundTripper, string, error) {
	addr, want, _ := strings.Cut(path, "/")
	b, err := transport.NewBridge(addr)
	if err != nil {
		return nil, "", err
	}
	version, err := b.Version(ctx)
	if err != nil {
		return nil, "", err
	}
	devs, err := b.Enumerate(ctx)
	if err != nil {
		return nil, "", err
	}
	for _, d := range devs {
		if want != "" && d.Path != want {
			continue
		}
		return acquireBridge(ctx, b, version, d)
	}
	if want != "" {
		return nil, "", fmt.Errorf("%w: the bridge at %s has no device %q", ErrNotFound, addr, want)
	}
	return nil, "", fmt.Errorf("%w: the bridge at %s sees no Trezor (plugged in? unlocked?)", ErrNotFound, addr)
}

// acquireBridge opens a session on d, a device the bridge b (of version)
// listed, taking it over from the session that holds it.
func acquireBridge(ctx context.Context, b *transport.Bridge, version string, d transport.BridgeDevice) (wire.RoundTripper, string, error) {
	prev := ""
	if d.Session != nil {
		prev = *d.Session
	}
	s, err := b.Acquire(ctx, d.Path, prev)
	if err != nil {
		return nil, "", err
	}
	return &bridgeLink{s: s, call: !transport.SplitCalls(version)}, trezorBridgeModel(d.Vendor, d.Product), nil
}

// bridgeDevices lists the devices of the bridge at h.BridgeAddr, each
// asked for its Info as List asks the others; nothing when no bridge runs
// there. The bridge is asked once for its devices and, when one is free,
// once for its version: probing a device does not go back to it through
// Open, which would ask both again for every device on every listing.
func (h *Hub) bridgeDevices(ctx context.Context) []Info {
	if h.BridgeAddr == "" {
		return nil
	}
	bridgeURI := URI{SchemeTrezorBridge, h.BridgeAddr}.String()
	b, err := transport.NewBridge(h.BridgeAddr)
	if err != nil {
		return []Info{{Vendor: "Trezor", Model: "bridge", URI: bridgeURI, Err: err}}
	}
	lctx, cancel := context.WithTimeout(ctx, h.ProbeTimeout)
	defer cancel()
	devs, err := b.Enumerate(lctx)
	if errors.Is(err, transport.ErrNoBridge) {
		return nil
	}
	if err != nil {
		return []Info{{Vendor: "Trezor", Model: "bridge", URI: bridgeURI, Err: err}}
	}
	out := make([]Info, len(devs))
	var version string
	var verr error
	asked := false
	var wg sync.WaitGroup
	for i, d := range devs {
		u := URI{SchemeTrezorBridge, h.BridgeAddr + "/" + d.Path}
		out[i] = Info{Vendor: "Trezor", Model: trezorBridgeModel(d.Vendor, d.Product), URI: u.String()}
		if d.Session != nil {
			// Listing never takes a device from the application using
			// it; opening it by its URI does, as trezorlib does.
			out[i].Err = fmt.Errorf("%w: another application (Trezor Suite?) holds it", trezor.ErrBusy)
			continue
		}
		if !asked {
			version, verr = b.Version(lctx)
			asked = true
		}
		if verr != nil {
			out[i].Err = verr
			continue
		}
		wg.Add(1)
		go func(in *Info, d transport.BridgeDevice) {
			defer wg.Done()
			*in = h.probeWith(ctx, *in, func(ctx context.Context) (Device, error) {
				rt, model, err := acquireBridge(ctx, b, version, d)
				if err != nil {
					return nil, err
				}
				return newTrezor(h, rt, model, u), nil
			})
		}(&out[i], d)
	}
	wg.Wait()
	return out
}

// trezorDevice is a Trezor; held has its locks and what is known of it.
type trezorDevice struct {
	held
	client *trezor.Client
}

// Info initialises the device and, unless it waits for its PIN or a
// passphrase that no Prompter can give, reads its fingerprint. It never
// asks the user anything.
func (t *trezorDevice) Info(ctx context.Context) (Info, error) {
	in, busy := t.lockForInfo()
	if busy {
		return in, nil
	}
	defer t.comms.Unlock()
	f, err := t.client.Initialize(ctx)
	if f != nil {
		if in.Model == "" || in.Model == "Trezor" || in.Model == "emulator" {
			name := trezor.ModelName(f.Model)
			if in.Model == "emulator" {
				name += " (emulator)"
			}
			in.Model = name
		}
		in.App, in.AppVersion = "Bitcoin", trezor.Version(f)
	}
	in.HasFingerprint = false
	if err == nil {
		switch {
		case f.PinProtection && f.Unlocked != nil && !*f.Unlocked:
			err = fmt.Errorf("%w (locked)", trezor.ErrPINRequired)
		case f.PassphraseProtection:
			// The fingerprint depends on the passphrase: asked only by
			// Fingerprint, when the user is there to give it.
			err = fmt.Errorf("%w (the fingerprint depends on it)", trezor.ErrPassphraseRequired)
		default:
			var fpr uint32
			if fpr, err = t.client.MasterFingerprint(ctx); err == nil {
				in.Fingerprint, in.HasFingerprint = fpr, true
			}
		}
	}
	t.remember(in)
	return in, err
}

func (t *trezorDevice) Fingerprint(ctx context.Context) (uint32, error) {
	t.comms.Lock()
	defer t.comms.Unlock()
	return t.fingerprint(ctx)
}

// fingerprint initialises (once) and reads the fingerprint; comms held.
func (t *trezorDevice) fingerprint(ctx context.Context) (uint32, error) {
	if _, err := t.client.Features(ctx); err != nil {
		return 0, err
	}
	fpr, err := t.client.MasterFingerprint(ctx)
	if err != nil {
		return 0, err
	}
	t.rememberFingerprint(fpr)
	return fpr, nil
}

// trezorCoin picks the coin of a path by its coin type step.
func trezorCoin(path []uint32) trezor.Coin {
	if len(path) >= 2 && path[1] == 1|Hardened {
		return trezor.Testnet
	}
	return trezor.Bitcoin
}

// Xpub returns the xpub (tpub for coin type 1') at path.
func (t *trezorDevice) Xpub(ctx context.Context, path []uint32, display bool) (string, error) {
	t.comms.Lock()
	defer t.comms.Unlock()
	if _, err := t.client.Features(ctx); err != nil {
		return "", err
	}
	pk, err := t.client.PublicKey(ctx, trezorCoin(path).Name, path, wire.SpendAddress, display)
	if err != nil {
		return "", err
	}
	return pk.Xpub, nil
}

var trezorScripts = map[Kind]uint32{PKH: wire.SpendAddress, SHWPKH: wire.SpendP2SHWitness, WPKH: wire.SpendWitness, TR: wire.SpendTaproot}

// Address checks that desc is this device's account (its fingerprint and
// the key at the account path) and asks for the address at chain/index.
func (t *trezorDevice) Address(ctx context.Context, desc DescriptorRef, change bool, index uint32, display bool) (string, error) {
	st, ok := trezorScripts[desc.Kind]
	if !ok {
		return "", fmt.Errorf("%w: script type %q (want pkh, sh-wpkh, wpkh or tr)", ErrUnsupported, desc.Kind)
	}
	t.comms.Lock()
	defer t.comms.Unlock()
	fpr, err := t.fingerprint(ctx)
	if err != nil {
		return "", err
	}
	if err := checkSeed(desc.Fingerprint, fpr); err != nil {
		return "", err
	}
	coin := trezor.Bitcoin
	if strings.HasPrefix(desc.Xpub, "tpub") {
		coin = trezor.Testnet
	}
	pk, err := t.client.PublicKey(ctx, coin.Name, desc.Account, wire.SpendAddress, false)
	if err != nil {
		return "", err
	}
	if pk.Xpub != desc.Xpub {
		return "", fmt.Errorf("%w: the device's key at %s is not the descriptor's", ErrNotOurs, FormatPath(desc.Account))
	}
	chain := uint32(0)
	if change {
		chain = 1
	}
	path := append(append([]uint32(nil), desc.Account...), chain, index)
	return t.client.Address(ctx, coin.Name, path, st, display)
}

// SignPSBT signs every input (all must be this device's) and inserts the
// signatures into a copy of pkt.
func (t *trezorDevice) SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error) {
	t.comms.Lock()
	defer t.comms.Unlock()
	fpr, err := t.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	accounts, err := psbtAccounts(pkt, fpr)
	if err != nil {
		return nil, err
	}
	sigs, _, err := t.client.SignPSBT(ctx, pkt, trezorCoin(accounts[0].Account), fpr)
	if errors.Is(err, trezor.ErrForeignInput) {
		return nil, fmt.Errorf("%w: %w", ErrNotOurs, err)
	}
	if err != nil {
		return nil, err
	}
	ps := make([]btcapp.PartialSignature, len(sigs))
	for i, s := range sigs {
		ps[i] = btcapp.PartialSignature{InputIndex: s.Input, PubKey: s.PubKey, Signature: s.Signature}
	}
	return btcapp.InsertSignatures(pkt, ps)
}

func (t *trezorDevice) Close() error { return t.client.Close() }
