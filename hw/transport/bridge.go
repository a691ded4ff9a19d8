package transport

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The Trezor bridge (trezord-go server/api/api.go; trezorlib
// transport/bridge.py): a local HTTP server, by default on
// 127.0.0.1:21325, that owns the USB devices and lets clients talk to them.
// Every call is a POST and must carry an Origin the bridge allows, else it
// answers 403.
//
//	| path                         | body            | reply                          |
//	|------------------------------|-----------------|--------------------------------|
//	| /                            |                 | {"version": "x.y.z"}           |
//	| /enumerate                   |                 | [{path, vendor, product, session, ...}] |
//	| /acquire/{path}/{prev|null}  |                 | {"session": "..."}             |
//	| /release/{session}           |                 | {}                             |
//	| /post/{session}              | hex message     |                                |
//	| /read/{session}              |                 | hex message                    |
//	| /call/{session}              | hex message     | hex message                    |
//
// Errors are HTTP 400 with {"error": "..."}. The messages are opaque here
// (the wire package gives them their header). Only loopback addresses are
// accepted: the bridge is a local service.

// DefaultBridgeAddr is where the Trezor bridge listens.
const DefaultBridgeAddr = "127.0.0.1:21325"

// BridgeOrigin is the Origin header sent: one of the local development
// origins the bridge allows (trezord-go server/api/cors.go).
const BridgeOrigin = "http://localhost:8000"

// Bridge errors.
var (
	// ErrNoBridge: nothing answers at the bridge address.
	ErrNoBridge = errors.New("transport: no Trezor bridge is running (start Trezor Suite or trezord)")
	// ErrBridge: the bridge answered with an error.
	ErrBridge = errors.New("transport: trezor bridge")
	// ErrNotLoopback: a bridge address that is not a loopback address.
	ErrNotLoopback = errors.New("transport: the trezor bridge must be on a loopback address")
)

// MaxBridgeReply bounds a reply body.
const MaxBridgeReply = 4 << 20

// BridgeDevice is one device the bridge sees.
type BridgeDevice struct {
	Path    string  `json:"path"`
	Vendor  int     `json:"vendor"`
	Product int     `json:"product"`
	Session *string `json:"session"`
}

// Bridge is a client of the Trezor bridge.
type Bridge struct {
	base   string
	client *http.Client
}

// NewBridge returns a client for the bridge at addr (host:port,
// DefaultBridgeAddr if empty); the host must be a loopback address.
func NewBridge(addr string) (*Bridge, error) {
	if addr == "" {
		addr = DefaultBridgeAddr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("transport: bridge address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w, not %s", ErrNotLoopback, host)
	}
	return &Bridge{base: "http://" + addr, client: bridgeClient}, nil
}

// bridgeClient is shared by every Bridge: the hub lists the bridge's
// devices on each refresh (every 2 s on the Devices screen), and a
// transport per Bridge would leave one idle keep-alive connection open
// per listing, never closed. Shared, the listings reuse one connection,
// and an idle one is closed after IdleConnTimeout.
var bridgeClient = &http.Client{Transport: &http.Transport{
	Proxy:           nil, // a loopback service: never through a proxy
	IdleConnTimeout: 30 * time.Second,
}}

// post sends a request and returns the body of a 200 reply.
func (b *Bridge) post(ctx context.Context, path string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Origin", BridgeOrigin)
	resp, err := b.client.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%v)", cerr, err)
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, fmt.Errorf("%w at %s", ErrNoBridge, strings.TrimPrefix(b.base, "http://"))
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrGone, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBridgeReply))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrGone, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return nil, fmt.Errorf("%w: %s: HTTP %d: %s", ErrBridge, path, resp.StatusCode, msg)
	}
	return data, nil
}

// Version returns the bridge's version.
func (b *Bridge) Version(ctx context.Context) (string, error) {
	data, err := b.post(ctx, "/", nil)
	if err != nil {
		return "", err
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return "", fmt.Errorf("%w: /: %v", ErrBridge, err)
	}
	return v.Version, nil
}

// Enumerate lists the devices the bridge sees.
func (b *Bridge) Enumerate(ctx context.Context) ([]BridgeDevice, error) {
	data, err := b.post(ctx, "/enumerate", nil)
	if err != nil {
		return nil, err
	}
	var out []BridgeDevice
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: /enumerate: %v", ErrBridge, err)
	}
	return out, nil
}

// Acquire opens a session on the device at path, taking it over from
// session prev if not empty.
func (b *Bridge) Acquire(ctx context.Context, path, prev string) (*BridgeSession, error) {
	if prev == "" {
		prev = "null"
	}
	data, err := b.post(ctx, "/acquire/"+url.PathEscape(path)+"/"+url.PathEscape(prev), nil)
	if err != nil {
		return nil, err
	}
	var s struct {
		Session string `json:"session"`
	}
	if err := json.Unmarshal(data, &s); err != nil || s.Session == "" {
		return nil, fmt.Errorf("%w: /acquire: no session in %q", ErrBridge, data)
	}
	return &BridgeSession{b: b, id: s.Session}, nil
}

// BridgeSession is an acquired device.
type BridgeSession struct {
	b  *Bridge
	id string
}

// ID returns the session id.
func (s *BridgeSession) ID() string { return s.id }

// Post sends one message (opaque bytes, sent as hex).
func (s *BridgeSession) Post(ctx context.Context, msg []byte) error {
	_, err := s.b.post(ctx, "/post/"+url.PathEscape(s.id), []byte(hex.EncodeToString(msg)))
	return err
}

// Read waits for the device's next message.
func (s *BridgeSession) Read(ctx context.Context) ([]byte, error) {
	data, err := s.b.post(ctx, "/read/"+url.PathEscape(s.id), nil)
	if err != nil {
		return nil, err
	}
	msg, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: /read: reply is not hex: %v", ErrBridge, err)
	}
	return msg, nil
}

// Call sends one message and waits for the device's answer, in one
// request: the only way bridges before 2.0.25 offer.
func (s *BridgeSession) Call(ctx context.Context, msg []byte) ([]byte, error) {
	data, err := s.b.post(ctx, "/call/"+url.PathEscape(s.id), []byte(hex.EncodeToString(msg)))
	if err != nil {
		return nil, err
	}
	reply, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%w: /call: reply is not hex: %v", ErrBridge, err)
	}
	return reply, nil
}

// SplitCalls reports whether a bridge of this version takes /post and
// /read (2.0.25 and later, as trezorlib decides); older ones take /call
// only. An unreadable version counts as new.
func SplitCalls(version string) bool {
	var v [3]int
	if n, _ := fmt.Sscanf(version, "%d.%d.%d", &v[0], &v[1], &v[2]); n != 3 {
		return true
	}
	return v[0] > 2 || (v[0] == 2 && (v[1] > 0 || v[2] >= 25))
}

// Release ends the session, within two seconds.
func (s *BridgeSession) Release() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := s.b.post(ctx, "/release/"+url.PathEscape(s.id), nil)
	return err
}
