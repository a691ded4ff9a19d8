package wallet

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
)

// bip174Vectors are the test vectors of BIP 174 (bip-0174.mediawiki, "Test
// Vectors"), copied verbatim into testdata: the invalid and valid PSBTs,
// those that fail signer checks, and the role sequence (creator, updater,
// signers, combiner, finalizer, extractor), then the unknown-keys combiner
// case.
type bip174Vectors struct {
	Cases []struct {
		Kind   string `json:"kind"` // invalid, valid, signerfail
		Name   string `json:"name"`
		Base64 string `json:"base64"`
	} `json:"cases"`
	Roles []struct {
		Kind string `json:"kind"` // psbt (base64) or tx (hex)
		Data string `json:"data"`
	} `json:"roles"`
}

func loadBIP174(t testing.TB) bip174Vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/bip174_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v bip174Vectors
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBIP174Parse(t *testing.T) {
	v := loadBIP174(t)
	var n [2]int
	for _, c := range v.Cases {
		t.Run(c.Kind+"/"+c.Name, func(t *testing.T) {
			p, err := ParsePSBT([]byte(c.Base64))
			switch c.Kind {
			case "invalid":
				n[0]++
				if err == nil {
					t.Fatalf("accepted an invalid PSBT")
				}
				if !errors.Is(err, ErrBadPSBT) {
					t.Fatalf("error %v does not wrap ErrBadPSBT", err)
				}
			default:
				n[1]++
				if err != nil {
					t.Fatalf("rejected a valid PSBT: %v", err)
				}
				// Round trip: serialising gives back the same bytes.
				var b bytes.Buffer
				if err := WritePSBT(&b, p, Base64); err != nil {
					t.Fatal(err)
				}
				if b.String() != c.Base64 {
					t.Errorf("round trip changed the PSBT:\n got %s\nwant %s", b.String(), c.Base64)
				}
				// And binary input reads the same.
				raw, _ := base64.StdEncoding.DecodeString(c.Base64)
				if _, err := ParsePSBT(raw); err != nil {
					t.Errorf("binary form rejected: %v", err)
				}
			}
		})
	}
	if n[0] < 20 || n[1] < 10 {
		t.Fatalf("only %d invalid and %d valid vectors", n[0], n[1])
	}
}

// TestBIP174Roles runs the combiner, finalizer and extractor steps of the
// BIP 174 role vectors.
func TestBIP174Roles(t *testing.T) {
	v := loadBIP174(t)
	if len(v.Roles) != 11 {
		t.Fatalf("%d role vectors, want 11", len(v.Roles))
	}
	read := func(i int) string {
		if v.Roles[i].Kind != "psbt" {
			t.Fatalf("role vector %d is not a PSBT", i)
		}
		return v.Roles[i].Data
	}
	parse := func(s string) *psbt.Packet {
		p, err := ParsePSBT([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// 3 and 4 are the two signers' PSBTs, 5 their combination.
	combined, err := Combine(parse(read(3)), parse(read(4)))
	if err != nil {
		t.Fatal(err)
	}
	// btcd writes partial signatures sorted by public key, Bitcoin Core
	// (which made the vectors) by key id: compare in btcd's canonical order,
	// which is the same set of key-value pairs.
	if got := b64(t, combined); got != b64(t, parse(read(5))) {
		t.Errorf("combiner:\n got %s\nwant %s", got, read(5))
	}
	// 6 is the finalized PSBT.
	if err := Finalize(combined); err != nil {
		t.Fatal(err)
	}
	if got := b64(t, combined); got != read(6) {
		t.Errorf("finalizer:\n got %s\nwant %s", got, read(6))
	}
	// 7 is the extracted transaction.
	tx, err := Extract(combined)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	_ = tx.Serialize(&b)
	if got := hex.EncodeToString(b.Bytes()); got != v.Roles[7].Data {
		t.Errorf("extractor:\n got %s\nwant %s", got, v.Roles[7].Data)
	}
	// 8 and 9 carry unknown keys, 10 is their combination.
	uc, err := Combine(parse(read(8)), parse(read(9)))
	if err != nil {
		t.Fatal(err)
	}
	if got := b64(t, uc); got != read(10) {
		t.Errorf("combiner of unknowns:\n got %s\nwant %s", got, read(10))
	}
	// Combining PSBTs of different transactions fails.
	if _, err := Combine(parse(read(0)), parse(read(8))); !errors.Is(err, ErrDifferentTx) {
		t.Errorf("combining different transactions: %v", err)
	}
}

func b64(t *testing.T, p *psbt.Packet) string {
	t.Helper()
	s, err := p.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadPSBTGarbage(t *testing.T) {
	for _, in := range []string{"", "   ", "not base64!", "cHNidP8=", strings.Repeat("A", 100)} {
		if _, err := ParsePSBT([]byte(in)); !errors.Is(err, ErrBadPSBT) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func FuzzReadPSBT(f *testing.F) {
	v := loadBIP174(f)
	for _, c := range v.Cases {
		raw, _ := base64.StdEncoding.DecodeString(c.Base64)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePSBT(data)
		if err != nil {
			return
		}
		// What parses serialises, and reads back to the same bytes.
		var b bytes.Buffer
		if err := WritePSBT(&b, p, Binary); err != nil {
			t.Fatalf("serialise: %v", err)
		}
		q, err := ParsePSBT(b.Bytes())
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		var c bytes.Buffer
		_ = WritePSBT(&c, q, Binary)
		if !bytes.Equal(b.Bytes(), c.Bytes()) {
			t.Fatalf("serialisation not stable")
		}
	})
}
