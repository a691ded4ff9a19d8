package electrum

import (
	"errors"
	"testing"

	"codeberg.org/hardfolio/hardfolio/wallet/chain"
)

func TestFeeRateConversion(t *testing.T) {
	for _, tc := range []struct {
		btcPerKB float64
		want     float64
		err      error
	}{
		{0.00001, 1, nil},
		{0.00101079, 101.079, nil},
		{0, 0, nil},
		{-1, 0, chain.ErrNoFeeEstimate},
		{1e9, 0, chain.ErrMalformed},
	} {
		got, err := feeRate("electrum test", 2, tc.btcPerKB)
		if !errors.Is(err, tc.err) || (tc.err == nil && (got-tc.want > 1e-9 || tc.want-got > 1e-9)) {
			t.Errorf("feeRate(%v) = %v, %v; want %v, %v", tc.btcPerKB, got, err, tc.want, tc.err)
		}
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		n    int
		bad  bool
	}{
		{`{"jsonrpc":"2.0","id":1,"result":null}`, 1, false},
		{`[{"jsonrpc":"2.0","id":2,"result":1},{"jsonrpc":"2.0","id":1,"result":2}]`, 2, false},
		{`{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{"height":1,"hex":""}]}`, 1, false},
		{`   `, 0, false},
		{`[]`, 0, true},
		{`{"id":1,"result":`, 0, true},
		{`nonsense`, 0, true},
	} {
		msgs, err := parseLine([]byte(tc.line))
		if (err != nil) != tc.bad || len(msgs) != tc.n {
			t.Errorf("parseLine(%s) = %d messages, %v", tc.line, len(msgs), err)
		}
	}
}
