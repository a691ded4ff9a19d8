package esplora

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

// FuzzEsploraTxs feeds arbitrary bodies to the parsers of history pages,
// fee estimates, merkle proofs and raw hex: nothing may panic, and what
// parses must make sense (confirmed entries with a height and a block).
func FuzzEsploraTxs(f *testing.F) {
	for _, s := range []string{
		`[{"txid":"45381031132c57b2ff1cbe8d8d3920cf9ed25efd9a0beb764bdb2f24c7d1c7e3","version":2,"locktime":0,"vin":[{"txid":"9f2c45a12db0144909b5db269415f7319179105982ac70ed80d76ea79d923ebf","vout":0,"prevout":{"scriptpubkey":"0014aa","scriptpubkey_asm":"OP_0 OP_PUSHBYTES_20 aa","scriptpubkey_type":"v0_p2wpkh","scriptpubkey_address":"bc1q","value":1000},"scriptsig":"","scriptsig_asm":"","witness":["30"],"is_coinbase":false,"sequence":4294967293}],"vout":[{"scriptpubkey":"0014bb","scriptpubkey_type":"v0_p2wpkh","value":900}],"size":222,"weight":561,"fee":100,"status":{"confirmed":true,"block_height":800000,"block_hash":"00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054","block_time":1690000000}}]`,
		`[{"txid":"45381031132c57b2ff1cbe8d8d3920cf9ed25efd9a0beb764bdb2f24c7d1c7e3","status":{"confirmed":false}}]`,
		`[{"txid":"45381031132c57b2ff1cbe8d8d3920cf9ed25efd9a0beb764bdb2f24c7d1c7e3","status":{"confirmed":true}}]`,
		`[]`,
		`null`,
		`{"2":87.882,"3":87.882,"144":1.027,"1008":1.027}`,
		`{"block_height":450538,"merkle":["713d6c7e6ce7bbea708d61162231eaa8ecb31c4c5dd84f81c20409a90069cb24"],"pos":710}`,
		`0100000085144a84488ea88d221c8bd6c059da090e88f8a2c99690ee55dbba4e00000000e11c48fecdd9e72510ca84f023370c9a38bf91ac5cae88019bee94d24528526344c36649ffff001d1d03e477`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if entries, err := parseTxsPage(data); err == nil {
			for _, e := range entries {
				if e.height < 0 || (e.height == 0 && e.block != [32]byte{}) {
					t.Fatalf("entry %+v", e)
				}
			}
		}
		var m map[string]float64
		if json.Unmarshal(data, &m) == nil {
			for _, target := range []int{1, 6, 1008} {
				rate, err := pickFeeRate(m, target,
					func(format string, args ...any) error { return fmt.Errorf(format, args...) },
					func(err error) error { return err })
				if err == nil && !(rate > 0) {
					t.Fatalf("rate %v without error", rate)
				}
				_ = errors.Unwrap(err)
			}
		}
		s := string(data)
		chain.ParseHeaderHex(s)
		chain.ParseTxHex(s)
		chain.ParseHashHex(s)
	})
}
