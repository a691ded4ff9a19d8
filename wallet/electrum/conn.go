package electrum

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// The Electrum wire format is JSON-RPC 2.0, one message a line. A request
// is an object, or an array of objects (a batch), written as one line:
//
//	{"jsonrpc":"2.0","id":7,"method":"blockchain.block.header","params":[100]}
//	[{"jsonrpc":"2.0","id":8,...},{"jsonrpc":"2.0","id":9,...}]
//
// The server answers a request with an object and a batch with an array of
// objects, each carrying the id of its request and either "result" or
// "error" ({"code":1,"message":"..."}); the order inside an array is not
// guaranteed. Notifications of subscriptions arrive between replies as
// objects with "method" and "params" and no id. conn multiplexes any number
// of concurrent callers over one connection by request id.

// request is one method call.
type request struct {
	Method string
	Params []any
}

// response is the outcome of one request: a result, or an error (an
// *RPCError from the server, or what went wrong on the connection).
type response struct {
	result json.RawMessage
	err    error
}

// RPCError is an error object returned by the server.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("server error %d: %s", e.Code, chain.Truncate(e.Message, 500))
}

// connError marks a failure of the connection itself (closed, reset,
// timed out while writing), as opposed to a reply the server sent. A call
// that fails this way may be retried once on a new connection.
type connError struct{ err error }

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

func isConnError(err error) bool {
	var ce *connError
	return errors.As(err, &ce)
}

type wireRequest struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type wireMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  json.RawMessage `json:"error"`
}

// conn is one connection to a server, shared by concurrent callers.
type conn struct {
	nc      net.Conn
	maxLine int
	notify  func(method string, params json.RawMessage)

	wmu sync.Mutex // serializes writes

	mu      sync.Mutex
	pending map[uint64]chan response
	nextID  uint64
	err     error         // why the connection ended; set once
	done    chan struct{} // closed when the connection ends
	last    time.Time     // last time a line was written or read

	lines atomic.Int64 // request lines written: one per round trip
}

// newConn starts reading from nc. notify is called, on the reading
// goroutine, for each notification; it must not block.
func newConn(nc net.Conn, maxLine int, notify func(string, json.RawMessage)) *conn {
	c := &conn{
		nc:      nc,
		maxLine: maxLine,
		notify:  notify,
		pending: make(map[uint64]chan response),
		done:    make(chan struct{}),
		last:    time.Now(),
	}
	go c.readLoop()
	return c
}

// alive reports whether the connection can still carry requests.
func (c *conn) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// idleSince returns when the connection last carried a line.
func (c *conn) idleSince() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// close ends the connection; pending calls fail with err.
func (c *conn) close(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
		close(c.done)
		for id, ch := range c.pending {
			ch <- response{err: err}
			delete(c.pending, id)
		}
	}
	c.mu.Unlock()
	c.nc.Close()
}

// call sends reqs as one line (a batch when there are several) and waits
// for every reply. Replies that are server errors are returned in place;
// the error result is for the connection or ctx.
func (c *conn) call(ctx context.Context, reqs []request) ([]response, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	chans := make([]chan response, len(reqs))
	wire := make([]wireRequest, len(reqs))
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	for i, r := range reqs {
		c.nextID++
		params := r.Params
		if params == nil {
			params = []any{}
		}
		wire[i] = wireRequest{JSONRPC: "2.0", ID: c.nextID, Method: r.Method, Params: params}
		chans[i] = make(chan response, 1)
		c.pending[c.nextID] = chans[i]
	}
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		for _, w := range wire {
			delete(c.pending, w.ID)
		}
		c.mu.Unlock()
	}

	var line []byte
	var err error
	if len(wire) == 1 {
		line, err = json.Marshal(wire[0])
	} else {
		line, err = json.Marshal(wire)
	}
	if err != nil {
		forget()
		return nil, fmt.Errorf("encoding request: %w", err)
	}
	line = append(line, '\n')
	if err := c.write(ctx, line); err != nil {
		forget()
		return nil, err
	}

	out := make([]response, len(reqs))
	for i, ch := range chans {
		select {
		case r := <-ch:
			if r.err != nil && (isConnError(r.err) || !c.alive()) {
				// The connection ended before this reply came.
				forget()
				return nil, r.err
			}
			out[i] = r
		case <-ctx.Done():
			forget()
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// write sends one line, giving up when ctx ends.
func (c *conn) write(ctx context.Context, line []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.alive() {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(time.Minute)
	}
	c.nc.SetWriteDeadline(deadline)
	// Cancelling ctx interrupts the write, and only this write.
	var amu sync.Mutex
	active := true
	stop := context.AfterFunc(ctx, func() {
		amu.Lock()
		defer amu.Unlock()
		if active {
			c.nc.SetWriteDeadline(time.Now())
		}
	})
	_, err := c.nc.Write(line)
	stop()
	amu.Lock()
	active = false
	amu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			// A write cut short leaves half a line on the wire: the
			// connection cannot be used any more.
			c.close(&connError{fmt.Errorf("connection abandoned mid-write: %w", ctx.Err())})
			return ctx.Err()
		}
		cerr := &connError{fmt.Errorf("sending request: %w", err)}
		c.close(cerr)
		return cerr
	}
	c.lines.Add(1)
	c.mu.Lock()
	c.last = time.Now()
	c.mu.Unlock()
	return nil
}

// readLoop reads lines until the connection ends.
func (c *conn) readLoop() {
	r := bufio.NewReaderSize(c.nc, 64<<10)
	for {
		line, err := readLine(r, c.maxLine)
		if err != nil {
			switch {
			case errors.Is(err, errLineTooLong):
				c.close(fmt.Errorf("%w: %v", chain.ErrMalformed, err))
			case errors.Is(err, io.EOF):
				c.close(&connError{errors.New("connection closed by server")})
			default:
				c.close(&connError{fmt.Errorf("connection lost: %w", err)})
			}
			return
		}
		c.mu.Lock()
		c.last = time.Now()
		c.mu.Unlock()
		if err := c.dispatch(line); err != nil {
			c.close(fmt.Errorf("%w: %v", chain.ErrMalformed, err))
			return
		}
	}
}

var errLineTooLong = errors.New("reply line too long")

// readLine reads one newline-terminated line of at most max bytes.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) > max {
			return nil, fmt.Errorf("%w: over %d bytes", errLineTooLong, max)
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && len(buf) > 0:
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// dispatch routes one line from the server: a reply, an array of replies,
// or a notification. An error means the line cannot be understood, after
// which nothing on the connection can be trusted to line up.
func (c *conn) dispatch(line []byte) error {
	msgs, err := parseLine(line)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if err := c.deliver(m); err != nil {
			return err
		}
	}
	return nil
}

// parseLine decodes a line into its messages.
func parseLine(line []byte) ([]wireMessage, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return nil, nil
	}
	var msgs []wireMessage
	if line[0] == '[' {
		if err := json.Unmarshal(line, &msgs); err != nil {
			return nil, fmt.Errorf("reply is not JSON: %v (%q)", err, chain.Truncate(string(line), 120))
		}
		if len(msgs) == 0 {
			return nil, errors.New("empty reply array")
		}
		return msgs, nil
	}
	var m wireMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return nil, fmt.Errorf("reply is not JSON: %v (%q)", err, chain.Truncate(string(line), 120))
	}
	return []wireMessage{m}, nil
}

// isNull reports whether a raw JSON value is absent or null.
func isNull(v json.RawMessage) bool {
	return len(v) == 0 || string(v) == "null"
}

// deliver hands one message to its waiting caller or to the notification
// handler.
func (c *conn) deliver(m wireMessage) error {
	if isNull(m.ID) {
		if m.Method != "" {
			if c.notify != nil {
				c.notify(m.Method, m.Params)
			}
			return nil
		}
		if !isNull(m.Error) {
			// An error without id: the server could not tell which
			// request it answers (it could not parse ours). Every
			// waiting call gets it.
			rerr := parseRPCError(m.Error)
			c.mu.Lock()
			for id, ch := range c.pending {
				ch <- response{err: rerr}
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return nil
		}
		return errors.New("message with neither id nor method")
	}
	id, err := strconv.ParseUint(string(m.ID), 10, 64)
	if err != nil {
		return fmt.Errorf("reply id %s is not one this client sent", chain.Truncate(string(m.ID), 40))
	}
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if !ok {
		return nil // a reply to a call that gave up waiting
	}
	switch {
	case !isNull(m.Error):
		ch <- response{err: parseRPCError(m.Error)}
	case m.Result == nil:
		ch <- response{err: fmt.Errorf("%w: reply has neither result nor error", chain.ErrMalformed)}
	default:
		ch <- response{result: m.Result}
	}
	return nil
}

// parseRPCError decodes a JSON-RPC error object. Servers that send a bare
// string are tolerated.
func parseRPCError(raw json.RawMessage) error {
	var e RPCError
	if err := json.Unmarshal(raw, &e); err == nil && (e.Message != "" || e.Code != 0) {
		return &e
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &RPCError{Message: s}
	}
	return fmt.Errorf("%w: unreadable error object %q", chain.ErrMalformed, chain.Truncate(string(raw), 120))
}
