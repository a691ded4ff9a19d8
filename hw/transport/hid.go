package transport

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/karalabe/hid"
)

// USB HID through karalabe/hid (hidapi, with libusb on Linux). The library
// needs cgo: in a build without it, hid.Supported is false, enumeration
// finds nothing and OpenHID fails with ErrNoHID.
//
// A report as this transport carries it:
//
//	write: | 1: report id 0x00 | 64: report |   (the id is added here; on
//	       Windows karalabe/hid adds it itself)
//	read:  | 64: report |
//
// hidapi strips a zero report id before the transfer, so the device sees
// exactly the 64-byte report. Both Ledger and the Trezor One (HID
// firmware) use unnumbered 64-byte reports, so the same handling serves
// both; trezorlib's probe for hidapi back ends that want 64 bytes without
// the id is not needed with karalabe/hid, which always takes the id.

// ErrNoHID reports a hardfolio built without USB HID support.
var ErrNoHID = errors.New("transport: built without USB HID support (cgo disabled): use a release build, or a device emulator")

// HIDReportSize is the size of a report on the wire, without report id.
const HIDReportSize = 64

// hidPoll is how long one blocking read waits before deadlines and Close
// are checked again.
const hidPoll = 50 * time.Millisecond

// HIDSupported reports whether this build can talk to USB HID devices.
func HIDSupported() bool { return hid.Supported() }

// HIDInfo describes one HID interface of a USB device.
type HIDInfo struct {
	Path         string // platform-specific path, as OpenHID takes it
	VendorID     uint16
	ProductID    uint16
	Interface    int    // USB interface number (Linux; Windows with several interfaces)
	UsagePage    uint16 // HID usage page (macOS and Windows)
	Serial       string
	Manufacturer string
	Product      string
}

// EnumerateHID lists the HID interfaces of the devices of one vendor. It
// returns nil without error when HID is not supported.
func EnumerateHID(vendorID uint16) ([]HIDInfo, error) {
	if !hid.Supported() {
		return nil, nil
	}
	infos, err := hid.Enumerate(vendorID, 0)
	if err != nil {
		return nil, fmt.Errorf("transport: enumerate USB HID devices: %w", err)
	}
	out := make([]HIDInfo, 0, len(infos))
	for _, i := range infos {
		out = append(out, HIDInfo{
			Path: i.Path, VendorID: i.VendorID, ProductID: i.ProductID,
			Interface: i.Interface, UsagePage: i.UsagePage,
			Serial: i.Serial, Manufacturer: i.Manufacturer, Product: i.Product,
		})
	}
	return out, nil
}

// HID is an open USB HID interface moving 64-byte reports: one Write sends
// one report, one Read returns one. It supports deadlines (errors wrap
// os.ErrDeadlineExceeded), so contexts given to the framing layer bound its
// I/O. Read and Write may be called from different goroutines; Close may
// be called at any time.
type HID struct {
	dev hid.Device

	mu       sync.Mutex
	deadline time.Time
	closed   bool
}

// OpenHID opens the HID interface at path (a path from EnumerateHID).
func OpenHID(path string) (*HID, error) {
	if !hid.Supported() {
		return nil, ErrNoHID
	}
	infos, err := hid.Enumerate(0, 0)
	if err != nil {
		return nil, fmt.Errorf("transport: enumerate USB HID devices: %w", err)
	}
	for _, info := range infos {
		if info.Path != path {
			continue
		}
		dev, err := info.Open()
		if err != nil {
			return nil, fmt.Errorf("transport: open %s: %w (on Linux, check the udev rules: hardfolio hw udev)", path, err)
		}
		return &HID{dev: dev}, nil
	}
	return nil, fmt.Errorf("transport: no USB HID device at %s (unplugged?)", path)
}

// SetDeadline sets the deadline for Read and Write; zero means none. A
// deadline in the past makes pending reads fail within a poll interval.
func (h *HID) SetDeadline(t time.Time) error {
	h.mu.Lock()
	h.deadline = t
	h.mu.Unlock()
	return nil
}

func (h *HID) state() (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.deadline, h.closed
}

// Write sends one report of at most 64 bytes, zero-padded to 64, preceded
// by report id 0.
func (h *HID) Write(p []byte) (int, error) {
	if len(p) > HIDReportSize {
		return 0, fmt.Errorf("transport: HID report of %d bytes, at most %d", len(p), HIDReportSize)
	}
	dl, closed := h.state()
	if closed {
		return 0, ErrClosed
	}
	if !dl.IsZero() && !time.Now().Before(dl) {
		return 0, os.ErrDeadlineExceeded
	}
	var report []byte
	if runtime.GOOS != "windows" {
		report = append(report, 0x00)
	}
	report = append(report, p...)
	report = append(report, make([]byte, HIDReportSize-len(p))...)
	if _, err := h.dev.Write(report); err != nil {
		return 0, fmt.Errorf("%w: HID write: %v", ErrGone, err)
	}
	return len(p), nil
}

// Read waits for the next report.
func (h *HID) Read(p []byte) (int, error) {
	for {
		dl, closed := h.state()
		if closed {
			return 0, ErrClosed
		}
		wait := hidPoll
		if !dl.IsZero() {
			left := time.Until(dl)
			if left <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			wait = min(wait, left)
		}
		n, err := h.dev.ReadTimeout(p, max(1, int(wait/time.Millisecond)))
		if err != nil {
			return 0, fmt.Errorf("%w: HID read: %v", ErrGone, err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// Close releases the device.
func (h *HID) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	return h.dev.Close()
}
