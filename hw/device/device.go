// Package device is the one device-agnostic surface hardfolio uses to talk
// to a hardware wallet: who it is, its master key fingerprint, extended
// public keys, addresses shown for checking, and PSBT signing. Below it each
// vendor has its own protocol, framing and transport layers; above it the
// CLI and the TUI never see a vendor.
//
// Devices are named by URIs and opened through a Hub, which enumerates USB
// devices with one factory per vendor (the USB ids live in ids.go, nowhere
// else). An emulator is just another device path:
//
//	hid:<path>            a Ledger on USB HID, path as enumerated (List shows it)
//	speculos:<host:port>  a Ledger emulator speaking Speculos' APDU TCP protocol
//	                      (Speculos itself, or "hardfolio sim ledger")
//	trezor-hid:<path>     a Trezor One on USB HID (firmware before 1.7.0)
//	trezor-bridge:<host:port>[/<device>]
//	                      a Trezor through the Trezor bridge (Trezor Suite's
//	                      or trezord), the first free device or the one named
//	trezor-udp:<host:port> the Trezor emulator's UDP port (the emulator, or
//	                      "hardfolio sim trezor")
//
// Errors from the device keep their types: a Ledger status word is an
// *apdu.StatusError wrapping one of the apdu.Err* classes, a Trezor Failure
// a *trezor.FailureError wrapping one of the trezor.Err* classes; Hint
// gives the sentence to show the user.
package device

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
)

// Device is an open hardware wallet. Methods may be called from several
// goroutines: exchanges with the device are serialised, while what is
// already known about it (Info) stays readable during a long confirmation.
type Device interface {
	// Info says what the device is and which app it runs. When the device
	// cannot answer (locked, another app open), the Info holds what is
	// known and the error says why.
	Info(ctx context.Context) (Info, error)
	// Fingerprint returns the master key fingerprint as a big-endian
	// number: fingerprint f5acc2fd is 0xf5acc2fd.
	Fingerprint(ctx context.Context) (uint32, error)
	// Xpub returns the extended public key at path (hardened steps carry
	// bit 31), in the device's network's encoding (xpub or tpub). With
	// display set the device shows it and waits for the user.
	Xpub(ctx context.Context, path []uint32, display bool) (string, error)
	// Address returns the address at (change, index) of the single-sig
	// account desc describes. With display set the device shows it for the
	// user to compare with the screen. Callers should also derive it
	// themselves and compare.
	Address(ctx context.Context, desc DescriptorRef, change bool, index uint32, display bool) (string, error)
	// SignPSBT asks the device to sign every input it holds a key for and
	// returns a new packet with the signatures inserted; pkt is never
	// modified. The user confirms on the device.
	SignPSBT(ctx context.Context, pkt *psbt.Packet) (*psbt.Packet, error)
	// Close releases the device.
	Close() error
}

// Info describes a device.
type Info struct {
	Vendor      string // "Ledger"
	Model       string // "Nano S Plus", ..., or "Speculos" for an emulator
	App         string // the app open: "Bitcoin", "Bitcoin Test", or "BOLOS" (dashboard)
	AppVersion  string
	Fingerprint uint32 // master key fingerprint; valid when HasFingerprint
	// HasFingerprint is false when the device could not tell (locked,
	// dashboard, another app).
	HasFingerprint bool
	URI            string // how to open it again
	// Err is why the device could not be asked, in List (nil otherwise).
	Err error
}

// FingerprintHex formats the fingerprint as 8 lowercase hex digits, or ""
// when unknown.
func (i Info) FingerprintHex() string {
	if !i.HasFingerprint {
		return ""
	}
	return fmt.Sprintf("%08x", i.Fingerprint)
}

// Kind is a single-sig script type, named as in descriptors.
type Kind string

// The script types a device can show addresses of and sign for.
const (
	PKH    Kind = "pkh"     // pkh(KEY), BIP 44
	SHWPKH Kind = "sh-wpkh" // sh(wpkh(KEY)), BIP 49
	WPKH   Kind = "wpkh"    // wpkh(KEY), BIP 84
	TR     Kind = "tr"      // tr(KEY), key path only, BIP 86
)

// DescriptorRef is the part of a single-sig descriptor a device needs to
// recognise an account as its own: the script type and the account key with
// its origin. The receive and change chains are /0/* and /1/*.
type DescriptorRef struct {
	Kind        Kind
	Fingerprint uint32   // master fingerprint of the origin, big-endian number
	Account     []uint32 // origin path of the account key, e.g. 84'/1'/0'
	Xpub        string   // extended public key at Account
}

// Errors of this package. Device errors (refused, locked, wrong app) come
// from the vendor's protocol package with their own types.
var (
	// ErrURI: a device URI that is not hid:PATH or speculos:HOST:PORT.
	ErrURI = errors.New("device: invalid device URI")
	// ErrNotFound: no device at the URI.
	ErrNotFound = errors.New("device: no such device")
	// ErrNotOurs: the descriptor or PSBT is for another seed than the
	// device's.
	ErrNotOurs = errors.New("device: not this device's keys")
	// ErrUnsupported: a request this device cannot serve.
	ErrUnsupported = errors.New("device: not supported")
)

// Hint returns the sentence that tells the user what to do about a device
// error (unlock the device, open the Bitcoin app, ...), or "" when err has
// none. Each vendor's protocol package words its own errors; this is the
// one place front ends ask.
func Hint(err error) string {
	if errors.Is(err, transport.ErrGone) {
		return "Plug the device in again, unlock it and open the Bitcoin app, then try again; nothing was signed."
	}
	if errors.Is(err, transport.ErrNoEmulator) {
		return "Start the emulator (hardfolio sim trezor starts one) or check its address."
	}
	if errors.Is(err, transport.ErrNoBridge) {
		return "Start Trezor Suite (or trezord) so its bridge runs on 127.0.0.1:21325, then try again."
	}
	if h := trezor.Hint(err); h != "" {
		return h
	}
	return apdu.Hint(err)
}

// Prompter stands for the user at the host when a device asks for
// something only the user knows, or waits for the user. The CLI and the
// TUI each implement it; without one such requests fail with a hint.
type Prompter interface {
	// PIN asks for the PIN of a device that shows a scrambled keypad: the
	// answer is the positions of the PIN's digits on the device's grid,
	// numbered like a numeric keypad (7 8 9 / 4 5 6 / 1 2 3).
	PIN(ctx context.Context) (string, error)
	// Passphrase asks for the wallet passphrase; with onDeviceOK the user
	// may choose to type it on the device instead (onDevice true).
	Passphrase(ctx context.Context, onDeviceOK bool) (passphrase string, onDevice bool, err error)
	// Confirm says the device waits for the user to confirm on it; what
	// names what is shown ("address", "transaction", ...).
	Confirm(ctx context.Context, what string)
}
