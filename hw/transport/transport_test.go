package transport

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// serveSpeculos answers each command with handler's data || SW on a
// loopback listener and returns its address.
func serveSpeculos(t *testing.T, handler func([]byte) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				for {
					cmd, err := ReadSpeculosCommand(c)
					if err != nil {
						return
					}
					resp := handler(cmd)
					if resp == nil {
						continue // stay silent
					}
					if err := WriteSpeculosResponse(c, resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func TestSpeculosWireFormat(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteSpeculosCommand(&buf, []byte{0xE1, 0x05, 0x00, 0x01, 0x00}); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != "00000005e105000100" {
		t.Errorf("command = %s", got)
	}
	buf.Reset()
	if err := WriteSpeculosResponse(&buf, []byte{0xf5, 0xac, 0xc2, 0xfd, 0x90, 0x00}); err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(buf.Bytes()); got != "00000004f5acc2fd9000" {
		t.Errorf("response = %s", got)
	}
	resp, err := ReadSpeculosResponse(bytes.NewReader(buf.Bytes()))
	if err != nil || hex.EncodeToString(resp) != "f5acc2fd9000" {
		t.Errorf("read = %x, %v", resp, err)
	}
	if _, err := ReadSpeculosResponse(bytes.NewReader([]byte{0, 0, 0, 4, 1, 2})); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := ReadSpeculosResponse(bytes.NewReader([]byte{0xff, 0, 0, 0})); !errors.Is(err, ErrSpeculosFrame) {
		t.Errorf("huge: %v", err)
	}
	if err := WriteSpeculosResponse(&buf, []byte{0x90}); err == nil {
		t.Error("response without SW")
	}
}

func TestSpeculosExchange(t *testing.T) {
	addr := serveSpeculos(t, func(cmd []byte) []byte {
		if bytes.Equal(cmd, []byte{0xE1, 0x05, 0x00, 0x01, 0x00}) {
			return []byte{0xf5, 0xac, 0xc2, 0xfd, 0x90, 0x00}
		}
		if len(cmd) > 0 && cmd[0] == 0xFF {
			return nil
		}
		return []byte{0x6E, 0x00}
	})
	ctx := context.Background()
	s, err := DialSpeculos(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := s.Exchange(ctx, []byte{0xE1, 0x05, 0x00, 0x01, 0x00})
	if err != nil || hex.EncodeToString(resp) != "f5acc2fd9000" {
		t.Fatalf("exchange = %x, %v", resp, err)
	}
	resp, err = s.Exchange(ctx, []byte{0xB0, 0x01, 0x00, 0x00, 0x00})
	if err != nil || hex.EncodeToString(resp) != "6e00" {
		t.Fatalf("exchange = %x, %v", resp, err)
	}
	// A silent device: the context deadline ends the wait.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Exchange(tctx, []byte{0xFF, 0, 0, 0, 0}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent device: %v", err)
	}
	// Cancellation works the same way.
	cctx, cancel2 := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel2)
	if _, err := s.Exchange(cctx, []byte{0xFF, 0, 0, 0, 0}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestDialSpeculosRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := DialSpeculos(context.Background(), addr); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}

func TestMemPipe(t *testing.T) {
	a, b := MemPipe()
	defer a.Close()
	go func() {
		_, _ = a.Write([]byte{1, 2, 3})
		_, _ = a.Write([]byte{4})
	}()
	buf := make([]byte, 64)
	n, err := b.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{1, 2, 3}) {
		t.Fatalf("read 1 = %x, %v", buf[:n], err)
	}
	n, err = b.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte{4}) {
		t.Fatalf("read 2 = %x, %v", buf[:n], err)
	}
	_ = b.SetDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := b.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("deadline: %v", err)
	}
	_ = b.SetDeadline(time.Time{})
	go func() { _, _ = a.Write(make([]byte, 10)) }()
	if n, err := b.Read(make([]byte, 4)); n != 4 || !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("short buffer: %d %v", n, err)
	}
	// A deadline set while a Read waits wakes it.
	done := make(chan error)
	go func() { _, err := b.Read(buf); done <- err }()
	time.Sleep(10 * time.Millisecond)
	_ = b.SetDeadline(time.Unix(1, 0))
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("woken read: %v", err)
	}
	_ = b.SetDeadline(time.Time{})
	a.Close()
	if _, err := b.Read(buf); !errors.Is(err, io.EOF) {
		t.Fatalf("after close: %v", err)
	}
	if _, err := b.Write([]byte{1}); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}
