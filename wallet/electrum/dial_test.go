package electrum_test

import (
	"errors"
	"strings"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum"
	"codeberg.org/hardfolio/hardfolio/wallet/electrum/internal/testserver"
	"codeberg.org/hardfolio/hardfolio/wallet/internal/socks5test"
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
		px := socks5test.Start(t, srv.HostPort())
		const onion = "hardfoliotestxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion:50001"
		server := "tcp://" + onion
		if tlsOn {
			server = "ssl://" + onion
		}
		c := dial(t, electrum.Config{
			Server: server,
			Proxy:  &electrum.Proxy{Addr: px.Addr, User: "wallet-1", Password: "x"},
		})
		got, err := c.History(ctxT(t), b.Scripts, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstServer(t, srv, b.Scripts, got)
		if targets, user := px.Targets(), px.User(); len(targets) != 1 || targets[0] != onion || user != "wallet-1" {
			t.Errorf("proxy saw %v as %q, want %s as wallet-1", targets, user, onion)
		}
	}
}
