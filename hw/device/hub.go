package device

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor"
)

// URI schemes.
const (
	SchemeHID          = "hid"
	SchemeSpeculos     = "speculos"
	SchemeTrezorHID    = "trezor-hid"
	SchemeTrezorBridge = "trezor-bridge"
	SchemeTrezorUDP    = "trezor-udp"
)

// URI names a device: a scheme and a path.
type URI struct {
	Scheme string // one of the Scheme* constants
	Path   string // the HID path, or host:port (trezor-bridge: host:port/device path)
}

// ParseURI reads "hid:PATH", "speculos:HOST:PORT", "trezor-hid:PATH",
// "trezor-udp:HOST:PORT" or "trezor-bridge:HOST:PORT[/DEVICE]". Network
// URIs must name a port.
func ParseURI(s string) (URI, error) {
	scheme, path, ok := strings.Cut(s, ":")
	if !ok || path == "" {
		return URI{}, fmt.Errorf("%w %q: want hid:PATH, speculos:HOST:PORT, trezor-hid:PATH, trezor-udp:HOST:PORT or trezor-bridge:HOST:PORT", ErrURI, s)
	}
	switch scheme {
	case SchemeHID, SchemeTrezorHID:
	case SchemeSpeculos, SchemeTrezorUDP, SchemeTrezorBridge:
		hostPort := path
		if scheme == SchemeTrezorBridge {
			hostPort, _, _ = strings.Cut(path, "/")
		}
		if _, _, err := net.SplitHostPort(hostPort); err != nil {
			return URI{}, fmt.Errorf("%w %q: %v", ErrURI, s, err)
		}
	default:
		return URI{}, fmt.Errorf("%w %q: unknown scheme %q (want hid, speculos, trezor-hid, trezor-udp or trezor-bridge)", ErrURI, s, scheme)
	}
	return URI{Scheme: scheme, Path: path}, nil
}

func (u URI) String() string { return u.Scheme + ":" + u.Path }

// factory makes the devices of one vendor: it recognises the vendor's USB
// HID interfaces and opens them, and opens the vendor's emulators.
type factory interface {
	vendor() string
	usbVendorID() uint16
	// hidScheme is the URI scheme of the vendor's USB HID devices.
	hidScheme() string
	// model says whether h is an interface this factory opens, and names
	// the model.
	model(h transport.HIDInfo) (string, bool)
	// emulatorSchemes are the URI schemes of the vendor's emulators and
	// other non-USB paths.
	emulatorSchemes() []string
	open(ctx context.Context, h *Hub, u URI, model string) (Device, error)
}

// Hub enumerates and opens devices of every vendor hardfolio knows.
// It holds no open devices and is safe for concurrent use.
type Hub struct {
	factories []factory
	// enumerate lists the HID interfaces of one vendor (replaced in tests).
	enumerate func(vendorID uint16) ([]transport.HIDInfo, error)
	// ProbeTimeout bounds how long List waits for each device to say which
	// app it runs and its fingerprint.
	ProbeTimeout time.Duration
	// BridgeAddr is where List looks for a Trezor bridge (a loopback
	// host:port; empty: do not look).
	BridgeAddr string
	// Prompter answers devices that ask the user something at the host
	// (a Trezor's PIN or passphrase); nil: such requests fail with a hint.
	Prompter Prompter
}

// NewHub returns a hub with every vendor's factory.
func NewHub() *Hub {
	return &Hub{
		factories:    []factory{ledgerFactory{}, trezorFactory{}},
		enumerate:    transport.EnumerateHID,
		ProbeTimeout: 3 * time.Second,
		BridgeAddr:   transport.DefaultBridgeAddr,
	}
}

// HIDSupported reports whether this build can reach USB devices; without it
// only emulators can be used.
func HIDSupported() bool { return transport.HIDSupported() }

// Open opens the device at uri.
func (h *Hub) Open(ctx context.Context, uri string) (Device, error) {
	u, err := ParseURI(uri)
	if err != nil {
		return nil, err
	}
	for _, f := range h.factories {
		if f.hidScheme() == u.Scheme {
			if !transport.HIDSupported() {
				return nil, transport.ErrNoHID
			}
			infos, err := h.enumerate(f.usbVendorID())
			if err != nil {
				return nil, err
			}
			for _, i := range infos {
				if model, ok := f.model(i); ok && i.Path == u.Path {
					return f.open(ctx, h, u, model)
				}
			}
			return nil, fmt.Errorf("%w at %s (unplugged? hardfolio hw list shows what is attached)", ErrNotFound, uri)
		}
		if slices.Contains(f.emulatorSchemes(), u.Scheme) {
			return f.open(ctx, h, u, "")
		}
	}
	return nil, fmt.Errorf("%w %q: no vendor serves scheme %q", ErrURI, uri, u.Scheme)
}

// List returns the attached USB devices of every vendor, the devices a
// Trezor bridge at BridgeAddr sees (when one answers), then the emulators
// at emulators, each asked which app it runs and its fingerprint. An
// emulator is a device URI (speculos:HOST:PORT, trezor-udp:HOST:PORT), or a
// bare HOST:PORT for Speculos. A device that cannot answer is listed with
// Err set; an emulator that is not there, too. With no USB device attached,
// no bridge and no emulator given it only enumerates USB and tries the
// bridge's loopback port, which takes well under 50 ms.
func (h *Hub) List(ctx context.Context, emulators []string) []Info {
	var found []Info
	for _, f := range h.factories {
		infos, err := h.enumerate(f.usbVendorID())
		if err != nil {
			found = append(found, Info{Vendor: f.vendor(), Err: err})
			continue
		}
		for _, i := range infos {
			if model, ok := f.model(i); ok {
				found = append(found, Info{Vendor: f.vendor(), Model: model, URI: URI{f.hidScheme(), i.Path}.String()})
			}
		}
	}
	nUSB := len(found)
	// The bridge's devices are listed and probed alongside the others.
	var bridged []Info
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		bridged = h.bridgeDevices(ctx)
	}()
	for _, a := range emulators {
		u, err := ParseURI(a)
		if err != nil || (u.Scheme != SchemeSpeculos && u.Scheme != SchemeTrezorUDP && u.Scheme != SchemeTrezorBridge) {
			u = URI{SchemeSpeculos, a}
		}
		in := Info{Vendor: "Ledger", Model: "Speculos", URI: u.String()}
		if u.Scheme != SchemeSpeculos {
			in = Info{Vendor: "Trezor", Model: "emulator", URI: u.String()}
		}
		found = append(found, in)
	}

	for i := range found {
		if found[i].Err != nil {
			continue
		}
		wg.Add(1)
		go func(in *Info) {
			defer wg.Done()
			*in = h.probe(ctx, *in)
		}(&found[i])
	}
	wg.Wait()
	found = slices.Insert(found, nUSB, bridged...)
	return found
}

// probe opens a listed device and asks for its Info.
func (h *Hub) probe(ctx context.Context, in Info) Info {
	return h.probeWith(ctx, in, func(ctx context.Context) (Device, error) { return h.Open(ctx, in.URI) })
}

// probeWith opens a listed device with open and asks for its Info, within
// ProbeTimeout.
func (h *Hub) probeWith(ctx context.Context, in Info, open func(context.Context) (Device, error)) Info {
	ctx, cancel := context.WithTimeout(ctx, h.ProbeTimeout)
	defer cancel()
	d, err := open(ctx)
	if err != nil {
		in.Err = err
		return in
	}
	defer d.Close()
	got, err := d.Info(ctx)
	got.Err = err
	if got.Model == "" {
		got.Model = in.Model
	}
	return got
}

// OpenFingerprint lists the devices (USB, the bridge's, and the emulators) and opens the first whose master key fingerprint is fpr:
// the device that holds a wallet's keys, found by the fingerprint of its
// key origin. It fails with ErrNotFound, naming what it saw, when no
// device has that fingerprint (none attached, locked, another seed).
func (h *Hub) OpenFingerprint(ctx context.Context, emulators []string, fpr uint32) (Device, Info, error) {
	infos := h.List(ctx, emulators)
	var seen []string
	for _, in := range infos {
		if in.Err == nil && in.HasFingerprint && in.Fingerprint == fpr {
			d, err := h.Open(ctx, in.URI)
			if err != nil {
				return nil, in, err
			}
			return d, in, nil
		}
	}
	// A Trezor tells its fingerprint only once unlocked, or given its
	// passphrase: with a Prompter, ask the user and look again.
	if h.Prompter != nil {
		for i := range infos {
			in := &infos[i]
			if in.Vendor != "Trezor" || in.HasFingerprint ||
				(in.Err != nil && !errors.Is(in.Err, trezor.ErrPINRequired) && !errors.Is(in.Err, trezor.ErrPassphraseRequired)) {
				continue
			}
			d, err := h.Open(ctx, in.URI)
			if err != nil {
				continue
			}
			got, err := d.Fingerprint(ctx)
			if err == nil && got == fpr {
				in.Fingerprint, in.HasFingerprint, in.Err = got, true, nil
				return d, *in, nil
			}
			d.Close()
			if ctx.Err() != nil {
				return nil, *in, ctx.Err()
			}
			if err != nil {
				in.Err = err
			} else {
				in.Fingerprint, in.HasFingerprint, in.Err = got, true, nil
			}
		}
	}
	for _, in := range infos {
		what := in.Vendor + " " + in.Model
		switch {
		case in.Err != nil:
			what += " (" + in.Err.Error() + ")"
		case in.HasFingerprint:
			what += " (seed " + in.FingerprintHex() + ")"
		}
		seen = append(seen, what)
	}
	if len(seen) == 0 {
		return nil, Info{}, fmt.Errorf("%w with fingerprint %08x: no hardware wallet is attached (plug it in, unlock it and open the Bitcoin app)", ErrNotFound, fpr)
	}
	return nil, Info{}, fmt.Errorf("%w with fingerprint %08x among %s (unlock it, open the Bitcoin app, or attach the device of this wallet)",
		ErrNotFound, fpr, strings.Join(seen, ", "))
}
