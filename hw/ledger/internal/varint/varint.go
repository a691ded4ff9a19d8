// Package varint reads and writes Bitcoin's CompactSize integers, the
// "varint" of the Ledger Bitcoin app's wire formats.
//
//	value             encoding
//	< 0xFD            1 byte
//	<= 0xFFFF         0xFD, u16 LE
//	<= 0xFFFFFFFF     0xFE, u32 LE
//	otherwise         0xFF, u64 LE
package varint

import (
	"encoding/binary"
	"errors"
)

// ErrTruncated is returned when the input ends inside a varint.
var ErrTruncated = errors.New("varint: truncated")

// ErrNonCanonical is returned for a varint that uses a longer encoding than
// its value needs; the device refuses those, so the client does too.
var ErrNonCanonical = errors.New("varint: non-canonical encoding")

// Append appends the CompactSize encoding of v to b.
func Append(b []byte, v uint64) []byte {
	switch {
	case v < 0xFD:
		return append(b, byte(v))
	case v <= 0xFFFF:
		return binary.LittleEndian.AppendUint16(append(b, 0xFD), uint16(v))
	case v <= 0xFFFFFFFF:
		return binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(v))
	default:
		return binary.LittleEndian.AppendUint64(append(b, 0xFF), v)
	}
}

// Size returns the number of bytes Append writes for v.
func Size(v uint64) int {
	switch {
	case v < 0xFD:
		return 1
	case v <= 0xFFFF:
		return 3
	case v <= 0xFFFFFFFF:
		return 5
	default:
		return 9
	}
}

// Read decodes a CompactSize at the start of b and returns the value and the
// number of bytes it took.
func Read(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	var v uint64
	var n int
	switch b[0] {
	case 0xFD:
		if len(b) < 3 {
			return 0, 0, ErrTruncated
		}
		v, n = uint64(binary.LittleEndian.Uint16(b[1:])), 3
	case 0xFE:
		if len(b) < 5 {
			return 0, 0, ErrTruncated
		}
		v, n = uint64(binary.LittleEndian.Uint32(b[1:])), 5
	case 0xFF:
		if len(b) < 9 {
			return 0, 0, ErrTruncated
		}
		v, n = binary.LittleEndian.Uint64(b[1:]), 9
	default:
		return uint64(b[0]), 1, nil
	}
	if Size(v) != n {
		return 0, 0, ErrNonCanonical
	}
	return v, n, nil
}
