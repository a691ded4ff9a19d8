// Package trezor is the host side of the Trezor protocol for Bitcoin:
// Features, public keys, addresses and transaction signing, over any
// wire.RoundTripper (USB HID, the emulator's UDP port, the bridge).
//
// Every request may be interrupted by the device asking for something:
//
//	ButtonRequest      the user must confirm on the device: UI.Button is
//	                   told, the client answers ButtonAck and waits
//	PinMatrixRequest   UI.PIN returns the positions typed on the scrambled
//	                   keypad, sent as PinMatrixAck
//	PassphraseRequest  UI.Passphrase returns it (or asks for entry on the
//	                   device), sent as PassphraseAck
//	Failure            ends the request with a typed error (errors.go)
//
// Any other message than the one expected is ErrProtocol. Cancelling the
// context, or a UI callback failing, sends Cancel and waits briefly for
// the device's Failure, so the device is left idle.
package trezor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// UI stands for the user at the host. Callbacks run on the goroutine of
// the request; an error from one cancels the request.
type UI interface {
	// PIN asks for the PIN (kind is wire.PinCurrent, ...). The device shows
	// digits 1-9 shuffled on a 3x3 grid; the user answers with the grid
	// positions of the PIN's digits, numbered like a numeric keypad:
	//
	//	7 8 9
	//	4 5 6
	//	1 2 3
	PIN(ctx context.Context, kind uint32) (string, error)
	// Passphrase asks for the wallet passphrase. With onDeviceOK the
	// device can take it on its own screen: return onDevice true for that.
	Passphrase(ctx context.Context, onDeviceOK bool) (passphrase string, onDevice bool, err error)
	// Button says the device now waits for the user to confirm (code is a
	// wire.Button* code).
	Button(ctx context.Context, code uint32)
}

// Minimum firmware per model (trezorlib 0.12 __init__.py). Taproot needs
// 1.10.4 / 2.4.3.
var (
	minFirmware = map[string][3]uint32{"1": {1, 8, 0}, "T": {2, 1, 0}}
	minTaproot  = map[string][3]uint32{"1": {1, 10, 4}, "T": {2, 4, 3}}
)

// Timeouts. The device must answer a request within ReplyTimeout; after a
// ButtonAck, PinMatrixAck or PassphraseAck it may wait for the user up to
// UserTimeout.
const (
	DefaultReplyTimeout = 15 * time.Second
	DefaultUserTimeout  = 10 * time.Minute
	cancelTimeout       = 2 * time.Second
)

// Client talks to one Trezor. It is not safe for concurrent use.
type Client struct {
	rt wire.RoundTripper
	ui UI

	// ReplyTimeout and UserTimeout bound each wait for the device.
	ReplyTimeout, UserTimeout time.Duration

	features  *wire.Features
	sessionID []byte
	trips     atomic.Int64
}

// New returns a client over rt; ui may be nil, and then a PIN or
// passphrase request fails with ErrPINRequired or ErrPassphraseRequired.
func New(rt wire.RoundTripper, ui UI) *Client {
	return &Client{rt: rt, ui: ui, ReplyTimeout: DefaultReplyTimeout, UserTimeout: DefaultUserTimeout}
}

// RoundTrips returns the number of messages sent so far, each answered by
// one message from the device.
func (c *Client) RoundTrips() int64 { return c.trips.Load() }

// Close closes the link.
func (c *Client) Close() error { return c.rt.Close() }

// Initialize starts a session (resuming the last one, for its cached
// passphrase) and checks the device: a Trezor, out of the bootloader,
// with a seed and firmware recent enough.
func (c *Client) Initialize(ctx context.Context) (*wire.Features, error) {
	var f wire.Features
	if err := c.call(ctx, wire.Initialize{SessionID: c.sessionID}, wire.TypeFeatures, &f); err != nil {
		return nil, err
	}
	c.features, c.sessionID = &f, f.SessionID
	return &f, checkFeatures(&f)
}

// Features returns what Initialize learnt, initialising first if needed.
func (c *Client) Features(ctx context.Context) (*wire.Features, error) {
	if c.features != nil {
		return c.features, nil
	}
	return c.Initialize(ctx)
}

// Version formats the firmware version.
func Version(f *wire.Features) string {
	return fmt.Sprintf("%d.%d.%d", f.MajorVersion, f.MinorVersion, f.PatchVersion)
}

func older(f *wire.Features, min [3]uint32) bool {
	return slices.Compare([]uint32{f.MajorVersion, f.MinorVersion, f.PatchVersion}, min[:]) < 0
}

func checkFeatures(f *wire.Features) error {
	if f.Vendor != "trezor.io" && f.Vendor != "bitcointrezor.com" {
		return fmt.Errorf("%w: vendor %q", ErrUnsupported, f.Vendor)
	}
	if f.BootloaderMode {
		return ErrBootloader
	}
	if min, ok := minFirmware[f.Model]; ok && older(f, min) {
		return fmt.Errorf("%w: model %s runs %s, hardfolio needs %d.%d.%d", ErrFirmwareTooOld, f.Model, Version(f), min[0], min[1], min[2])
	}
	if !f.Initialized {
		return ErrNotInitialized
	}
	return nil
}

// ModelName names a Features.model the way Trezor does.
func ModelName(model string) string {
	switch model {
	case "1":
		return "Trezor One"
	case "T":
		return "Trezor Model T"
	case "":
		return "Trezor"
	}
	return "Trezor " + model
}

// call sends msg and decodes the reply of type want into out, answering
// the device's interjections on the way.
func (c *Client) call(ctx context.Context, msg wire.Message, want uint16, out any) error {
	typ, payload, err := c.exchange(ctx, msg)
	if err != nil {
		return err
	}
	if typ != want {
		c.abort()
		return fmt.Errorf("%w: got %s, want %s", ErrProtocol, wire.TypeName(typ), wire.TypeName(want))
	}
	if err := wire.Unmarshal(payload, out); err != nil {
		c.abort()
		return fmt.Errorf("%w: %s: %w", ErrProtocol, wire.TypeName(typ), err)
	}
	return nil
}

// exchange sends msg and returns the device's answer once it is neither a
// ButtonRequest, a PIN or passphrase request, nor a Failure.
func (c *Client) exchange(ctx context.Context, msg wire.Message) (uint16, []byte, error) {
	waitUser := false
	for {
		if err := c.send(ctx, msg); err != nil {
			return 0, nil, err
		}
		typ, payload, err := c.read(ctx, waitUser)
		if err != nil {
			return 0, nil, err
		}
		waitUser = true
		switch typ {
		case wire.TypeFailure:
			var f wire.Failure
			if err := wire.Unmarshal(payload, &f); err != nil {
				return 0, nil, fmt.Errorf("%w: Failure: %w", ErrProtocol, err)
			}
			return 0, nil, failure(f)
		case wire.TypeButtonRequest:
			var b wire.ButtonRequest
			_ = wire.Unmarshal(payload, &b)
			if c.ui != nil {
				c.ui.Button(ctx, b.Code)
			}
			msg = wire.ButtonAck{}
		case wire.TypePinMatrixRequest:
			var r wire.PinMatrixRequest
			_ = wire.Unmarshal(payload, &r)
			if c.ui == nil {
				c.abort()
				return 0, nil, ErrPINRequired
			}
			pin, err := c.ui.PIN(ctx, r.Type)
			if err != nil {
				c.abort()
				return 0, nil, fmt.Errorf("%w: %v", ErrCancelled, err)
			}
			if err := checkPIN(pin); err != nil {
				c.abort()
				return 0, nil, err
			}
			msg = wire.PinMatrixAck{Pin: pin}
		case wire.TypePassphraseRequest:
			if c.ui == nil {
				c.abort()
				return 0, nil, ErrPassphraseRequired
			}
			onDeviceOK := c.features != nil && slices.Contains(c.features.Capabilities, wire.CapabilityPassphraseEntry)
			p, onDevice, err := c.ui.Passphrase(ctx, onDeviceOK)
			if err != nil {
				c.abort()
				return 0, nil, fmt.Errorf("%w: %v", ErrCancelled, err)
			}
			if onDevice && onDeviceOK {
				msg = wire.PassphraseAck{OnDevice: true}
			} else {
				if len(p) > 50 {
					c.abort()
					return 0, nil, fmt.Errorf("%w: a passphrase has at most 50 characters", ErrDataError)
				}
				msg = wire.PassphraseAck{Passphrase: &p}
			}
		default:
			return typ, payload, nil
		}
	}
}

// checkPIN accepts 1 to 50 keypad positions.
func checkPIN(pin string) error {
	if len(pin) == 0 || len(pin) > 50 {
		return fmt.Errorf("%w: a PIN has 1 to 50 digits", ErrWrongPIN)
	}
	for _, r := range pin {
		if r < '1' || r > '9' {
			return fmt.Errorf("%w: type keypad positions 1-9 only", ErrWrongPIN)
		}
	}
	return nil
}

func (c *Client) send(ctx context.Context, msg wire.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.trips.Add(1)
	if err := c.rt.Write(ctx, msg.MessageType(), wire.Marshal(msg)); err != nil {
		return c.ioErr(ctx, err)
	}
	return nil
}

// read waits for the next message, bounded by ReplyTimeout, or by
// UserTimeout when the device may be waiting for the user.
func (c *Client) read(ctx context.Context, waitUser bool) (uint16, []byte, error) {
	d := c.ReplyTimeout
	if waitUser {
		d = c.UserTimeout
	}
	rctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	typ, payload, err := c.rt.Read(rctx)
	if err != nil {
		// The link's deadline can fire a moment before rctx's timer: a
		// deadline error while the caller's own deadline has not passed
		// is ours.
		timedOut := rctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
		if pd, has := ctx.Deadline(); timedOut && ctx.Err() == nil && (!has || time.Until(pd) > 0) {
			return 0, nil, fmt.Errorf("%w: no answer within %v", ErrSilent, d)
		}
		return 0, nil, c.ioErr(ctx, err)
	}
	return typ, payload, nil
}

// ioErr cancels the device's operation when ctx ended.
func (c *Client) ioErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		c.abort()
		return fmt.Errorf("%w: %w", ErrCancelled, ctx.Err())
	}
	return err
}

// abort sends Cancel and reads until the device's Failure (or a short
// timeout), so that the next request starts clean.
func (c *Client) abort() {
	ctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	if err := c.rt.Write(ctx, wire.TypeCancel, nil); err != nil {
		return
	}
	for {
		typ, _, err := c.rt.Read(ctx)
		if err != nil || typ == wire.TypeFailure {
			return
		}
	}
}

// Ping asks the device to echo text.
func (c *Client) Ping(ctx context.Context, text string) (string, error) {
	var s wire.Success
	if err := c.call(ctx, wire.Ping{Message: text}, wire.TypeSuccess, &s); err != nil {
		return "", err
	}
	return s.Message, nil
}

// PublicKey returns the node at path for coin. With display set the device
// shows it and waits for the user.
func (c *Client) PublicKey(ctx context.Context, coin string, path []uint32, scriptType uint32, display bool) (*wire.PublicKey, error) {
	var pk wire.PublicKey
	err := c.call(ctx, wire.GetPublicKey{AddressN: path, CoinName: coin, ScriptType: scriptType, ShowDisplay: display}, wire.TypePublicKey, &pk)
	if err != nil {
		return nil, err
	}
	return &pk, nil
}

// MasterFingerprint returns the master key's fingerprint as a big-endian
// number, as HWI reads it: the parent fingerprint of the node at m/0'.
func (c *Client) MasterFingerprint(ctx context.Context) (uint32, error) {
	pk, err := c.PublicKey(ctx, "Bitcoin", []uint32{0x80000000}, wire.SpendAddress, false)
	if err != nil {
		return 0, err
	}
	if pk.Node.Depth != 1 {
		return 0, fmt.Errorf("%w: node at m/0' has depth %d", ErrProtocol, pk.Node.Depth)
	}
	return pk.Node.Fingerprint, nil
}

// Address returns the address at path for a single-sig script type; with
// display set the device shows it for the user to compare.
func (c *Client) Address(ctx context.Context, coin string, path []uint32, scriptType uint32, display bool) (string, error) {
	if scriptType == wire.SpendTaproot {
		if err := c.needTaproot(ctx); err != nil {
			return "", err
		}
	}
	var a wire.Address
	err := c.call(ctx, wire.GetAddress{AddressN: path, CoinName: coin, ScriptType: scriptType, ShowDisplay: display}, wire.TypeAddress, &a)
	if err != nil {
		return "", err
	}
	return a.Address, nil
}

// needTaproot fails with ErrFirmwareTooOld on firmware without taproot.
func (c *Client) needTaproot(ctx context.Context) error {
	f, err := c.Features(ctx)
	if err != nil {
		return err
	}
	if min, ok := minTaproot[f.Model]; ok && older(f, min) {
		return fmt.Errorf("%w: taproot needs firmware %d.%d.%d on model %s, it runs %s", ErrFirmwareTooOld, min[0], min[1], min[2], f.Model, Version(f))
	}
	return nil
}
