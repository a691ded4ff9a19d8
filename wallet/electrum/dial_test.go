package electrum_test

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum/internal/testserver"
)

func TestTLSPinnedOnFirstUse(t *testing.T) {
	b, srv := start(t, 5, testserver.Options{TLS: true})
	pins := new(electrum.MemPins)
	c := dial(t, electrum.Config{Server: srv.Addr(), Pins: pins})
	if _, err := c.History(ctxT(t), b.Scripts, 0, nil); err != nil {
		t.Fatal(err)
	}
	fp, ok := pins.Get(srv.HostPort())
	if !ok || fp != srv.Fingerprint() {
		t.Fatalf("pinned %q, %v; want the server's fingerprint %s", fp, ok, srv.Fingerprint())
	}
	// The same certificate is accepted again.
	dial(t, electrum.Config{Server: srv.Addr(), Pins: pins})

	// Another certificate at the same address is refused, with both
	// fingerprints in the error.
	other := new(electrum.MemPins)
	const old = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	other.Put(srv.HostPort(), old)
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: srv.Addr(), Pins: other, KeepAlive: -1})
	if !errors.Is(err, electrum.ErrCertChanged) {
		t.Fatalf("Dial with another pin: %v, want ErrCertChanged", err)
	}
	var cce *electrum.CertChangedError
	if !errors.As(err, &cce) || cce.Pinned != old || cce.Presented != srv.Fingerprint() {
		t.Errorf("error %v does not carry both fingerprints", err)
	}
	for _, s := range []string{old, srv.Fingerprint(), "changed", srv.HostPort()} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	var se *chain.ServerError
	if !errors.As(err, &se) {
		t.Errorf("error %v does not name the server", err)
	}
}

// A pin that cannot be stored aborts the connection.
func TestTLSPinStoreFailure(t *testing.T) {
	_, srv := start(t, 2, testserver.Options{TLS: true})
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: srv.Addr(), Pins: failingPins{}, KeepAlive: -1})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Dial with a failing pin store: %v", err)
	}
}

type failingPins struct{}

func (failingPins) Get(string) (string, bool) { return "", false }
func (failingPins) Put(string, string) error  { return errors.New("disk full") }

// A TLS client against a plain server fails cleanly, and the reverse.
func TestTLSMismatch(t *testing.T) {
	_, plain := start(t, 2, testserver.Options{})
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: "ssl://" + plain.HostPort(), KeepAlive: -1})
	if err == nil {
		t.Error("TLS to a plain server: no error")
	}
}

func TestOnionNeedsProxy(t *testing.T) {
	_, err := electrum.Dial(ctxT(t), electrum.Config{Server: "tcp://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvw.onion:50001"})
	if !errors.Is(err, electrum.ErrOnionNeedsProxy) {
		t.Errorf("onion without proxy: %v, want ErrOnionNeedsProxy", err)
	}
}

// Through a SOCKS5 proxy, the host name (an onion address here) reaches
// the proxy unresolved, with the credentials Tor uses to isolate streams.
func TestThroughSOCKS5(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		b, srv := start(t, 5, testserver.Options{TLS: tlsOn})
		px := startSOCKS5(t, srv.HostPort())
		const onion = "hardfoliotestxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion:50001"
		server := "tcp://" + onion
		if tlsOn {
			server = "ssl://" + onion
		}
		c := dial(t, electrum.Config{
			Server: server,
			Proxy:  &electrum.Proxy{Addr: px.addr, User: "wallet-1", Password: "x"},
		})
		got, err := c.History(ctxT(t), b.Scripts, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstServer(t, srv, b.Scripts, got)
		px.mu.Lock()
		if len(px.targets) != 1 || px.targets[0] != onion || px.user != "wallet-1" {
			t.Errorf("proxy saw %v as %q, want %s as wallet-1", px.targets, px.user, onion)
		}
		px.mu.Unlock()
	}
}

// socks5 is a minimal SOCKS5 proxy (RFC 1928, with RFC 1929
// username/password) that sends every connection to one loopback address.
type socks5 struct {
	addr    string
	mu      sync.Mutex
	targets []string
	user    string
}

func startSOCKS5(t *testing.T, to string) *socks5 {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &socks5{addr: ln.Addr().String()}
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

func (p *socks5) serve(nc net.Conn, to string) {
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
	p.targets = append(p.targets, net.JoinHostPort(host, itoa(int(port))))
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

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
