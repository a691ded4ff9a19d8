package bitcoind_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/wallet/chain/chaintest"
)

// proxy stands between the source and the node on 127.0.0.1 and, when
// told to, tampers with the node's JSON-RPC replies.
type proxy struct {
	target string
	srv    *httptest.Server
	hc     *http.Client

	mu       sync.Mutex
	lie      chaintest.LieKind
	rewrite  rewriter
	released chan struct{}
	calls    map[string]int // by method, and "getblock/3" for verbosity 3
}

// count returns the calls seen per method since the last count.
func (p *proxy) count() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls
	p.calls = make(map[string]int)
	return c
}

// rewriter answers a call in place of the node, or returns nil, nil to
// pass it on.
type rewriter func(method string, params []json.RawMessage) (json.RawMessage, *rpcErr)

type rpcErr struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcReq struct {
	ID     json.RawMessage   `json:"id"`
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

type rpcReply struct {
	Result json.RawMessage `json:"result"`
	Error  *rpcErr         `json:"error"`
	ID     json.RawMessage `json:"id"`
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{target: target, released: make(chan struct{}), hc: &http.Client{}, calls: make(map[string]int)}
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() {
		close(p.released)
		p.srv.Close()
	})
	return p
}

func (p *proxy) URL() string { return p.srv.URL }

func (p *proxy) setLie(k chaintest.LieKind) {
	p.mu.Lock()
	p.lie = k
	p.mu.Unlock()
}

// setRewrite installs a function that sees (and may change) every
// method's result, for emulating another node.
func (p *proxy) setRewrite(f rewriter) {
	p.mu.Lock()
	p.rewrite = f
	p.mu.Unlock()
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var reqs []rpcReq
	p.mu.Lock()
	lie, rewrite := p.lie, p.rewrite
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		for _, q := range reqs {
			m := q.Method
			if m == "getblock" && len(q.Params) > 1 && string(q.Params[1]) == "3" {
				m = "getblock/3"
			}
			p.calls[m]++
		}
		p.mu.Unlock()
	}()
	switch lie {
	case chaintest.LieHang:
		select {
		case <-r.Context().Done():
		case <-p.released:
		}
		return
	case chaintest.LieClose:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case chaintest.LieMalformed:
		w.Write([]byte(`{"result": [unfinished`))
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	if batch {
		json.Unmarshal(body, &reqs)
	} else {
		var one rpcReq
		json.Unmarshal(body, &one)
		reqs = []rpcReq{one}
	}
	replies := p.answer(r, reqs, rewrite, lie)
	w.Header().Set("Content-Type", "application/json")
	if batch {
		json.NewEncoder(w).Encode(replies)
	} else {
		json.NewEncoder(w).Encode(replies[0])
	}
}

// answer gets the replies to reqs: from the emulation where it answers,
// else from the node in one batch; then tampers with them as the
// current lie says.
func (p *proxy) answer(r *http.Request, reqs []rpcReq, rewrite rewriter, lie chaintest.LieKind) []rpcReply {
	replies := make([]rpcReply, len(reqs))
	var ask []int
	for i, q := range reqs {
		replies[i].ID = q.ID
		if rewrite != nil {
			replies[i].Result, replies[i].Error = rewrite(q.Method, q.Params)
		}
		if replies[i].Result == nil && replies[i].Error == nil {
			ask = append(ask, i)
		}
	}
	if len(ask) > 0 {
		batch := make([]map[string]any, len(ask))
		for k, i := range ask {
			batch[k] = map[string]any{"jsonrpc": "1.0", "id": k + 1, "method": reqs[i].Method, "params": reqs[i].Params}
		}
		body, _ := json.Marshal(batch)
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, p.target, bytes.NewReader(body))
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		var got []struct {
			Result json.RawMessage `json:"result"`
			Error  *rpcErr         `json:"error"`
			ID     int             `json:"id"`
		}
		resp, err := p.hc.Do(req)
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
		}
		for _, g := range got {
			if g.ID >= 1 && g.ID <= len(ask) {
				i := ask[g.ID-1]
				replies[i].Result, replies[i].Error = g.Result, g.Error
			}
		}
		for _, i := range ask {
			if replies[i].Result == nil && replies[i].Error == nil {
				msg := "no reply from the node"
				if err != nil {
					msg = err.Error()
				}
				replies[i].Error = &rpcErr{Code: -1, Message: msg}
			}
		}
	}
	for i, q := range reqs {
		if replies[i].Error != nil {
			continue
		}
		switch {
		case lie == chaintest.LieTxBytes && q.Method == "getrawtransaction":
			replies[i].Result = tamperTx(replies[i].Result)
		case lie == chaintest.LieTxBytes && q.Method == "getblock" && len(q.Params) > 1 && string(q.Params[1]) == "0":
			replies[i].Result = tamperBlock(replies[i].Result)
		case lie == chaintest.LieHistory && (q.Method == "getcfilter" || q.Method == "getblockfilter"):
			replies[i].Result = tamperFilter(q.Method, replies[i].Result)
		}
	}
	return replies
}

// tamperTx changes a transaction's lock time: the bytes still parse but
// no longer hash to the txid asked for.
func tamperTx(res json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(res, &s) != nil {
		return res
	}
	b, _ := hex.DecodeString(s)
	var tx wire.MsgTx
	if tx.Deserialize(bytes.NewReader(b)) != nil {
		return res
	}
	tx.LockTime++
	var buf bytes.Buffer
	tx.Serialize(&buf)
	out, _ := json.Marshal(hex.EncodeToString(buf.Bytes()))
	return out
}

// tamperBlock changes the last transaction of a block, which keeps the
// header (and so the block hash) but breaks the merkle root.
func tamperBlock(res json.RawMessage) json.RawMessage {
	var s string
	if json.Unmarshal(res, &s) != nil {
		return res
	}
	b, _ := hex.DecodeString(s)
	var blk wire.MsgBlock
	if blk.Deserialize(bytes.NewReader(b)) != nil {
		return res
	}
	blk.Transactions[len(blk.Transactions)-1].TxOut[0].Value++
	var buf bytes.Buffer
	blk.Serialize(&buf)
	out, _ := json.Marshal(hex.EncodeToString(buf.Bytes()))
	return out
}

// tamperFilter replaces a filter with an empty one, which parses but
// breaks the filter header chain.
func tamperFilter(method string, res json.RawMessage) json.RawMessage {
	if method == "getcfilter" {
		return json.RawMessage(`"00"`)
	}
	var f map[string]any
	if json.Unmarshal(res, &f) != nil {
		return res
	}
	f["filter"] = "00"
	out, _ := json.Marshal(f)
	return out
}
