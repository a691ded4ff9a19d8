// Package wire is the Trezor wire protocol v1: the 64-byte packet framing
// used over USB HID, WebUSB and the emulator's UDP port, the header the
// Trezor bridge carries in hex, and a small protobuf (proto2) codec for the
// messages hardfolio uses, built on google.golang.org/protobuf's protowire.
// Message and field numbers follow trezor-firmware common/protob
// (messages.proto, messages-common.proto, messages-management.proto,
// messages-bitcoin.proto).
//
// # Packets
//
// First packet of a message:
//
//	| offset | size | field                                  |
//	|--------|------|----------------------------------------|
//	| 0      | 3    | magic "?##" (3F 23 23)                 |
//	| 3      | 2    | message type, big-endian               |
//	| 5      | 4    | payload length L, big-endian           |
//	| 9      | 55   | first 55 payload bytes                 |
//
// Each following packet:
//
//	| offset | size | field                                  |
//	|--------|------|----------------------------------------|
//	| 0      | 1    | magic "?" (3F)                         |
//	| 1      | 63   | next 63 payload bytes                  |
//
// The last packet is zero-padded to 64 bytes. The payload is the protobuf
// encoding of the message. One Write is one packet, one Read returns one.
//
// # Bridge
//
// The bridge's /call body and reply are the hex of
//
//	| 2: message type, BE | 4: payload length, BE | payload |
package wire

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"codeberg.org/hardfolio/hardfolio/hw/internal/ctxio"
)

// Layout constants.
const (
	PacketSize      = 64
	firstHeader     = 9
	contHeader      = 1
	FirstPayload    = PacketSize - firstHeader // 55
	ContPayload     = PacketSize - contHeader  // 63
	MaxPayload      = 1 << 20                  // bound on the length field we accept
	bridgeHeaderLen = 6
)

// Framing errors. Decode errors wrap ErrFrame.
var (
	ErrFrame   = errors.New("trezor wire: bad packet")
	ErrMagic   = fmt.Errorf("%w: missing magic", ErrFrame)
	ErrShort   = fmt.Errorf("%w: packet shorter than its header", ErrFrame)
	ErrTooLong = fmt.Errorf("%w: message length over the limit", ErrFrame)
)

// Encode splits a message into 64-byte packets.
func Encode(typ uint16, payload []byte) ([][]byte, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLong, len(payload))
	}
	first := make([]byte, PacketSize)
	copy(first, "?##")
	binary.BigEndian.PutUint16(first[3:], typ)
	binary.BigEndian.PutUint32(first[5:], uint32(len(payload)))
	n := copy(first[firstHeader:], payload)
	packets := [][]byte{first}
	for rest := payload[n:]; len(rest) > 0; {
		p := make([]byte, PacketSize)
		p[0] = '?'
		m := copy(p[contHeader:], rest)
		rest = rest[m:]
		packets = append(packets, p)
	}
	return packets, nil
}

// Decoder reassembles one message from packets.
type Decoder struct {
	started bool
	typ     uint16
	want    int
	buf     []byte
}

// Add feeds one packet. It returns done with the message once all its
// payload arrived. After done the Decoder is ready for the next message.
func (d *Decoder) Add(p []byte) (typ uint16, payload []byte, done bool, err error) {
	if !d.started {
		if len(p) < firstHeader {
			return 0, nil, false, ErrShort
		}
		if p[0] != '?' || p[1] != '#' || p[2] != '#' {
			return 0, nil, false, fmt.Errorf("%w (got % x)", ErrMagic, p[:3])
		}
		n := binary.BigEndian.Uint32(p[5:9])
		if n > MaxPayload {
			return 0, nil, false, fmt.Errorf("%w: %d bytes", ErrTooLong, n)
		}
		d.started, d.typ, d.want = true, binary.BigEndian.Uint16(p[3:5]), int(n)
		d.buf = make([]byte, 0, n)
		d.take(p[firstHeader:])
	} else {
		if len(p) < contHeader {
			return 0, nil, false, ErrShort
		}
		if p[0] != '?' {
			return 0, nil, false, fmt.Errorf("%w in a continuation packet (got %02x)", ErrMagic, p[0])
		}
		d.take(p[contHeader:])
	}
	if len(d.buf) < d.want {
		return 0, nil, false, nil
	}
	typ, payload = d.typ, d.buf
	*d = Decoder{}
	return typ, payload, true, nil
}

func (d *Decoder) take(b []byte) {
	if n := d.want - len(d.buf); len(b) > n {
		b = b[:n]
	}
	d.buf = append(d.buf, b...)
}

// WriteMessage writes a message as packets, one Write each.
func WriteMessage(w io.Writer, typ uint16, payload []byte) error {
	packets, err := Encode(typ, payload)
	if err != nil {
		return err
	}
	for _, p := range packets {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// ReadMessage reads packets until one message is complete.
func ReadMessage(r io.Reader) (uint16, []byte, error) {
	var d Decoder
	buf := make([]byte, PacketSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return 0, nil, err
		}
		typ, payload, done, err := d.Add(buf[:n])
		if err != nil {
			return 0, nil, err
		}
		if done {
			return typ, payload, nil
		}
	}
}

// EncodeBridge returns type || length || payload, the bytes the bridge
// carries in hex.
func EncodeBridge(typ uint16, payload []byte) []byte {
	b := binary.BigEndian.AppendUint16(make([]byte, 0, bridgeHeaderLen+len(payload)), typ)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	return append(b, payload...)
}

// DecodeBridge reads what EncodeBridge writes; the length must match.
func DecodeBridge(b []byte) (uint16, []byte, error) {
	if len(b) < bridgeHeaderLen {
		return 0, nil, fmt.Errorf("%w: bridge message of %d bytes", ErrShort, len(b))
	}
	n := binary.BigEndian.Uint32(b[2:6])
	if int64(n) != int64(len(b)-bridgeHeaderLen) {
		return 0, nil, fmt.Errorf("%w: bridge message says %d payload bytes, has %d", ErrFrame, n, len(b)-bridgeHeaderLen)
	}
	return binary.BigEndian.Uint16(b), b[bridgeHeaderLen:], nil
}

// RoundTripper sends one message and returns the device's next message.
// Packet links and the bridge implement it; the client depends only on it.
type RoundTripper interface {
	// Write sends a message.
	Write(ctx context.Context, typ uint16, payload []byte) error
	// Read waits for the device's next message.
	Read(ctx context.Context) (uint16, []byte, error)
	Close() error
}

// PacketLink carries messages as 64-byte packets over a packet-preserving
// connection (HID, UDP). If the connection has SetDeadline, contexts bound
// its I/O.
type PacketLink struct {
	rw io.ReadWriter
}

// NewPacketLink wraps rw.
func NewPacketLink(rw io.ReadWriter) *PacketLink { return &PacketLink{rw: rw} }

// Write sends one message.
func (l *PacketLink) Write(ctx context.Context, typ uint16, payload []byte) error {
	defer ctxio.Bind(ctx, l.rw)()
	if err := WriteMessage(l.rw, typ, payload); err != nil {
		return ctxio.Err(ctx, err)
	}
	return nil
}

// Read waits for one message.
func (l *PacketLink) Read(ctx context.Context) (uint16, []byte, error) {
	defer ctxio.Bind(ctx, l.rw)()
	typ, payload, err := ReadMessage(l.rw)
	if err != nil {
		return 0, nil, ctxio.Err(ctx, err)
	}
	return typ, payload, nil
}

// Close closes the connection if it can be closed.
func (l *PacketLink) Close() error {
	if c, ok := l.rw.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
