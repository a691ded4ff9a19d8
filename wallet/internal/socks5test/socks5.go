// Package socks5test is a SOCKS5 proxy for tests of clients that dial
// through one (Tor), on loopback only.
package socks5test

import (
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Proxy is a minimal SOCKS5 proxy (RFC 1928, with RFC 1929
// username/password) that sends every connection to one loopback address
// and records what it was asked for.
type Proxy struct {
	// Addr is the proxy's loopback address.
	Addr    string
	mu      sync.Mutex
	targets []string
	user    string
}

// Targets lists the host:port targets clients asked for, in order.
func (p *Proxy) Targets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// User is the last user name a client authenticated with.
func (p *Proxy) User() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.user
}

// Start runs a proxy on 127.0.0.1 that forwards every connection to to,
// until the test ends.
func Start(t testing.TB, to string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &Proxy{Addr: ln.Addr().String()}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(nc, to)
		}
	}()
	return p
}

func (p *Proxy) serve(nc net.Conn, to string) {
	defer nc.Close()
	buf := make([]byte, 512)
	read := func(n int) []byte {
		if _, err := io.ReadFull(nc, buf[:n]); err != nil {
			return nil
		}
		return buf[:n]
	}
	hello := read(2)
	if hello == nil || hello[0] != 5 {
		return
	}
	methods := read(int(hello[1]))
	auth := false
	for _, m := range methods {
		if m == 2 {
			auth = true
		}
	}
	if auth {
		nc.Write([]byte{5, 2})
		h := read(2)
		if h == nil {
			return
		}
		user := string(read(int(h[1])))
		plen := read(1)
		read(int(plen[0]))
		p.mu.Lock()
		p.user = user
		p.mu.Unlock()
		nc.Write([]byte{1, 0})
	} else {
		nc.Write([]byte{5, 0})
	}
	req := read(4)
	if req == nil || req[1] != 1 {
		return
	}
	var host string
	switch req[3] {
	case 1:
		host = net.IP(read(4)).String()
	case 3:
		l := read(1)
		host = string(read(int(l[0])))
	case 4:
		host = net.IP(read(16)).String()
	}
	port := binary.BigEndian.Uint16(read(2))
	p.mu.Lock()
	p.targets = append(p.targets, net.JoinHostPort(host, strconv.Itoa(int(port))))
	p.mu.Unlock()
	up, err := net.Dial("tcp", to)
	if err != nil {
		nc.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	nc.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	go io.Copy(up, nc)
	io.Copy(nc, up)
}
