// Package transport moves raw bytes between hardfolio and a device: USB
// HID (Ledger, Trezor One), the Speculos APDU-over-TCP protocol (the Ledger
// emulator and our own simulator), the Trezor emulator's UDP port, the
// Trezor bridge's HTTP interface, and an in-memory, packet-preserving pipe
// for tests. It knows nothing about what the bytes mean.
package transport

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"
)

// ErrClosed is returned by operations on a closed MemConn.
var ErrClosed = errors.New("transport: closed")

// ErrGone reports a device that went away in the middle of an exchange:
// unplugged, or its emulator's connection closed. Errors of the transports
// wrap it when a read or write fails that way.
var ErrGone = errors.New("transport: the device went away (unplugged, or its connection closed)")

// MemConn is one end of an in-memory pipe that keeps packet boundaries, like
// a HID device: each Write is delivered as exactly one Read. It supports
// deadlines (errors wrap os.ErrDeadlineExceeded). Create pairs with MemPipe.
type MemConn struct {
	in, out chan []byte
	done    chan struct{} // closed when either end closes
	once    *sync.Once

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // replaced and closed when the deadline changes
}

// MemPipe returns two connected ends. Writes block until the peer reads or
// a buffer of 16 packets has room.
func MemPipe() (*MemConn, *MemConn) {
	ab, ba := make(chan []byte, 16), make(chan []byte, 16)
	done, once := make(chan struct{}), new(sync.Once)
	a := &MemConn{in: ba, out: ab, done: done, once: once, wake: make(chan struct{})}
	b := &MemConn{in: ab, out: ba, done: done, once: once, wake: make(chan struct{})}
	return a, b
}

func (c *MemConn) timer() (<-chan time.Time, <-chan struct{}, func()) {
	c.mu.Lock()
	dl, wake := c.deadline, c.wake
	c.mu.Unlock()
	if dl.IsZero() {
		return nil, wake, func() {}
	}
	t := time.NewTimer(time.Until(dl))
	return t.C, wake, func() { t.Stop() }
}

// Read returns the next packet. If p is too small the packet is cut and
// io.ErrShortBuffer is returned with the bytes that fit.
func (c *MemConn) Read(p []byte) (int, error) {
	for {
		tc, wake, stop := c.timer()
		select {
		case pkt := <-c.in:
			stop()
			n := copy(p, pkt)
			if n < len(pkt) {
				return n, io.ErrShortBuffer
			}
			return n, nil
		case <-c.done:
			stop()
			// Deliver what is still queued before reporting the end.
			select {
			case pkt := <-c.in:
				return copy(p, pkt), nil
			default:
				return 0, io.EOF
			}
		case <-tc:
			return 0, os.ErrDeadlineExceeded
		case <-wake:
			stop() // deadline changed: wait again with the new one
		}
	}
}

// Write sends p as one packet (copied).
func (c *MemConn) Write(p []byte) (int, error) {
	pkt := append([]byte(nil), p...)
	for {
		tc, wake, stop := c.timer()
		select {
		case <-c.done:
			stop()
			return 0, ErrClosed
		default:
		}
		select {
		case c.out <- pkt:
			stop()
			return len(p), nil
		case <-c.done:
			stop()
			return 0, ErrClosed
		case <-tc:
			return 0, os.ErrDeadlineExceeded
		case <-wake:
			stop()
		}
	}
}

// Close closes both ends.
func (c *MemConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

// SetDeadline sets the deadline for Read and Write; zero means none. A
// deadline in the past makes pending and future calls fail at once.
func (c *MemConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
	return nil
}
