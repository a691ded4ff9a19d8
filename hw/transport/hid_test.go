package transport

import (
	"bytes"
	"errors"
	"os"
	"runtime"
	"testing"
	"time"
)

// TestHIDWithoutSupport: a build without cgo enumerates nothing and says
// why it cannot open a device. With cgo, enumeration must not fail when no
// device is attached.
func TestHIDWithoutSupport(t *testing.T) {
	infos, err := EnumerateHID(0x2C97)
	if err != nil {
		t.Fatalf("enumerate: %v", err)
	}
	if HIDSupported() {
		t.Logf("HID supported; %d Ledger interfaces attached", len(infos))
		return
	}
	if len(infos) != 0 {
		t.Errorf("enumerated %d devices without HID support", len(infos))
	}
	if _, err := OpenHID("/dev/hidraw0"); !errors.Is(err, ErrNoHID) {
		t.Errorf("OpenHID without HID support: %v, want ErrNoHID", err)
	}
}

// fakeHID is a hid.Device backed by a function that answers each written
// report (without its report id) with zero or more reports.
type fakeHID struct {
	written [][]byte
	answer  func(report []byte) [][]byte
	queue   [][]byte
}

func (f *fakeHID) Close() error { return nil }
func (f *fakeHID) Write(b []byte) (int, error) {
	f.written = append(f.written, append([]byte(nil), b...))
	if f.answer != nil {
		f.queue = append(f.queue, f.answer(b[1:])...)
	}
	return len(b), nil
}
func (f *fakeHID) Read(b []byte) (int, error) { return f.ReadTimeout(b, -1) }
func (f *fakeHID) ReadTimeout(b []byte, timeout int) (int, error) {
	if len(f.queue) == 0 {
		time.Sleep(time.Duration(timeout) * time.Millisecond)
		return 0, nil
	}
	n := copy(b, f.queue[0])
	f.queue = f.queue[1:]
	return n, nil
}
func (f *fakeHID) GetFeatureReport(b []byte) (int, error)  { return 0, nil }
func (f *fakeHID) SendFeatureReport(b []byte) (int, error) { return 0, nil }

// TestHIDReports: each report goes out as report id 0 followed by 64 bytes;
// a read with no report waits until the deadline; a closed device errs.
func TestHIDReports(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("karalabe/hid adds the report id itself on Windows")
	}
	f := &fakeHID{answer: func(r []byte) [][]byte { return [][]byte{r} }}
	h := &HID{dev: f}
	report := bytes.Repeat([]byte{0xAB}, 10)
	if n, err := h.Write(report); err != nil || n != 10 {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if w := f.written[0]; len(w) != 65 || w[0] != 0 || !bytes.Equal(w[1:11], report) || !bytes.Equal(w[11:], make([]byte, 54)) {
		t.Errorf("wrote %x", w)
	}
	buf := make([]byte, 64)
	if n, err := h.Read(buf); err != nil || n != 64 || !bytes.Equal(buf[:10], report) {
		t.Errorf("Read = %d, %v, %x", n, err, buf)
	}
	if _, err := h.Write(make([]byte, 65)); err == nil {
		t.Error("a 65-byte report was accepted")
	}
	h.SetDeadline(time.Now().Add(30 * time.Millisecond))
	start := time.Now()
	if _, err := h.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read past the deadline: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the deadline took %v", d)
	}
	h.Close()
	if _, err := h.Read(buf); !errors.Is(err, ErrClosed) {
		t.Errorf("Read after Close: %v", err)
	}
}
