// Package framing carries Ledger APDUs over USB HID as 64-byte reports, in
// both directions: the host side (Conn) and the encoders and decoders a
// device simulator needs.
//
// # Report
//
//	| offset | size | field                                   |
//	|--------|------|-----------------------------------------|
//	| 0      | 2    | channel id, big-endian                  |
//	| 2      | 1    | tag, 0x05 = APDU                        |
//	| 3      | 2    | sequence index, big-endian, from 0      |
//	| 5      | 59   | payload                                 |
//
// # Message
//
// The bytes spread over the payloads of consecutive reports are
//
//	| size | field                                              |
//	|------|----------------------------------------------------|
//	| 2    | length L of the message, big-endian                |
//	| L    | message: a command APDU, or response data || SW    |
//	| ...  | zero padding up to the end of the last report      |
//
// so report 0 carries 57 message bytes and each later report 59. The device
// answers on the channel it was addressed on.
//
// With hidapi on a real device each written report is preceded by a 0x00
// report id (65 bytes); that byte belongs to the HID transport, not here.
// Here one Write is one 64-byte report and one Read returns one report.
package framing

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
	ReportSize     = 64
	HeaderSize     = 5
	PayloadSize    = ReportSize - HeaderSize // 59
	TagAPDU        = 0x05
	DefaultChannel = 0x0101
	MaxMessage     = 0xFFFF
)

// Errors returned while decoding reports. Decode errors wrap ErrFrame.
var (
	ErrFrame    = errors.New("framing: bad report")
	ErrChannel  = fmt.Errorf("%w: wrong channel", ErrFrame)
	ErrTag      = fmt.Errorf("%w: wrong tag", ErrFrame)
	ErrSequence = fmt.Errorf("%w: wrong sequence index", ErrFrame)
	ErrShort    = fmt.Errorf("%w: report shorter than its header", ErrFrame)
	ErrTooLong  = errors.New("framing: message longer than 65535 bytes")
)

// Encode splits msg into zero-padded 64-byte reports on channel.
func Encode(channel uint16, msg []byte) ([][]byte, error) {
	if len(msg) > MaxMessage {
		return nil, ErrTooLong
	}
	stream := binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(msg)), uint16(len(msg)))
	stream = append(stream, msg...)
	var reports [][]byte
	for seq := 0; len(stream) > 0 || seq == 0; seq++ {
		r := make([]byte, ReportSize)
		binary.BigEndian.PutUint16(r[0:], channel)
		r[2] = TagAPDU
		binary.BigEndian.PutUint16(r[3:], uint16(seq))
		n := copy(r[HeaderSize:], stream)
		stream = stream[n:]
		reports = append(reports, r)
	}
	return reports, nil
}

// Decoder reassembles one message from reports. The zero value is not
// usable; call NewDecoder.
type Decoder struct {
	channel  uint16
	anyChan  bool
	seq      uint16
	want     int
	msg      []byte
	complete bool
}

// NewDecoder returns a decoder that accepts reports on channel only.
func NewDecoder(channel uint16) *Decoder { return &Decoder{channel: channel} }

// NewDeviceDecoder returns a decoder that takes its channel from the first
// report, as a device does; Channel then reports it.
func NewDeviceDecoder() *Decoder { return &Decoder{anyChan: true} }

// Channel returns the channel the decoder accepts.
func (d *Decoder) Channel() uint16 { return d.channel }

// Add feeds one report. It returns the message once complete (further
// reports are an error). Reports may be longer than 64 bytes (the rest is
// ignored) but not shorter than HeaderSize, and report 0 must hold the
// length prefix.
func (d *Decoder) Add(report []byte) (msg []byte, done bool, err error) {
	if d.complete {
		return nil, false, fmt.Errorf("%w: report after a complete message", ErrFrame)
	}
	if len(report) > ReportSize {
		report = report[:ReportSize]
	}
	if len(report) < HeaderSize {
		return nil, false, ErrShort
	}
	ch := binary.BigEndian.Uint16(report[0:])
	if d.anyChan && d.seq == 0 {
		d.channel = ch
	}
	if ch != d.channel {
		return nil, false, fmt.Errorf("%w: 0x%04X, want 0x%04X", ErrChannel, ch, d.channel)
	}
	if report[2] != TagAPDU {
		return nil, false, fmt.Errorf("%w: 0x%02X", ErrTag, report[2])
	}
	if seq := binary.BigEndian.Uint16(report[3:]); seq != d.seq {
		return nil, false, fmt.Errorf("%w: %d, want %d", ErrSequence, seq, d.seq)
	}
	payload := report[HeaderSize:]
	if d.seq == 0 {
		if len(payload) < 2 {
			return nil, false, fmt.Errorf("%w: first report without length", ErrFrame)
		}
		d.want = int(binary.BigEndian.Uint16(payload))
		d.msg = make([]byte, 0, d.want)
		payload = payload[2:]
	}
	d.seq++
	payload = payload[:min(len(payload), d.want-len(d.msg))]
	d.msg = append(d.msg, payload...)
	if len(d.msg) == d.want {
		d.complete = true
		return d.msg, true, nil
	}
	return nil, false, nil
}

// Decode reassembles a message from a complete list of reports.
func Decode(channel uint16, reports [][]byte) ([]byte, error) {
	d := NewDecoder(channel)
	for i, r := range reports {
		msg, done, err := d.Add(r)
		if err != nil {
			return nil, err
		}
		if done {
			if i != len(reports)-1 {
				return nil, fmt.Errorf("%w: %d reports after the end", ErrFrame, len(reports)-1-i)
			}
			return msg, nil
		}
	}
	return nil, fmt.Errorf("framing: %w", io.ErrUnexpectedEOF)
}

// WriteMessage writes msg as reports, one Write per report.
func WriteMessage(w io.Writer, channel uint16, msg []byte) error {
	reports, err := Encode(channel, msg)
	if err != nil {
		return err
	}
	for _, r := range reports {
		if _, err := w.Write(r); err != nil {
			return fmt.Errorf("framing: write: %w", err)
		}
	}
	return nil
}

// ReadMessage reads reports from r, one Read each, until d completes a
// message.
func ReadMessage(r io.Reader, d *Decoder) ([]byte, error) {
	buf := make([]byte, ReportSize+1)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			msg, done, derr := d.Add(buf[:n])
			if derr != nil {
				return nil, derr
			}
			if done {
				return msg, nil
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("framing: read: %w", err)
		}
	}
}

// Conn exchanges APDUs with a device over a report-oriented io.ReadWriter
// (an HID device or an in-memory pipe). It implements apdu.Exchanger. A
// Conn is not safe for concurrent use.
type Conn struct {
	rw      io.ReadWriter
	channel uint16
}

// NewConn returns a Conn on DefaultChannel.
func NewConn(rw io.ReadWriter) *Conn { return &Conn{rw: rw, channel: DefaultChannel} }

// NewConnChannel returns a Conn on the given channel.
func NewConnChannel(rw io.ReadWriter, channel uint16) *Conn { return &Conn{rw: rw, channel: channel} }

// Exchange writes the command and reads the response (data || SW). If the
// underlying transport supports deadlines, the context's deadline and
// cancellation apply to the I/O; otherwise the context is only checked
// before starting.
func (c *Conn) Exchange(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer ctxio.Bind(ctx, c.rw)()
	if err := WriteMessage(c.rw, c.channel, command); err != nil {
		return nil, ctxio.Err(ctx, err)
	}
	resp, err := ReadMessage(c.rw, NewDecoder(c.channel))
	if err != nil {
		return nil, ctxio.Err(ctx, err)
	}
	if len(resp) < 2 {
		return nil, fmt.Errorf("%w: response of %d bytes has no status word", ErrFrame, len(resp))
	}
	return resp, nil
}
