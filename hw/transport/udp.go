package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/internal/ctxio"
)

// The Trezor emulator's UDP interface (trezorlib transport/udp.py,
// trezor-firmware core/embed/io/usb/unix/usb.c): each 64-byte packet of the
// wire protocol is one datagram to and from 127.0.0.1:21324. A datagram of
// the 8 ASCII bytes "PINGPING" is answered "PONGPONG", outside the wire
// protocol, so a client can tell the emulator is there before talking.

// DefaultTrezorUDPAddr is the Trezor emulator's main port.
const DefaultTrezorUDPAddr = "127.0.0.1:21324"

// UDP ping datagrams.
var (
	UDPPing = []byte("PINGPING")
	UDPPong = []byte("PONGPONG")
)

// ErrNoEmulator reports that nothing answered the liveness ping.
var ErrNoEmulator = errors.New("transport: no Trezor emulator answers at this address")

// UDP is a connected UDP socket carrying one packet per datagram. It
// supports deadlines.
type UDP struct {
	conn *net.UDPConn
}

// DialTrezorUDP connects to an emulator's UDP port (DefaultTrezorUDPAddr if
// addr is empty) and checks it answers the liveness ping within one
// second (sooner if the context's deadline comes first), so that a listing
// of an emulator that is not there stays short.
func DialTrezorUDP(ctx context.Context, addr string) (*UDP, error) {
	if addr == "" {
		addr = DefaultTrezorUDPAddr
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: trezor udp: %w", err)
	}
	u := &UDP{conn: c.(*net.UDPConn)}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := u.Ping(pctx); err != nil {
		u.Close()
		return nil, err
	}
	return u, nil
}

// Ping sends "PINGPING" and waits for "PONGPONG", skipping stray packets.
func (u *UDP) Ping(ctx context.Context) error {
	defer ctxio.Bind(ctx, u.conn)()
	if _, err := u.conn.Write(UDPPing); err != nil {
		return fmt.Errorf("%w at %s: %v", ErrNoEmulator, u.conn.RemoteAddr(), err)
	}
	buf := make([]byte, 64)
	for {
		n, err := u.conn.Read(buf)
		if err != nil {
			return fmt.Errorf("%w at %s: %v", ErrNoEmulator, u.conn.RemoteAddr(), err)
		}
		if bytes.Equal(buf[:n], UDPPong) {
			return nil
		}
	}
}

// Write sends one packet as one datagram.
func (u *UDP) Write(p []byte) (int, error) {
	n, err := u.conn.Write(p)
	if err != nil {
		return n, udpErr(err)
	}
	return n, nil
}

// Read returns the next datagram. A stray "PONGPONG" is skipped.
func (u *UDP) Read(p []byte) (int, error) {
	for {
		n, err := u.conn.Read(p)
		if err != nil {
			return n, udpErr(err)
		}
		if !bytes.Equal(p[:n], UDPPong) {
			return n, nil
		}
	}
}

// udpErr marks a refused port (the emulator quit: ICMP port unreachable)
// as ErrGone.
func udpErr(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("%w: %v", ErrGone, err)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	return fmt.Errorf("transport: trezor udp: %w", err)
}

// SetDeadline sets the read and write deadline.
func (u *UDP) SetDeadline(t time.Time) error { return u.conn.SetDeadline(t) }

// Close closes the socket.
func (u *UDP) Close() error { return u.conn.Close() }

// Addr returns the emulator's address.
func (u *UDP) Addr() string { return u.conn.RemoteAddr().String() }
