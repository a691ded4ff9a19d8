package trezor

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// Bridge stands in for the Trezor bridge (trezord-go) with an emulator
// behind it, as "trezord -e PORT" runs: the HTTP API of
// trezord-go server/api/api.go (POST only, Origin checked as in
// server/api/cors.go) in front of one device on the emulator's UDP port.
// It exists so the bridge transport can be tested without the bridge.
type Bridge struct {
	udpAddr string
	// Version is what "/" reports; empty means 2.0.33. Before 2.0.25 the
	// bridge answers /call only, and /post and /read are not found.
	Version string

	mu      sync.Mutex
	session int
	link    *wire.PacketLink
	srv     *http.Server
}

// bridgeOrigins are the origins trezord accepts.
var bridgeOrigins = regexp.MustCompile(`^(https://([A-Za-z0-9\-_]+\.)*trezor\.io|https?://localhost:[58][0-9]{3})$`)

// NewBridge returns a bridge for the emulator at udpAddr.
func NewBridge(udpAddr string) *Bridge { return &Bridge{udpAddr: udpAddr} }

// Serve answers HTTP on ln until Close.
func (b *Bridge) Serve(ln net.Listener) error {
	b.mu.Lock()
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 5 * time.Second}
	srv := b.srv
	b.mu.Unlock()
	err := srv.Serve(ln)
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}

// Close stops the server and drops the session.
func (b *Bridge) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.link != nil {
		b.link.Close()
		b.link = nil
	}
	if b.srv != nil {
		return b.srv.Close()
	}
	return nil
}

func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !bridgeOrigins.MatchString(r.Header.Get("Origin")) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	fail := func(msg string) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":%q}`, msg)
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	b.mu.Lock()
	defer b.mu.Unlock()
	session := func() bool {
		if len(parts) != 2 || b.link == nil || parts[1] != strconv.Itoa(b.session) {
			fail("session not found")
			return false
		}
		return true
	}
	if (parts[0] == "post" || parts[0] == "read") && b.Version != "" && !transport.SplitCalls(b.Version) {
		w.WriteHeader(http.StatusNotFound) // an old bridge: /call only
		return
	}
	switch parts[0] {
	case "", "configure":
		v := b.Version
		if v == "" {
			v = "2.0.33"
		}
		fmt.Fprintf(w, `{"version":%q}`, v)
	case "enumerate":
		s := "null"
		if b.link != nil {
			s = strconv.Quote(strconv.Itoa(b.session))
		}
		fmt.Fprintf(w, `[{"path":"1","vendor":4617,"product":21441,"debug":false,"session":%s,"debugSession":null}]`, s)
	case "acquire":
		if len(parts) != 3 || parts[1] != "1" {
			fail("device not found")
			return
		}
		if b.link != nil && parts[2] != strconv.Itoa(b.session) {
			fail("wrong previous session")
			return
		}
		if b.link != nil {
			b.link.Close()
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		u, err := transport.DialTrezorUDP(ctx, b.udpAddr)
		if err != nil {
			fail("device not found")
			return
		}
		b.session++
		b.link = wire.NewPacketLink(u)
		fmt.Fprintf(w, `{"session":%q}`, strconv.Itoa(b.session))
	case "release":
		if !session() {
			return
		}
		b.link.Close()
		b.link = nil
		io.WriteString(w, `{}`)
	case "post", "call":
		if !session() {
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		raw, err := hex.DecodeString(strings.TrimSpace(string(body)))
		if err != nil {
			fail("invalid hex")
			return
		}
		typ, payload, err := wire.DecodeBridge(raw)
		if err != nil {
			fail("malformed data")
			return
		}
		if err := b.link.Write(r.Context(), typ, payload); err != nil {
			fail(err.Error())
			return
		}
		if parts[0] == "call" {
			b.read(w, r, fail)
		}
	case "read":
		if !session() {
			return
		}
		b.read(w, r, fail)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func (b *Bridge) read(w http.ResponseWriter, r *http.Request, fail func(string)) {
	typ, payload, err := b.link.Read(r.Context())
	if err != nil {
		fail(err.Error())
		return
	}
	io.WriteString(w, hex.EncodeToString(wire.EncodeBridge(typ, payload)))
}
