// Package hextest reads the hex byte vectors that the tests of hw/ write
// out from the protocols' specifications, with spaces between fields.
package hextest

import (
	"encoding/hex"
	"strings"
	"testing"
)

// Bytes decodes s, hex with any spaces left out, and fails the test if it
// is not hex.
func Bytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
