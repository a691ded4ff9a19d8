package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"codeberg.org/hardfolio/hardfolio/hw/internal/ctxio"
)

// DefaultSpeculosAddr is where Speculos serves APDUs unless told otherwise.
const DefaultSpeculosAddr = "127.0.0.1:9999"

// MaxSpeculosMessage bounds the length fields read from the wire, so a
// corrupt stream cannot make us allocate without limit.
const MaxSpeculosMessage = 1 << 16

// ErrSpeculosFrame reports a length field over MaxSpeculosMessage.
var ErrSpeculosFrame = errors.New("transport: speculos message too long")

// Speculos exchanges APDUs over the Speculos APDU TCP protocol. It
// implements apdu.Exchanger and is not safe for concurrent use.
//
// Request, client to device:
//
//	| size | field                       |
//	|------|-----------------------------|
//	| 4    | length L, big-endian        |
//	| L    | command APDU                |
//
// Response, device to client:
//
//	| size | field                                   |
//	|------|-----------------------------------------|
//	| 4    | length N of the data, big-endian        |
//	| N    | response data                           |
//	| 2    | status word (not counted in N)          |
type Speculos struct {
	rw io.ReadWriter
}

// DialSpeculos connects to a Speculos APDU port (DefaultSpeculosAddr if addr
// is empty).
func DialSpeculos(ctx context.Context, addr string) (*Speculos, error) {
	if addr == "" {
		addr = DefaultSpeculosAddr
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: speculos: %w", err)
	}
	return &Speculos{rw: conn}, nil
}

// NewSpeculos speaks the Speculos protocol over an existing stream. If rw has
// SetDeadline, contexts given to Exchange bound the I/O.
func NewSpeculos(rw io.ReadWriter) *Speculos { return &Speculos{rw: rw} }

// Close closes the underlying stream if it can be closed.
func (s *Speculos) Close() error {
	if c, ok := s.rw.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Exchange sends one command APDU and returns data || SW.
func (s *Speculos) Exchange(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	defer ctxio.Bind(ctx, s.rw)()
	if err := WriteSpeculosCommand(s.rw, command); err != nil {
		return nil, wrapCtx(ctx, err)
	}
	resp, err := ReadSpeculosResponse(s.rw)
	if err != nil {
		return nil, wrapCtx(ctx, err)
	}
	return resp, nil
}

// gone marks the errors of a connection the emulator closed or reset.
func gone(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %v", ErrGone, err)
	}
	return err
}

// wrapCtx prefers the context's error when the context ended (see
// ctxio.Ended) and otherwise marks a closed emulator connection as gone.
func wrapCtx(ctx context.Context, err error) error {
	if cerr := ctxio.Ended(ctx, err); cerr != nil {
		return cerr
	}
	return gone(err)
}

// WriteSpeculosCommand writes u32 BE length || command in one Write.
func WriteSpeculosCommand(w io.Writer, command []byte) error {
	buf := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(command)), uint32(len(command)))
	if _, err := w.Write(append(buf, command...)); err != nil {
		return fmt.Errorf("transport: speculos write: %w", err)
	}
	return nil
}

// ReadSpeculosCommand reads one request (device side).
func ReadSpeculosCommand(r io.Reader) ([]byte, error) {
	n, err := readLen(r)
	if err != nil {
		return nil, err
	}
	return readFull(r, n)
}

// WriteSpeculosResponse writes u32 BE len(data) || data || SW for a response
// given as data || SW, in one Write: some clients need the whole reply in one
// piece (device side).
func WriteSpeculosResponse(w io.Writer, resp []byte) error {
	if len(resp) < 2 {
		return errors.New("transport: speculos response without status word")
	}
	buf := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(resp)), uint32(len(resp)-2))
	if _, err := w.Write(append(buf, resp...)); err != nil {
		return fmt.Errorf("transport: speculos write: %w", err)
	}
	return nil
}

// ReadSpeculosResponse reads one reply and returns data || SW.
func ReadSpeculosResponse(r io.Reader) ([]byte, error) {
	n, err := readLen(r)
	if err != nil {
		return nil, err
	}
	return readFull(r, n+2)
}

func readLen(r io.Reader) (int, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, fmt.Errorf("transport: speculos read: %w", err)
	}
	n := binary.BigEndian.Uint32(h[:])
	if n > MaxSpeculosMessage {
		return 0, fmt.Errorf("%w: %d bytes", ErrSpeculosFrame, n)
	}
	return int(n), nil
}

func readFull(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("transport: speculos read: %w", err)
	}
	return b, nil
}
