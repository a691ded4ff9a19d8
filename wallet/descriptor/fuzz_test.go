package descriptor

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// fuzzSeeds are the published vectors of the other tests.
func fuzzSeeds() []string {
	var seeds []string
	for _, v := range bip380ChecksumVectors {
		seeds = append(seeds, v.desc)
	}
	for _, v := range bip380KeyVectors {
		seeds = append(seeds, "pkh("+v.expr+")", "wpkh("+publicVariant(v.expr)+")")
	}
	for _, v := range bip38xScriptVectors {
		seeds = append(seeds, v.desc, publicVariant(v.desc))
	}
	for _, v := range bip389Vectors {
		seeds = append(seeds, v.desc)
	}
	seeds = append(seeds,
		bip84Desc,
		"wpkh([73c5da0a/84'/0'/0']"+bip84AcctPub+"/<0;1>/*)",
		"tr([73c5da0a/86h/0h/0h]"+bip86AcctPub+"/<0;1>/*)#00000000",
		"sh(wpkh("+bip49AcctPub+"/0/*))",
		"tr(cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115)",
	)
	return seeds
}

// FuzzParse: Parse never panics; its errors are *Error values with a
// position inside the text; a text holding a private key is always refused
// as such; and what it accepts prints canonically: parsing String() gives
// the same String() and the same scripts, and so do the expansions.
func FuzzParse(f *testing.F) {
	for i, s := range fuzzSeeds() {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, netByte uint8) {
		net := Network(netByte%4) + Mainnet
		private := findPrivate(s) >= 0
		d, err := Parse(s, net)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == nil || e.Pos < 0 || e.Pos > len(s)+1 {
				t.Fatalf("Parse(%q): malformed error %#v", s, err)
			}
			if private && !errors.Is(err, ErrPrivateKey) {
				t.Fatalf("Parse(%q) holds a private key but fails with %v", s, err)
			}
			return
		}
		if private {
			t.Fatalf("Parse(%q) accepted a private key", s)
		}
		canon := d.String()
		d2, err := Parse(canon, net)
		if err != nil {
			t.Fatalf("Parse(%q) of String() of %q: %v", canon, s, err)
		}
		if d2.String() != canon {
			t.Fatalf("unstable: %q -> %q -> %q", s, canon, d2.String())
		}
		sameScripts(t, d, d2)
		for _, e := range d.Expand() {
			e2, err := Parse(e.String(), net)
			if err != nil || e2.String() != e.String() {
				t.Fatalf("expansion %q: %v", e, err)
			}
			sameScripts(t, e, e2)
		}
	})
}

// sameScripts checks that two descriptors give the same first scripts on
// every chain they have.
func sameScripts(t *testing.T, a, b *Descriptor) {
	t.Helper()
	n := uint32(1)
	if a.IsRange() {
		n = 2
	}
	for _, change := range []bool{false, true} {
		if change && !a.HasChange() {
			break
		}
		sa, errA := a.Scripts(change, 0, n)
		sb, errB := b.Scripts(change, 0, n)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%s / %s: %v / %v", a, b, errA, errB)
		}
		for i := range sa {
			if !bytes.Equal(sa[i], sb[i]) {
				t.Fatalf("%s and %s differ at %d: %x / %x", a, b, i, sa[i], sb[i])
			}
		}
	}
}

// FuzzChecksum: the checksum of any text made of allowed characters
// verifies, and any one-character change in the text or the checksum is
// detected (BIP 380: every error of up to 3 symbols in a descriptor of up
// to 49154 characters is; one character is at most 2 symbols). Texts with
// other characters fail with their position.
func FuzzChecksum(f *testing.F) {
	for i, s := range fuzzSeeds() {
		if j := strings.IndexByte(s, '#'); j >= 0 {
			s = s[:j]
		}
		f.Add(s, uint16(i), uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, pos uint16, sym uint8) {
		sum, err := Checksum(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrSyntax) || e.Pos < 1 || e.Pos > len(s) || charsetPos[s[e.Pos-1]] >= 0 {
				t.Fatalf("Checksum(%q): %v", s, err)
			}
			return
		}
		if len(sum) != checksumLen {
			t.Fatalf("checksum %q", sum)
		}
		if strings.Contains(s, "#") || len(s) > 49154 {
			return // '#' ends the text for StripChecksum
		}
		if p, err := StripChecksum(s + "#" + sum); err != nil || p != s {
			t.Fatalf("StripChecksum(%q#%s) = %q, %v", s, sum, p, err)
		}
		if len(s) > 0 {
			i := int(pos) % len(s)
			c := inputCharset[int(sym)%len(inputCharset)]
			if c != s[i] && c != '#' {
				changed := s[:i] + string(c) + s[i+1:]
				if _, err := StripChecksum(changed + "#" + sum); !errors.Is(err, ErrChecksum) {
					t.Fatalf("changing %q at %d to %q went unnoticed: %v", s, i, c, err)
				}
			}
		}
		j := int(pos) % checksumLen
		if c := checksumCharset[int(sym)%32]; c != sum[j] {
			changed := sum[:j] + string(c) + sum[j+1:]
			if _, err := StripChecksum(s + "#" + changed); !errors.Is(err, ErrChecksum) {
				t.Fatalf("checksum %s of %q accepted for %s", changed, s, sum)
			}
		}
	})
}
