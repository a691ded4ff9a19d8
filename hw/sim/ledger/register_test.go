package ledger

import (
	"encoding/hex"
	"testing"
)

// TestSLIP21Vectors checks the SLIP-0021 derivation against the
// specification's vectors (seed of "all all ... all").
func TestSLIP21Vectors(t *testing.T) {
	seed, _ := hex.DecodeString("c76c4ac4f4e4a00d6b274d5c39c700bb4a7ddc04fbc6f78e85ca75007b5b495f" +
		"74a9043eeb77bdd53aa6fc3a0e31462270316fa04b8c19114c8798706cd02ac8")
	got := slip21Key(seed, "SLIP-0021")
	if want := "1d065e3ac1bbe5c7fad32cf2305f7d709dc070d672044a19e610c77cdf33de0d"; hex.EncodeToString(got[:]) != want {
		t.Errorf(`m/"SLIP-0021" = %x, want %s`, got, want)
	}
}

func TestParseMultisig(t *testing.T) {
	for _, tc := range []struct {
		tmpl string
		ok   bool
	}{
		{"wsh(sortedmulti(2,@0/**,@1/**))", true},
		{"sh(wsh(multi(1,@0/<0;1>/*,@1/<2;3>/*)))", true},
		{"sh(sortedmulti(2,@0/**,@1/**,@2/**))", true},
		{"wsh(sortedmulti(3,@0/**,@1/**))", false},
		{"wsh(sortedmulti(1,@0/**,@0/**))", false},
		{"wpkh(@0/**)", false},
		{"tr(@0/**)", false},
		{"wsh(sortedmulti(02,@0/**,@1/**))", false},
		{"wsh(sortedmulti(1,@0/<1;1>/*,@1/**))", false},
	} {
		if _, err := parseMultisig(tc.tmpl); (err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.tmpl, err, tc.ok)
		}
	}
}
