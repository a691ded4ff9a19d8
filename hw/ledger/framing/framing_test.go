package framing

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/transport"

	"codeberg.org/hardfolio/hardfolio/hw/internal/hextest"
)

func pad(b []byte) []byte { return append(b, make([]byte, ReportSize-len(b))...) }

// GET_MASTER_FINGERPRINT (E1 05 00 01 00) on channel 0x0101, and its answer
// f5acc2fd 9000, laid out by hand from the report table.
func TestGoldenSingleReport(t *testing.T) {
	cmd := []byte{0xE1, 0x05, 0x00, 0x01, 0x00}
	want := pad(hextest.Bytes(t, "0101"+"05"+"0000"+"0005"+"e105000100"))
	reports, err := Encode(DefaultChannel, cmd)
	if err != nil || len(reports) != 1 || !bytes.Equal(reports[0], want) {
		t.Fatalf("Encode = %X, %v\nwant %X", reports, err, want)
	}
	resp := pad(hextest.Bytes(t, "0101050000"+"0006"+"f5acc2fd9000"))
	msg, err := Decode(DefaultChannel, [][]byte{resp})
	if err != nil || !bytes.Equal(msg, hextest.Bytes(t, "f5acc2fd9000")) {
		t.Fatalf("Decode = %X, %v", msg, err)
	}
}

// A 120-byte message takes 57 + 59 + 4 bytes in three reports.
func TestGoldenThreeReports(t *testing.T) {
	msg := make([]byte, 120)
	for i := range msg {
		msg[i] = byte(i)
	}
	reports, err := Encode(0xABCD, msg)
	if err != nil || len(reports) != 3 {
		t.Fatalf("Encode: %d reports, %v", len(reports), err)
	}
	want0 := append(hextest.Bytes(t, "abcd050000"+"0078"), msg[:57]...)
	want1 := append(hextest.Bytes(t, "abcd050001"), msg[57:116]...)
	want2 := pad(append(hextest.Bytes(t, "abcd050002"), msg[116:]...))
	for i, w := range [][]byte{want0, want1, want2} {
		if !bytes.Equal(reports[i], w) {
			t.Errorf("report %d = %X\nwant       %X", i, reports[i], w)
		}
	}
	got, err := Decode(0xABCD, reports)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("Decode: %v", err)
	}
	// Exactly 57 bytes fit one report; 58 need two.
	if r, _ := Encode(1, make([]byte, 57)); len(r) != 1 {
		t.Error("57 bytes")
	}
	if r, _ := Encode(1, make([]byte, 58)); len(r) != 2 {
		t.Error("58 bytes")
	}
	if r, _ := Encode(1, nil); len(r) != 1 || !bytes.Equal(r[0], pad([]byte{0, 1, 5, 0, 0, 0, 0})) {
		t.Errorf("empty message: %X", r)
	}
	if _, err := Encode(1, make([]byte, MaxMessage+1)); !errors.Is(err, ErrTooLong) {
		t.Error("oversized message")
	}
}

func TestDecodeErrors(t *testing.T) {
	reports, _ := Encode(DefaultChannel, make([]byte, 100))
	mut := func(i, off int, v byte) [][]byte {
		out := make([][]byte, len(reports))
		for j, r := range reports {
			out[j] = bytes.Clone(r)
		}
		out[i][off] = v
		return out
	}
	cases := []struct {
		name    string
		reports [][]byte
		want    error
	}{
		{"channel", mut(0, 1, 0x02), ErrChannel},
		{"channel later", mut(1, 0, 0x02), ErrChannel},
		{"tag", mut(0, 2, 0x02), ErrTag},
		{"sequence", mut(1, 4, 0x02), ErrSequence},
		{"first sequence", mut(0, 4, 0x01), ErrSequence},
		{"truncated", reports[:1], io.ErrUnexpectedEOF},
		{"short report", [][]byte{{1, 1, 5}}, ErrShort},
		{"extra report", append(append([][]byte{}, reports...), reports[1]), ErrFrame},
	}
	for _, c := range cases {
		if _, err := Decode(DefaultChannel, c.reports); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	d := NewDeviceDecoder()
	r, _ := Encode(0x4242, []byte{1, 2, 3})
	if msg, done, err := d.Add(r[0]); err != nil || !done || !bytes.Equal(msg, []byte{1, 2, 3}) || d.Channel() != 0x4242 {
		t.Errorf("device decoder: %X %v %v %04X", msg, done, err, d.Channel())
	}
}

// The host Conn against a device loop on an in-memory pipe.
func TestConnExchange(t *testing.T) {
	host, dev := transport.MemPipe()
	defer host.Close()
	go func() {
		for {
			d := NewDeviceDecoder()
			cmd, err := ReadMessage(dev, d)
			if err != nil {
				return
			}
			_ = WriteMessage(dev, d.Channel(), append(bytes.Repeat(cmd, 30), 0x90, 0x00))
		}
	}()
	c := NewConn(host)
	resp, err := c.Exchange(context.Background(), []byte{0xE1, 0x05, 0x00, 0x01, 0x00})
	if err != nil || len(resp) != 152 || !bytes.Equal(resp[150:], []byte{0x90, 0}) {
		t.Fatalf("Exchange = %X, %v", resp, err)
	}
}

func TestConnDeadline(t *testing.T) {
	host, dev := transport.MemPipe()
	defer host.Close()
	go func() { _, _ = ReadMessage(dev, NewDeviceDecoder()) }() // never answers
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := NewConn(host).Exchange(ctx, []byte{0xE1, 0x05, 0x00, 0x01, 0x00})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(uint16(0x0101), []byte{0xE1, 0x05, 0x00, 0x01, 0x00})
	f.Add(uint16(0), make([]byte, 300))
	f.Fuzz(func(t *testing.T, ch uint16, msg []byte) {
		reports, err := Encode(ch, msg)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range reports {
			if len(r) != ReportSize {
				t.Fatalf("report of %d bytes", len(r))
			}
		}
		got, err := Decode(ch, reports)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecoder feeds arbitrary reports; it must never panic and whatever it
// returns must re-encode to the same reports' content.
func FuzzDecoder(f *testing.F) {
	r, _ := Encode(DefaultChannel, []byte{1, 2, 3})
	f.Add(r[0], []byte{})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		d := NewDecoder(DefaultChannel)
		for _, rep := range [][]byte{a, b} {
			msg, done, err := d.Add(rep)
			if err != nil {
				return
			}
			if done {
				re, err := Encode(DefaultChannel, msg)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := Decode(DefaultChannel, re); err != nil {
					t.Fatal(err)
				}
				return
			}
		}
	})
}
