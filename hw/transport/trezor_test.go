package transport

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
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

// A port that is open but never answers the ping (a busy or hung
// process): the dial gives up after its second even without a deadline.
func TestUDPSilentPortBounded(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	start := time.Now()
	_, err = DialTrezorUDP(context.Background(), pc.LocalAddr().String())
	if !errors.Is(err, ErrNoEmulator) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < time.Second || d > 2*time.Second {
		t.Fatalf("gave up after %v, want the ping's second", d)
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

// Listing the bridge's devices again and again, each time through a new
// Bridge as the hub does, reuses one connection rather than leaving one
// open per listing.
func TestBridgeReusesConnection(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[]"))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			mu.Lock()
			conns++
			mu.Unlock()
		}
	}
	srv.Start()
	defer srv.Close()
	for range 5 {
		b, err := NewBridge(strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		if devs, err := b.Enumerate(context.Background()); err != nil || len(devs) != 0 {
			t.Fatal(devs, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if conns != 1 {
		t.Fatalf("5 listings opened %d connections, want 1", conns)
	}
}
