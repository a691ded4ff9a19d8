package ctxio

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// pipe returns both ends of a real loopback TCP connection.
func pipe(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-accepted
	t.Cleanup(func() { c.Close(); s.Close() })
	return c, s
}

func TestBindDeadline(t *testing.T) {
	c, _ := pipe(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	release := Bind(ctx, c)
	_, err := c.Read(make([]byte, 1))
	release()
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the context's deadline: %v", err)
	}
	if e := Err(ctx, err); !errors.Is(e, context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want context.DeadlineExceeded", e)
	}
}

func TestBindCancel(t *testing.T) {
	c, _ := pipe(t)
	ctx, cancel := context.WithCancel(context.Background())
	release := Bind(ctx, c)
	defer release()
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Read(make([]byte, 1))
	if !errors.Is(Err(ctx, err), context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("read after cancel: %v after %v", err, time.Since(start))
	}
}

func TestBindClearsDeadline(t *testing.T) {
	c, s := pipe(t)
	// A context without deadline lifts one set before.
	_ = c.SetDeadline(time.Unix(1, 0))
	release := Bind(context.Background(), c)
	defer release()
	go s.Write([]byte{7})
	b := make([]byte, 1)
	if _, err := c.Read(b); err != nil || b[0] != 7 {
		t.Fatalf("read: %v %v", b, err)
	}
}

func TestErrLeavesOthers(t *testing.T) {
	if err := Err(context.Background(), io.EOF); err != io.EOF {
		t.Fatalf("Err = %v, want io.EOF itself", err)
	}
	if Ended(context.Background(), os.ErrDeadlineExceeded) != nil {
		t.Fatal("a deadline not from the context counted as the context's")
	}
	// Bind on something without deadlines does nothing.
	Bind(context.Background(), struct{}{})()
}
