package trezor

import (
	"bytes"
	"errors"
	"net"
	"sync"

	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// DefaultUDPAddr is the Trezor emulator's main UDP port.
const DefaultUDPAddr = "127.0.0.1:21324"

// server is the UDP side of a device.
type server struct {
	mu   sync.Mutex
	conn net.PacketConn
}

func (s *server) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
	}
}

// Serve answers the emulator's UDP interface on pc until the device is
// closed (nil) or pc fails: each datagram is one 64-byte packet of the
// wire protocol, answered to the address it came from; "PINGPING" is
// answered "PONGPONG". A malformed packet resets the message being
// received.
func (d *Device) Serve(pc net.PacketConn) error {
	d.srv.mu.Lock()
	if d.srv.conn != nil {
		d.srv.mu.Unlock()
		return errors.New("trezor sim: already serving")
	}
	d.srv.conn = pc
	d.srv.mu.Unlock()
	if d.life.Err() != nil {
		pc.Close()
		return nil
	}

	var dec wire.Decoder
	var peer net.Addr
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if d.life.Err() != nil {
				return nil
			}
			return err
		}
		p := buf[:n]
		if bytes.Equal(p, []byte("PINGPING")) {
			if !d.silent() {
				_, _ = pc.WriteTo([]byte("PONGPONG"), from)
			}
			continue
		}
		if peer == nil || peer.String() != from.String() {
			dec = wire.Decoder{} // a new host starts afresh
			peer = from
			to := from
			d.mu.Lock()
			d.out = func(typ uint16, payload []byte) {
				packets, err := wire.Encode(typ, payload)
				if err != nil {
					return
				}
				for _, pk := range packets {
					_, _ = pc.WriteTo(pk, to)
				}
			}
			d.mu.Unlock()
		}
		typ, payload, done, err := dec.Add(p)
		if err != nil {
			dec = wire.Decoder{}
			continue
		}
		if done {
			d.deliver(msg{typ: typ, payload: append([]byte(nil), payload...)})
		}
	}
}

// ListenUDP listens on addr (DefaultUDPAddr if empty) and serves in the
// background; it returns the address served.
func (d *Device) ListenUDP(addr string) (string, error) {
	if addr == "" {
		addr = DefaultUDPAddr
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return "", err
	}
	go func() { _ = d.Serve(pc) }()
	return pc.LocalAddr().String(), nil
}
