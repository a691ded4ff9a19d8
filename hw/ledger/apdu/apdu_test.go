package apdu

import (
	"bytes"
	"errors"
	"testing"
)

func TestCommandEncode(t *testing.T) {
	b, err := Command{CLA: 0xE1, INS: 0x05, P1: 0, P2: 1}.Encode()
	if err != nil || !bytes.Equal(b, []byte{0xE1, 0x05, 0x00, 0x01, 0x00}) {
		t.Fatalf("GET_MASTER_FINGERPRINT = %X, %v", b, err)
	}
	c, err := DecodeCommand(b)
	if err != nil || c.CLA != 0xE1 || c.INS != 5 || c.P2 != 1 || len(c.Data) != 0 {
		t.Fatalf("decode = %+v, %v", c, err)
	}
	if _, err := (Command{Data: make([]byte, 256)}).Encode(); !errors.Is(err, ErrTooLong) {
		t.Error("256 data bytes accepted")
	}
	full, _ := Command{CLA: 0xB0, INS: 1, Data: make([]byte, 255)}.Encode()
	if len(full) != 260 || full[4] != 255 {
		t.Error("255 data bytes")
	}
	for _, bad := range [][]byte{{1, 2, 3}, {1, 2, 3, 4, 2, 0}, {1, 2, 3, 4, 0, 9}} {
		if _, err := DecodeCommand(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeCommand(%X) = %v", bad, err)
		}
	}
}

func TestStatusWords(t *testing.T) {
	cases := []struct {
		sw   uint16
		want error
	}{
		{0x6985, ErrUserRejected},
		{0x5501, ErrUserRejected},
		{0x6982, ErrSecurity},
		{0x6E00, ErrWrongApp},
		{0x6D00, ErrWrongApp},
		{0x5515, ErrLocked},
		{0x6FAA, ErrHalted},
		{0x6A80, ErrBadData},
		{0x6A82, ErrBadData},
		{0x6A86, ErrBadData},
		{0x6A87, ErrBadData},
		{0x6807, ErrNotInstalled},
		{0xB007, ErrAppState},
		{0xE000, ErrInterrupted},
		{0x1234, ErrUnknownStatus},
	}
	for _, c := range cases {
		_, err := Check([]byte{byte(c.sw >> 8), byte(c.sw)})
		if !errors.Is(err, c.want) {
			t.Errorf("SW %04X: %v, want %v", c.sw, err, c.want)
		}
		var se *StatusError
		if !errors.As(err, &se) || se.SW != c.sw {
			t.Errorf("SW %04X: not a StatusError", c.sw)
		}
		if Hint(err) == "" {
			t.Errorf("SW %04X: no hint", c.sw)
		}
	}
	data, err := Check([]byte{0xf5, 0xac, 0xc2, 0xfd, 0x90, 0x00})
	if err != nil || !bytes.Equal(data, []byte{0xf5, 0xac, 0xc2, 0xfd}) {
		t.Errorf("Check ok = %X, %v", data, err)
	}
	_, err = Check([]byte{0x00, 0x07, 0x6A, 0x80})
	var se *StatusError
	if !errors.As(err, &se) || !bytes.Equal(se.Detail, []byte{0, 7}) {
		t.Errorf("detail: %v", err)
	}
	if _, err := Check([]byte{0x90}); !errors.Is(err, ErrMalformed) {
		t.Error("1-byte response")
	}
	if !bytes.Equal(EncodeResponse([]byte{1}, 0x6985), []byte{1, 0x69, 0x85}) {
		t.Error("EncodeResponse")
	}
}
