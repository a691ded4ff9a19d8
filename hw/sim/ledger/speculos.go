package ledger

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
)

// DefaultSpeculosAddr is where Speculos listens for APDUs by default.
const DefaultSpeculosAddr = "127.0.0.1:9999"

// maxAPDU bounds one request on the TCP interface; a short APDU is at most
// 5 + 255 bytes, so anything much larger is a broken client.
const maxAPDU = 4096

// server tracks what Serve has open, so that Close can stop it.
type server struct {
	mu        sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
}

func (s *server) addListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *server) removeListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
}

func (s *server) addConn(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.conns == nil {
		s.conns = map[net.Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	return true
}

func (s *server) removeConn(c net.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

func (s *server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *server) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for ln := range s.listeners {
		ln.Close()
	}
	for c := range s.conns {
		c.Close()
	}
}

// Serve answers APDUs on ln with Speculos' TCP framing:
//
//	request:  | 4: length L, u32 BE | L: APDU |
//	response: | 4: N, u32 BE | N: data | 2: SW |   (N excludes the SW)
//
// It serves one connection at a time, in the order they arrive, each until
// the client closes it; a reply is written in one piece, as ledgerjs'
// SpeculosTransport expects. A command left waiting for a CONTINUE when its
// connection ends is abandoned. While the DisconnectAfter fault has fired,
// connections are closed without an answer.
//
// Serve returns nil once Close is called (it closes ln), and the listener's
// error if accepting fails otherwise. Bind ln to loopback: the device holds
// private keys and has no authentication.
func (d *Device) Serve(ln net.Listener) error {
	if !d.srv.addListener(ln) {
		ln.Close()
		return nil
	}
	defer d.srv.removeListener(ln)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if d.srv.isClosed() {
				return nil
			}
			return err
		}
		d.serveConn(conn)
	}
}

// ListenAndServe listens on the TCP address addr (DefaultSpeculosAddr if
// empty) and calls Serve.
func (d *Device) ListenAndServe(addr string) error {
	if addr == "" {
		addr = DefaultSpeculosAddr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return d.Serve(ln)
}

func (d *Device) serveConn(conn net.Conn) {
	defer conn.Close()
	if !d.srv.addConn(conn) {
		return
	}
	defer d.srv.removeConn(conn)
	defer d.connEnded()

	var hdr [4]byte
	for {
		if _, err := io.ReadFull(conn, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:])
		if n > maxAPDU {
			return
		}
		apdu := make([]byte, n)
		if _, err := io.ReadFull(conn, apdu); err != nil {
			return
		}
		resp, err := d.Exchange(apdu)
		if err != nil {
			return // unplugged or closed: drop the connection
		}
		out := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(resp)), uint32(len(resp)-2))
		if _, err := conn.Write(append(out, resp...)); err != nil {
			return
		}
	}
}

// connEnded abandons a command the departed client left waiting.
func (d *Device) connEnded() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.abortPending()
}
