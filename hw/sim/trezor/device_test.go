package trezor

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"codeberg.org/hardfolio/hardfolio/hw/transport"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// serve starts a device on a loopback UDP port and connects to it.
func serve(t *testing.T, opts Options) (*Device, *wire.PacketLink, string) {
	t.Helper()
	d, _, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	addr, err := d.ListenUDP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u, err := transport.DialTrezorUDP(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	l := wire.NewPacketLink(u)
	t.Cleanup(func() { l.Close() })
	return d, l, addr
}

func call(t *testing.T, l *wire.PacketLink, typ uint16, payload []byte) (uint16, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Write(ctx, typ, payload); err != nil {
		t.Fatal(err)
	}
	rt, rp, err := l.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return rt, rp
}

func failureCode(t *testing.T, l *wire.PacketLink, typ uint16, payload []byte) uint32 {
	t.Helper()
	typ, p := call(t, l, typ, payload)
	if typ != wire.TypeFailure {
		t.Fatalf("got %s, want Failure", wire.TypeName(typ))
	}
	var f wire.Failure
	if err := wire.Unmarshal(p, &f); err != nil {
		t.Fatal(err)
	}
	return f.Code
}

func TestLivenessPing(t *testing.T) {
	_, _, addr := serve(t, Options{})
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PINGPING"))
	c.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "PONGPONG" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}

func TestBadRequests(t *testing.T) {
	_, l, _ := serve(t, Options{})
	// A message type the device does not know.
	if code := failureCode(t, l, 999, nil); code != wire.FailureUnexpectedMessage {
		t.Fatalf("unknown type: code %d", code)
	}
	// Malformed protobuf: a truncated string.
	if code := failureCode(t, l, wire.TypeGetAddress, []byte{0x12, 0x07, 'B'}); code != wire.FailureDataError {
		t.Fatalf("malformed: code %d", code)
	}
	// An answer out of turn.
	if code := failureCode(t, l, wire.TypeTxAck, wire.Marshal(wire.TxAck{})); code != wire.FailureUnexpectedMessage {
		t.Fatalf("stray TxAck: code %d", code)
	}
	// SignTx without inputs.
	if code := failureCode(t, l, wire.TypeSignTx, wire.Marshal(wire.SignTx{OutputsCount: 1, Version: 2})); code != wire.FailureDataError {
		t.Fatalf("no inputs: code %d", code)
	}
	// Still answering.
	typ, p := call(t, l, wire.TypePing, wire.Marshal(wire.Ping{Message: "ok"}))
	var s wire.Success
	if typ != wire.TypeSuccess || wire.Unmarshal(p, &s) != nil || s.Message != "ok" {
		t.Fatalf("ping: %s %+v", wire.TypeName(typ), s)
	}
}

// Initialize starts a new session unless given the current one's id;
// GetFeatures keeps it.
func TestSessions(t *testing.T) {
	_, l, _ := serve(t, Options{})
	features := func(typ uint16, payload []byte) wire.Features {
		rt, rp := call(t, l, typ, payload)
		var f wire.Features
		if rt != wire.TypeFeatures || wire.Unmarshal(rp, &f) != nil {
			t.Fatalf("got %s", wire.TypeName(rt))
		}
		return f
	}
	a := features(wire.TypeInitialize, nil)
	b := features(wire.TypeGetFeatures, nil)
	c := features(wire.TypeInitialize, wire.Marshal(wire.Initialize{SessionID: a.SessionID}))
	d := features(wire.TypeInitialize, nil)
	if !bytes.Equal(a.SessionID, b.SessionID) || !bytes.Equal(a.SessionID, c.SessionID) || bytes.Equal(a.SessionID, d.SessionID) {
		t.Fatal("session ids")
	}
	if a.Vendor != "trezor.io" || a.Model != "1" || a.MajorVersion != DefaultVersion[0] {
		t.Fatalf("features %+v", a)
	}
}

func TestBridgeOrigin(t *testing.T) {
	_, _, addr := serve(t, Options{})
	b := NewBridge(addr)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go b.Serve(ln)
	defer b.Close()
	for origin, want := range map[string]int{
		"": http.StatusForbidden, "https://evil.example": http.StatusForbidden, "http://localhost:3000": http.StatusForbidden,
		"https://suite.trezor.io": http.StatusOK, "http://localhost:8000": http.StatusOK,
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/enumerate", strings.NewReader(""))
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("origin %q: %d, want %d", origin, resp.StatusCode, want)
		}
	}
}
