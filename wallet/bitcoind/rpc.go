package bitcoind

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// RPCError is an error object a node put in its reply, such as
// {"code": -5, "message": "Block not found"}.
type RPCError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (e *RPCError) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }

// Codes of RPCError that the source tells apart.
const (
	codeMethodNotFound = -32601
	codeNotFound       = -5 // invalid address or key: no such block or transaction
)

// maxReply bounds a reply's size: a batch of filters or a 4 MB block in
// hex stays far below it.
const maxReply = 256 << 20

// client speaks JSON-RPC 1.0 over HTTP POST, the dialect of Bitcoin Core
// and btcd, with batches (a JSON array of requests in one POST).
type client struct {
	url    string
	server string // names the node in errors
	hc     *http.Client

	user, pass string
	cookie     string // cookie file path, re-read on 401

	mu     sync.Mutex // guards the credentials read from the cookie
	id     atomic.Uint64
	closed atomic.Bool
}

type request struct {
	JSONRPC string `json:"jsonrpc"`
	ID      uint64 `json:"id"`
	Method  string `json:"method"`
	Params  []any  `json:"params"`
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *RPCError       `json:"error"`
	ID     *uint64         `json:"id"`
}

// result is one reply of a batch: the raw result or the node's error.
type result struct {
	raw json.RawMessage
	err *RPCError
}

// credentials returns the user and password, from the cookie file when
// configured.
func (c *client) credentials(reload bool) (string, string, error) {
	if c.cookie == "" {
		return c.user, c.pass, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.user == "" || reload {
		b, err := os.ReadFile(c.cookie)
		if err != nil {
			return "", "", fmt.Errorf("reading cookie file: %w", err)
		}
		u, p, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
		if !ok {
			return "", "", errors.New("cookie file holds no user:password")
		}
		c.user, c.pass = u, p
	}
	return c.user, c.pass, nil
}

func (c *client) fail(op string, err error) error {
	return &chain.ServerError{Server: c.server, Op: op, Err: err}
}

// post sends body and returns the reply body. Errors carry op; a
// cancelled or expired ctx gives ctx's error itself.
func (c *client) post(ctx context.Context, op string, body []byte) ([]byte, error) {
	if c.closed.Load() {
		return nil, c.fail(op, errors.New("source closed"))
	}
	for attempt := 0; ; attempt++ {
		user, pass, err := c.credentials(attempt > 0)
		if err != nil {
			return nil, c.fail(op, err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
		if err != nil {
			return nil, c.fail(op, err)
		}
		req.SetBasicAuth(user, pass)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, c.fail(op, err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
		resp.Body.Close()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, c.fail(op, fmt.Errorf("reading reply: %w", err))
		}
		switch {
		case resp.StatusCode == http.StatusUnauthorized && c.cookie != "" && attempt == 0:
			continue // the node restarted and wrote a new cookie
		case resp.StatusCode == http.StatusUnauthorized:
			return nil, c.fail(op, errors.New("authentication failed: check the RPC user and password or cookie file"))
		case resp.StatusCode == http.StatusForbidden:
			return nil, c.fail(op, errors.New("forbidden: the node does not allow RPC from this address"))
		case len(data) > maxReply:
			return nil, c.fail(op, fmt.Errorf("%w: reply larger than %d bytes", chain.ErrMalformed, maxReply))
		}
		// Nodes answer RPC errors with HTTP 404 or 500 and a JSON body;
		// a status without a JSON body is an HTTP-level failure.
		if resp.StatusCode != http.StatusOK && !json.Valid(data) {
			return nil, c.fail(op, fmt.Errorf("HTTP %s", resp.Status))
		}
		return data, nil
	}
}

// call makes one call and decodes its result into out (unless nil).
// A node's error comes back as a *RPCError inside a *chain.ServerError.
func (c *client) call(ctx context.Context, method string, out any, params ...any) error {
	if params == nil {
		params = []any{}
	}
	id := c.id.Add(1)
	body, err := json.Marshal(request{JSONRPC: "1.0", ID: id, Method: method, Params: params})
	if err != nil {
		return c.fail(method, err)
	}
	data, err := c.post(ctx, method, body)
	if err != nil {
		return err
	}
	var r reply
	if err := json.Unmarshal(data, &r); err != nil {
		return c.fail(method, fmt.Errorf("%w: %v", chain.ErrMalformed, err))
	}
	if r.Error != nil {
		return c.fail(method, r.Error)
	}
	if r.ID == nil || *r.ID != id {
		return c.fail(method, fmt.Errorf("%w: reply to another request", chain.ErrMalformed))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(r.Result, out); err != nil {
		return c.fail(method, fmt.Errorf("%w: result: %v", chain.ErrMalformed, err))
	}
	return nil
}

// batch calls method once per parameter list in one request and returns
// the results in the same order. Per-call node errors are in the
// results; the error is for the batch as a whole.
func (c *client) batch(ctx context.Context, method string, params [][]any) ([]result, error) {
	if len(params) == 0 {
		return nil, nil
	}
	reqs := make([]request, len(params))
	first := c.id.Add(uint64(len(params))) - uint64(len(params)) + 1
	for i, p := range params {
		if p == nil {
			p = []any{}
		}
		reqs[i] = request{JSONRPC: "1.0", ID: first + uint64(i), Method: method, Params: p}
	}
	body, err := json.Marshal(reqs)
	if err != nil {
		return nil, c.fail(method, err)
	}
	data, err := c.post(ctx, method, body)
	if err != nil {
		return nil, err
	}
	var replies []reply
	if err := json.Unmarshal(data, &replies); err != nil {
		// A node refusing the whole batch answers with one error object.
		var r reply
		if json.Unmarshal(data, &r) == nil && r.Error != nil {
			return nil, c.fail(method, r.Error)
		}
		return nil, c.fail(method, fmt.Errorf("%w: %v", chain.ErrMalformed, err))
	}
	out := make([]result, len(params))
	seen := make([]bool, len(params))
	for _, r := range replies {
		if r.ID == nil || *r.ID < first || *r.ID >= first+uint64(len(params)) || seen[*r.ID-first] {
			return nil, c.fail(method, fmt.Errorf("%w: batch reply with an unexpected id", chain.ErrMalformed))
		}
		i := *r.ID - first
		seen[i] = true
		out[i] = result{raw: r.Result, err: r.Error}
	}
	for i, ok := range seen {
		if !ok {
			return nil, c.fail(method, fmt.Errorf("%w: batch reply misses request %d", chain.ErrMalformed, i))
		}
	}
	return out, nil
}

// decode decodes a batch result into out, or returns the node's error.
func (c *client) decode(method string, r result, out any) error {
	if r.err != nil {
		return c.fail(method, r.err)
	}
	if err := json.Unmarshal(r.raw, out); err != nil {
		return c.fail(method, fmt.Errorf("%w: result: %v", chain.ErrMalformed, err))
	}
	return nil
}

// rpcCode returns the node's error code inside err, or 0.
func rpcCode(err error) int {
	var re *RPCError
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}
