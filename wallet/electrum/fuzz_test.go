package electrum

import (
	"encoding/json"
	"io"
	"net"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// FuzzElectrumResponse feeds arbitrary lines to the reply parsers and to a
// connection's dispatcher: nothing may panic, and a line the dispatcher
// cannot understand must end the connection rather than be half-used.
func FuzzElectrumResponse(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"result":[{"tx_hash":"45381031132c57b2ff1cbe8d8d3920cf9ed25efd9a0beb764bdb2f24c7d1c7e3","height":0,"fee":24310}]}`,
		`[{"jsonrpc":"2.0","id":2,"result":{"merkle":["713d6c7e6ce7bbea708d61162231eaa8ecb31c4c5dd84f81c20409a90069cb24"],"block_height":450538,"pos":710}},{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"no"}}]`,
		`{"jsonrpc":"2.0","id":1,"result":"0100000085144a84488ea88d221c8bd6c059da090e88f8a2c99690ee55dbba4e00000000e11c48fecdd9e72510ca84f023370c9a38bf91ac5cae88019bee94d24528526344c36649ffff001d1d03e477"}`,
		`{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":520481,"hex":"00000020890208a0ae3a3892aa047c5468725846577cfcd9b512b50000000000000000005dc2b02f2d297a9064ee103036c14d678f9afc7e3d9409cf53fd58b82e938e8ecbeca05a2d2103188ce804c4"}]}`,
		`{"jsonrpc":"2.0","method":"blockchain.scripthash.subscribe","params":["8b01df4e368ea28f8dc0423bcf7a4923e3a12d307c875e47a0cfbf90b5c39161",null]}`,
		`{"jsonrpc":"2.0","id":1,"result":{"from_height":0,"to_height":-1,"history":[]}}`,
		`{"jsonrpc":"2.0","error":{"code":-32700,"message":"invalid JSON"},"id":null}`,
		`{"id":"x","result":1}`,
		`[]`,
		`{"id":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		msgs, err := parseLine(line)
		if err == nil {
			for _, m := range msgs {
				parseHistory(m.Result)
				parseMerkle(m.Result)
				var s string
				if json.Unmarshal(m.Result, &s) == nil {
					chain.ParseHeaderHex(s)
					chain.ParseTxHex(s)
					chain.ParseHashHex(s)
				}
				if !isNull(m.Error) {
					parseRPCError(m.Error)
				}
			}
		}

		// Through a connection with two calls waiting.
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		go io.Copy(io.Discard, b)
		c := &Client{cfg: Config{}}
		cn := newConn(a, 1<<20, c.onNotify)
		defer cn.close(&connError{ErrClosed})
		ch1, ch2 := make(chan response, 1), make(chan response, 1)
		cn.mu.Lock()
		cn.pending[1], cn.pending[2] = ch1, ch2
		cn.mu.Unlock()
		if err := cn.dispatch(line); err != nil {
			return
		}
	})
}
