package varint

import (
	"bytes"
	"errors"
	"testing"
)

func TestVarint(t *testing.T) {
	cases := []struct {
		v   uint64
		enc []byte
	}{
		{0, []byte{0}},
		{0xFC, []byte{0xFC}},
		{0xFD, []byte{0xFD, 0xFD, 0x00}},
		{0xFFFF, []byte{0xFD, 0xFF, 0xFF}},
		{0x10000, []byte{0xFE, 0x00, 0x00, 0x01, 0x00}},
		{0xFFFFFFFF, []byte{0xFE, 0xFF, 0xFF, 0xFF, 0xFF}},
		{0x100000000, []byte{0xFF, 0, 0, 0, 0, 1, 0, 0, 0}},
	}
	for _, c := range cases {
		if got := Append(nil, c.v); !bytes.Equal(got, c.enc) || Size(c.v) != len(c.enc) {
			t.Errorf("Append(%d) = %X", c.v, got)
		}
		v, n, err := Read(append(c.enc, 0xAA))
		if err != nil || v != c.v || n != len(c.enc) {
			t.Errorf("Read(%X) = %d %d %v", c.enc, v, n, err)
		}
		if _, _, err := Read(c.enc[:len(c.enc)-1]); len(c.enc) > 1 && !errors.Is(err, ErrTruncated) {
			t.Errorf("truncated %X: %v", c.enc, err)
		}
	}
	if _, _, err := Read([]byte{0xFD, 0x01, 0x00}); !errors.Is(err, ErrNonCanonical) {
		t.Error("non-canonical accepted")
	}
}
