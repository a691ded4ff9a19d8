package electrum

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/net/proxy"
)

// Default ports of Electrum servers.
const (
	DefaultTCPPort = "50001"
	DefaultTLSPort = "50002"
)

// ParseServer splits a server address into host:port and whether to use
// TLS. Accepted forms:
//
//	tcp://host:port    plain TCP (port 50001 when omitted)
//	ssl://host:port    TLS (port 50002 when omitted); tls:// is the same
//	host:port:t        Electrum's own notation for plain TCP
//	host:port:s        Electrum's own notation for TLS
//	host:port          plain TCP
//
// IPv6 literals go in brackets: tcp://[::1]:50001.
func ParseServer(s string) (addr string, useTLS bool, err error) {
	s = strings.TrimSpace(s)
	rest, scheme := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = strings.ToLower(s[:i]), s[i+3:]
	}
	switch scheme {
	case "tcp":
	case "ssl", "tls":
		useTLS = true
	case "":
		switch {
		case strings.HasSuffix(rest, ":s"):
			useTLS, rest = true, strings.TrimSuffix(rest, ":s")
		case strings.HasSuffix(rest, ":t"):
			rest = strings.TrimSuffix(rest, ":t")
		}
	default:
		return "", false, fmt.Errorf("electrum server %q: unknown scheme %q (want tcp:// or ssl://)", s, scheme)
	}
	rest = strings.TrimSuffix(rest, "/")
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		// No port given.
		host, port = strings.Trim(rest, "[]"), DefaultTCPPort
		if useTLS {
			port = DefaultTLSPort
		}
		if scheme == "" {
			return "", false, fmt.Errorf("electrum server %q: want host:port", s)
		}
	}
	if host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", false, fmt.Errorf("electrum server %q: bad host", s)
	}
	return net.JoinHostPort(host, port), useTLS, nil
}

// isOnion reports whether host is a Tor onion service name.
func isOnion(host string) bool {
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".onion")
}

// ErrOnionNeedsProxy is returned for a .onion server when no SOCKS5 proxy
// (Tor) is configured: such names cannot be reached, or even looked up,
// without one, and trying would leak the name to the local resolver.
var ErrOnionNeedsProxy = errors.New(".onion addresses can only be reached through a SOCKS5 proxy such as Tor; set a proxy")

// Proxy is a SOCKS5 proxy, usually Tor (127.0.0.1:9050).
type Proxy struct {
	// Addr is host:port of the proxy.
	Addr string
	// User and Password, when set, are sent to the proxy. Tor uses
	// them to isolate streams: connections with different credentials
	// take different circuits.
	User, Password string
}

// dialer returns a dialer through the proxy. Host names are passed to the
// proxy unresolved, so no lookup happens outside it.
func (p *Proxy) dialer() (proxy.ContextDialer, error) {
	var auth *proxy.Auth
	if p.User != "" || p.Password != "" {
		auth = &proxy.Auth{User: p.User, Password: p.Password}
	}
	d, err := proxy.SOCKS5("tcp", p.Addr, auth, &net.Dialer{})
	if err != nil {
		return nil, fmt.Errorf("SOCKS5 proxy %s: %w", p.Addr, err)
	}
	cd, ok := d.(proxy.ContextDialer)
	if !ok {
		return nil, fmt.Errorf("SOCKS5 proxy %s: dialer cannot be cancelled", p.Addr)
	}
	return cd, nil
}

// dialTCP opens a TCP connection to addr, through p when it is set.
func dialTCP(ctx context.Context, addr string, p *Proxy) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if p == nil || p.Addr == "" {
		if isOnion(host) {
			return nil, ErrOnionNeedsProxy
		}
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	d, err := p.dialer()
	if err != nil {
		return nil, err
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("through SOCKS5 proxy %s: %w", p.Addr, err)
	}
	return nc, nil
}

// PinStore keeps the certificate fingerprints of TLS servers, pinned on
// first use. Keys are the server's host:port; fingerprints are the
// lower-case hex SHA-256 of the server's DER certificate (see
// Fingerprint). The caller decides where pins live (usually next to the
// wallet configuration); Put errors abort the connection, so a pin that
// cannot be saved is never silently trusted.
type PinStore interface {
	Get(server string) (fingerprint string, ok bool)
	Put(server, fingerprint string) error
}

// MemPins is a PinStore in memory, safe for concurrent use. The zero
// value is ready to use.
type MemPins struct {
	mu   sync.Mutex
	pins map[string]string
}

// Get returns the pinned fingerprint of server.
func (m *MemPins) Get(server string) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fp, ok := m.pins[server]
	return fp, ok
}

// Put pins fingerprint for server.
func (m *MemPins) Put(server, fingerprint string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pins == nil {
		m.pins = make(map[string]string)
	}
	m.pins[server] = fingerprint
	return nil
}

// Fingerprint returns the lower-case hex SHA-256 of a certificate's DER
// bytes, the form PinStore keeps. It matches what
// `openssl x509 -noout -fingerprint -sha256` prints, without the colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return hex.EncodeToString(sum[:])
}

// ErrCertChanged is matched (errors.Is) by a *CertChangedError.
var ErrCertChanged = errors.New("server certificate changed")

// CertChangedError reports a TLS server whose certificate differs from
// the one pinned on first use: either the operator replaced it, or someone
// is in the middle. The connection is refused; if the change is expected,
// remove the pin (and check the new fingerprint on the server itself).
type CertChangedError struct {
	Server    string
	Pinned    string
	Presented string
}

func (e *CertChangedError) Error() string {
	return fmt.Sprintf("certificate of %s changed: pinned sha256 %s, server presented sha256 %s; "+
		"refusing to connect (if you replaced the server's certificate, remove the old pin)",
		e.Server, e.Pinned, e.Presented)
}

// Is makes errors.Is(err, ErrCertChanged) true.
func (e *CertChangedError) Is(target error) bool { return target == ErrCertChanged }

// tlsClient wraps nc in TLS, trusting the certificate pinned for addr, or
// pinning the presented one when there is none. Certificates are not
// checked against certificate authorities: personal servers use
// self-signed ones, and the pin is a stronger check than a CA for a server
// the user owns.
func tlsClient(ctx context.Context, nc net.Conn, addr string, pins PinStore) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("server sent no certificate")
			}
			fp := Fingerprint(cs.PeerCertificates[0])
			pinned, ok := pins.Get(addr)
			if !ok {
				if err := pins.Put(addr, fp); err != nil {
					return fmt.Errorf("storing certificate pin: %w", err)
				}
				return nil
			}
			if !strings.EqualFold(pinned, fp) {
				return &CertChangedError{Server: addr, Pinned: pinned, Presented: fp}
			}
			return nil
		},
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		var cce *CertChangedError
		if errors.As(err, &cce) {
			return nil, cce
		}
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}
