package transport

import (
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// udpEcho serves the emulator's liveness ping and echoes every other
// datagram, on a real loopback socket.
func udpEcho(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 64)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			reply := buf[:n]
			if string(reply) == "PINGPING" {
				reply = []byte("PONGPONG")
			}
			_, _ = pc.WriteTo(reply, from)
		}
	}()
	return pc.LocalAddr().String()
}

func TestUDPPingAndPackets(t *testing.T) {
	addr := udpEcho(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u, err := DialTrezorUDP(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	pkt := make([]byte, 64)
	copy(pkt, "?##")
	if _, err := u.Write(pkt); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 64)
	n, err := u.Read(got)
	if err != nil || n != 64 || string(got[:3]) != "?##" {
		t.Fatal(n, err)
	}
}

func TestUDPNoEmulator(t *testing.T) {
	// A port nobody listens on: the ping fails within its second.
	pc, _ := net.ListenPacket("udp", "127.0.0.1:0")
	addr := pc.LocalAddr().String()
	pc.Close()
	start := time.Now()
	_, err := DialTrezorUDP(context.Background(), addr)
	if !errors.Is(err, ErrNoEmulator) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("took %v", time.Since(start))
	}
}

func TestUDPSilentTimesOut(t *testing.T) {
	addr := udpEcho(t)
	u, err := DialTrezorUDP(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	_ = u.SetDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = u.Read(make([]byte, 64))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v", err)
	}
}

// fakeBridge follows trezord-go's API: POST only, Origin checked, one
// device whose messages are echoed back.
type fakeBridge struct {
	mu      sync.Mutex
	session string
	queue   [][]byte
}

var bridgeOrigin = regexp.MustCompile(`^(https://([A-Za-z0-9\-_]+\.)*trezor\.io|https?://localhost:[58][0-9]{3})$`)

func (f *fakeBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !bridgeOrigin.MatchString(r.Header.Get("Origin")) {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	fail := func(msg string) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"error":"`+msg+`"}`)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch parts[0] {
	case "":
		_, _ = io.WriteString(w, `{"version":"2.0.33"}`)
	case "enumerate":
		s := "null"
		if f.session != "" {
			s = `"` + f.session + `"`
		}
		_, _ = io.WriteString(w, `[{"path":"1","vendor":4617,"product":21441,"debug":false,"session":`+s+`,"debugSession":null}]`)
	case "acquire":
		if len(parts) != 3 || parts[1] != "1" {
			fail("device not found")
			return
		}
		f.session = "7"
		_, _ = io.WriteString(w, `{"session":"7"}`)
	case "release":
		f.session = ""
		_, _ = io.WriteString(w, `{}`)
	case "post", "read":
		if len(parts) != 2 || parts[1] != f.session || f.session == "" {
			fail("session not found")
			return
		}
		if parts[0] == "post" {
			b, _ := io.ReadAll(r.Body)
			msg, err := hex.DecodeString(string(b))
			if err != nil {
				fail("bad hex")
				return
			}
			f.queue = append(f.queue, msg)
			return
		}
		if len(f.queue) == 0 {
			fail("nothing to read")
			return
		}
		_, _ = io.WriteString(w, hex.EncodeToString(f.queue[0]))
		f.queue = f.queue[1:]
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

func TestBridgeSession(t *testing.T) {
	srv := httptest.NewServer(&fakeBridge{})
	defer srv.Close()
	b, err := NewBridge(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := b.Version(ctx)
	if err != nil || v != "2.0.33" {
		t.Fatal(v, err)
	}
	devs, err := b.Enumerate(ctx)
	if err != nil || len(devs) != 1 || devs[0].Path != "1" || devs[0].Session != nil || devs[0].Product != 0x53c1 {
		t.Fatalf("%+v %v", devs, err)
	}
	if _, err := b.Acquire(ctx, "9", ""); !errors.Is(err, ErrBridge) || !strings.Contains(err.Error(), "device not found") {
		t.Fatalf("acquire unknown: %v", err)
	}
	s, err := b.Acquire(ctx, "1", "")
	if err != nil || s.ID() != "7" {
		t.Fatal(s, err)
	}
	msg := []byte{0, 55, 0, 0, 0, 0}
	if err := s.Post(ctx, msg); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read(ctx)
	if err != nil || hex.EncodeToString(got) != hex.EncodeToString(msg) {
		t.Fatal(got, err)
	}
	if _, err := s.Read(ctx); !errors.Is(err, ErrBridge) {
		t.Fatalf("empty read: %v", err)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestBridgeErrors(t *testing.T) {
	if _, err := NewBridge("192.0.2.1:21325"); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("non-loopback: %v", err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	b, _ := NewBridge(addr)
	if _, err := b.Enumerate(context.Background()); !errors.Is(err, ErrNoBridge) {
		t.Fatalf("no bridge: %v", err)
	}
	// A bridge that never answers: the context bounds the call.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	b, _ = NewBridge(strings.TrimPrefix(hang.URL, "http://"))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.Enumerate(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent bridge: %v", err)
	}
}

func TestSplitCalls(t *testing.T) {
	for v, want := range map[string]bool{"2.0.25": true, "2.0.33": true, "2.1.0": true, "3.0.0": true, "2.0.24": false, "1.9.9": false, "x": true} {
		if SplitCalls(v) != want {
			t.Errorf("SplitCalls(%q) = %v", v, !want)
		}
	}
}
