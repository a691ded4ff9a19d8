package descriptor

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// BIP 380 key expression vectors, verbatim. Each is tried inside pkh(),
// which takes any key expression. kind is what this package answers: nil
// for a key it takes, else the kind of its refusal. Where BIP 380 calls an
// expression valid and this package refuses it, the reason is its scope:
// private keys (watch-only), hardened steps after an xpub (they need the
// private key), uncompressed keys (not supported).
//
// pubKind, when set, is the answer for the same expression with the
// private key replaced by its public counterpart (pubOf), so that the
// syntax checks these vectors are about are exercised too.
var bip380KeyVectors = []struct {
	name    string
	expr    string
	kind    error
	pubKind error
}{
	// Valid expressions.
	{"Compressed public key", "0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", nil, nil},
	{"Uncompressed public key", "04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235", ErrUnsupported, nil},
	{"Public key with key origin", "[deadbeef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", nil, nil},
	{"Public key with key origin (' as hardened indicator)", "[deadbeef/0'/0'/0']0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", nil, nil},
	{"Public key with key origin (mixed hardened indicator)", "[deadbeef/0'/0h/0']0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", nil, nil},
	{"WIF uncompressed private key", "5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss", ErrPrivateKey, nil},
	{"WIF compressed private key", "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1", ErrPrivateKey, nil},
	{"Extended public key", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL", nil, nil},
	{"Extended public key with key origin", "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL", nil, nil},
	{"Extended public key with derivation", "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3/4/5", nil, nil},
	{"Extended public key with derivation and children", "[deadbeef/0h/1h/2h]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3/4/5/*", nil, nil},
	{"Extended public key with hardened derivation and unhardened children", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*", ErrHardened, nil},
	{"Extended public key with hardened derivation and children", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*h", ErrHardened, nil},
	{"Extended public key with key origin, hardened derivation and children", "[deadbeef/0h/1h/2]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL/3h/4h/5h/*h", ErrHardened, nil},
	{"Extended private key", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc", ErrPrivateKey, nil},
	{"Extended private key with key origin", "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc", ErrPrivateKey, nil},
	{"Extended private key with derivation", "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3/4/5", ErrPrivateKey, nil},
	{"Extended private key with derivation and children", "[deadbeef/0h/1h/2h]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3/4/5/*", ErrPrivateKey, nil},
	{"Extended private key with hardened derivation and unhardened children", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*", ErrPrivateKey, ErrHardened},
	{"Extended private key with hardened derivation and children", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*h", ErrPrivateKey, ErrHardened},
	{"Extended private key with key origin, hardened derivation and children", "[deadbeef/0h/1h/2]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3h/4h/5h/*h", ErrPrivateKey, ErrHardened},

	// Invalid expressions.
	{"Children indicator in key origin", "[deadbeef/0h/0h/0h/*]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Trailing slash in key origin", "[deadbeef/0h/0h/0h/]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Too short fingerprint", "[deadbef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Too long fingerprint", "[deadbeeef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Invalid hardened indicators (f)", "[deadbeef/0f/0f/0f]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Invalid hardened indicators (-)", "[deadbeef/-0/-0/-0]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Invalid hardened indicators (H)", "[deadbeef/0H/0H/0H]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600", ErrSyntax, nil},
	{"Invalid hardened indicators (xprv)", "[deadbeef/0h/1h/2]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/3H/4h/5h/*H", ErrPrivateKey, ErrSyntax},
	{"Private key with derivation", "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1/0", ErrPrivateKey, ErrSyntax},
	{"Private key with derivation children", "L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1/*", ErrPrivateKey, ErrSyntax},
	{"Derivation index out of range", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483648", ErrPrivateKey, ErrSyntax},
	{"Invalid derivation index", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/1aa", ErrPrivateKey, ErrSyntax},
	{"Multiple key origins", "[aaaaaaaa][aaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0", ErrPrivateKey, ErrSyntax},
	{"Missing key origin start", "aaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0", ErrPrivateKey, ErrSyntax},
	{"Non hex fingerprint", "[gaaaaaaa]xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0", ErrPrivateKey, ErrSyntax},
	{"Key origin with no public key", "[deadbeef]", ErrSyntax, nil},
}

// pubOf maps the private keys of the vectors to public keys: the xpub of
// the same BIP 32 node (BIP 32 test vector 2), and for the WIF key the
// compressed public key BIP 381 gives for it.
var pubOf = map[string]string{
	"xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc": "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL",
	"xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U": "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB",
	"L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1":                                                            "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd",
}

func publicVariant(s string) string {
	for prv, pub := range pubOf {
		s = strings.ReplaceAll(s, prv, pub)
	}
	return s
}

func TestBIP380KeyExpressions(t *testing.T) {
	for _, v := range bip380KeyVectors {
		t.Run(v.name, func(t *testing.T) {
			desc := "pkh(" + v.expr + ")"
			d, err := Parse(desc, Mainnet)
			checkKind(t, desc, d, err, v.kind)
			if v.kind == ErrPrivateKey {
				checkNoEcho(t, err, v.expr)
			}
			if v.pubKind != nil {
				desc := "pkh(" + publicVariant(v.expr) + ")"
				d, err := Parse(desc, Mainnet)
				checkKind(t, desc, d, err, v.pubKind)
			}
		})
	}

	// The three spellings of the hardened marker give one canonical text.
	var texts []string
	for _, v := range bip380KeyVectors[2:5] {
		d, err := Parse("pkh("+v.expr+")", Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, d.String())
	}
	want := "pkh([deadbeef/0h/0h/0h]0260b2003c386519fc9eadf2b5cf124dd8eea4c4e68d5e154050a9346ea98ce600)"
	for _, s := range texts {
		if !strings.HasPrefix(s, want+"#") {
			t.Errorf("canonical text %q; want %q with checksum", s, want)
		}
	}
}

// checkKind fails unless err has the wanted kind (nil: no error) and, on
// success, the descriptor survives a String/Parse round trip.
func checkKind(t *testing.T, desc string, d *Descriptor, err, kind error) {
	t.Helper()
	if kind == nil {
		if err != nil {
			t.Fatalf("Parse(%q): %v", desc, err)
		}
		again, err := Parse(d.String(), d.Network())
		if err != nil || again.String() != d.String() {
			t.Fatalf("round trip of %q: %v, %v", d, again, err)
		}
		return
	}
	if !errors.Is(err, kind) {
		t.Fatalf("Parse(%q) = %v; want an error of kind %q", desc, err, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse(%q) error %T is not an *Error", desc, err)
	}
}

// checkNoEcho fails if an error message repeats a private key.
func checkNoEcho(t *testing.T, err error, text string) {
	t.Helper()
	for prv := range pubOf {
		if strings.Contains(text, prv) && strings.Contains(err.Error(), prv[4:20]) {
			t.Fatalf("error message repeats the private key: %v", err)
		}
	}
}

// BIP 381, 382 and 386 script vectors, verbatim: a descriptor and its 0th,
// 1st and 2nd scripts. Descriptors of other script types than this
// package's, or with private keys, must be refused with the kind given;
// where the vector's key is public, keyOnly re-reads it in pkh() to check
// the key that its expected script embeds (a pk() script is
// 0x21 <33-byte key> OP_CHECKSIG).
var bip38xScriptVectors = []struct {
	desc    string
	scripts []string
	kind    error
	keyOnly bool
}{
	// BIP 381.
	{"pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)", []string{"2103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bdac"}, ErrPrivateKey, false},
	{"pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", []string{"2103a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bdac"}, ErrUnsupported, true},
	{"pkh([deadbeef/1/2'/3/4']L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)", []string{"76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac"}, ErrPrivateKey, false},
	{"pkh([deadbeef/1/2'/3/4']03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", []string{"76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac"}, nil, false},
	{"pkh([deadbeef/1/2h/3/4h]03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", []string{"76a9149a1c78a507689f6f54b847ad1cef1e614ee23f1e88ac"}, nil, false},
	{"pk(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)", []string{"4104a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235ac"}, ErrPrivateKey, false},
	{"pk(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)", []string{"4104a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235ac"}, ErrUnsupported, false},
	{"pkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)", []string{"76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac"}, ErrPrivateKey, false},
	{"pkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)", []string{"76a914b5bd079c4d57cc7fc28ecf8213a6b791625b818388ac"}, ErrUnsupported, false},
	{"sh(pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))", []string{"a9141857af51a5e516552b3086430fd8ce55f7c1a52487"}, ErrPrivateKey, false},
	{"sh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", []string{"a9141857af51a5e516552b3086430fd8ce55f7c1a52487"}, ErrUnsupported, false},
	{"sh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))", []string{"a9141a31ad23bf49c247dd531a623c2ef57da3c400c587"}, ErrPrivateKey, false},
	{"sh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", []string{"a9141a31ad23bf49c247dd531a623c2ef57da3c400c587"}, ErrUnsupported, false},
	{"pkh(xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U/2147483647'/0)", []string{"76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac"}, ErrPrivateKey, false},
	{"pkh([bd16bee5/2147483647h]xpub69H7F5dQzmVd3vPuLKtcXJziMEQByuDidnX3YdwgtNsecY5HRGtAAQC5mXTt4dsv9RzyjgDjAQs9VGVV6ydYCHnprc9vvaA5YtqWyL6hyds/0)", []string{"76a914ebdc90806a9c4356c1c88e42216611e1cb4c1c1788ac"}, nil, false},
	{"pk(xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0)", []string{"210379e45b3cf75f9c5f9befd8e9506fb962f6a9d185ac87001ec44a8d3df8d4a9e3ac"}, ErrPrivateKey, false},
	{"pk(xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0)", []string{"210379e45b3cf75f9c5f9befd8e9506fb962f6a9d185ac87001ec44a8d3df8d4a9e3ac"}, ErrUnsupported, true},
	// BIP 381 invalid descriptors.
	{"pk(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", nil, ErrUnsupported, false},
	{"pkh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", nil, ErrSyntax, false},
	{"sh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", nil, ErrSyntax, false},
	{"sh(sh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))", nil, ErrSyntax, false},

	// BIP 382.
	{"wpkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)", []string{"00149a1c78a507689f6f54b847ad1cef1e614ee23f1e"}, ErrPrivateKey, false},
	{"wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", []string{"00149a1c78a507689f6f54b847ad1cef1e614ee23f1e"}, nil, false},
	{"wpkh([ffffffff/13']xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt/1/2/0)", []string{"0014326b2249e3a25d5dc60935f044ee835d090ba859"}, ErrPrivateKey, false},
	{"wpkh([ffffffff/13']xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/1/2/*)", []string{"0014326b2249e3a25d5dc60935f044ee835d090ba859", "0014af0bd98abc2f2cae66e36896a39ffe2d32984fb7", "00141fa798efd1cbf95cebf912c031b8a4a6e9fb9f27"}, nil, false},
	{"sh(wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/10/20/30/40/*'))", []string{"a9149a4d9901d6af519b2a23d4a2f51650fcba87ce7b87", "a914bed59fc0024fae941d6e20a3b44a109ae740129287", "a9148483aa1116eb9c05c482a72bada4b1db24af654387"}, ErrPrivateKey, false},
	{"sh(wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/10/20/30/40/*h))", []string{"a9149a4d9901d6af519b2a23d4a2f51650fcba87ce7b87", "a914bed59fc0024fae941d6e20a3b44a109ae740129287", "a9148483aa1116eb9c05c482a72bada4b1db24af654387"}, ErrPrivateKey, false},
	{"wsh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))", []string{"0020338e023079b91c58571b20e602d7805fb808c22473cbc391a41b1bd3a192e75b"}, ErrPrivateKey, false},
	{"wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", []string{"0020338e023079b91c58571b20e602d7805fb808c22473cbc391a41b1bd3a192e75b"}, ErrUnsupported, false},
	{"wsh(pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))", []string{"00202e271faa2325c199d25d22e1ead982e45b64eeb4f31e73dbdf41bd4b5fec23fa"}, ErrPrivateKey, false},
	{"wsh(pk(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", []string{"00202e271faa2325c199d25d22e1ead982e45b64eeb4f31e73dbdf41bd4b5fec23fa"}, ErrUnsupported, false},
	{"sh(wsh(pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)))", []string{"a914b61b92e2ca21bac1e72a3ab859a742982bea960a87"}, ErrPrivateKey, false},
	{"sh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))", []string{"a914b61b92e2ca21bac1e72a3ab859a742982bea960a87"}, ErrUnsupported, false},
	// BIP 382 invalid descriptors.
	{"wpkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)", nil, ErrPrivateKey, false},
	{"sh(wpkh(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss))", nil, ErrPrivateKey, false},
	{"wpkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)", nil, ErrUnsupported, false},
	{"sh(wpkh(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235))", nil, ErrUnsupported, false},
	{"wsh(pk(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss))", nil, ErrPrivateKey, false},
	{"wsh(pk(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235))", nil, ErrUnsupported, false},
	{"wsh(wpkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", nil, ErrUnsupported, false},
	{"wsh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))", nil, ErrUnsupported, false},
	{"sh(wsh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))))", nil, ErrUnsupported, false},
	{"wpkh(wsh(pkh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)))", nil, ErrSyntax, false},
	{"wsh(03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", nil, ErrUnsupported, false},

	// BIP 386.
	{"tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd)", []string{"512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11"}, nil, false},
	{"tr(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)", []string{"512077aab6e066f8a7419c5ab714c12c67d25007ed55a43cadcacb4d7a970a093f11"}, ErrPrivateKey, false},
	{"tr(xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/0/*,pk(xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc/1/*))", []string{"512078bc707124daa551b65af74de2ec128b7525e10f374dc67b64e00ce0ab8b3e12", "512001f0a02a17808c20134b78faab80ef93ffba82261ccef0a2314f5d62b6438f11", "512021024954fcec88237a9386fce80ef2ced5f1e91b422b26c59ccfc174c8d1ad25"}, ErrPrivateKey, false},
	{"tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,pk(669b8afcec803a0d323e9a17f3ea8e68e8abe5a278020a929adbec52421adbd0))", []string{"512017cf18db381d836d8923b1bdb246cfcd818da1a9f0e6e7907f187f0b2f937754"}, ErrUnsupported, false},
	{"tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,{pk(xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334/0),{{pk(xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL),pk(02df12b7035bdac8e3bab862a3a83d06ea6b17b6753d52edecba9be46f5d09e076)},pk(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1)}})", []string{"512071fff39599a7b78bc02623cbe814efebf1a404f5d8ad34ea80f213bd8943f574"}, ErrPrivateKey, false},
	{"tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd,pkh(L4rK1yDtCWekvXuE6oXD9jCYfFNV2cWRpVuPLBcCU2z8TrisoyY1))", nil, ErrPrivateKey, false},
	// BIP 386 invalid descriptors.
	{"tr(5KYZdUEo39z3FPrtuX2QbbwGnNP5zTd7yyr2SC1j299sBCnWjss)", nil, ErrPrivateKey, false},
	{"tr(04a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd5b8dec5235a0fa8722476c7709c02559e3aa73aa03918ba2d492eea75abea235)", nil, ErrUnsupported, false},
	{"wsh(tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", nil, ErrUnsupported, false},
	{"sh(tr(a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd))", nil, ErrSyntax, false},
}

func TestBIP38xScripts(t *testing.T) {
	for _, v := range bip38xScriptVectors {
		t.Run(v.desc[:min(len(v.desc), 40)], func(t *testing.T) {
			d, err := Parse(v.desc, Mainnet)
			checkKind(t, v.desc, d, err, v.kind)
			if v.kind == nil {
				scripts, err := d.Scripts(false, 0, uint32(len(v.scripts)))
				if err != nil {
					t.Fatal(err)
				}
				for i, want := range v.scripts {
					if got := hex.EncodeToString(scripts[i]); got != want {
						t.Errorf("script %d = %s; want %s", i, got, want)
					}
				}
			}
			if v.keyOnly {
				key := v.desc[len("pk(") : len(v.desc)-1]
				d, err := Parse("pkh("+key+")", Mainnet)
				if err != nil {
					t.Fatal(err)
				}
				got, err := d.Derive(false, 0)
				if err != nil {
					t.Fatal(err)
				}
				if want := v.scripts[0][2 : 2+66]; hex.EncodeToString(got.PubKey) != want {
					t.Errorf("key %x; want %s", got.PubKey, want)
				}
			}
		})
	}
}
