package descriptor

import (
	"errors"
	"strings"
	"testing"
)

// BIP 380 "Test Vectors": checksum and character set, verbatim.
var bip380ChecksumVectors = []struct {
	name    string
	desc    string
	payload string // what StripChecksum returns; "" when it fails
	kind    error  // the error kind, or nil
}{
	{"Valid checksum", "raw(deadbeef)#89f8spxm", "raw(deadbeef)", nil},
	{"No checksum", "raw(deadbeef)", "raw(deadbeef)", nil},
	{"Missing checksum", "raw(deadbeef)#", "", ErrChecksum},
	{"Too long checksum (9 chars)", "raw(deadbeef)#89f8spxmx", "", ErrChecksum},
	{"Too short checksum (7 chars)", "raw(deadbeef)#89f8spx", "", ErrChecksum},
	{"Error in payload", "raw(deedbeef)#89f8spxm", "", ErrChecksum},
	{"Error in checksum", "raw(deedbeef)##9f8spxm", "", ErrChecksum},
	{"Invalid characters in payload", "raw(Ü)#00000000", "", ErrSyntax},
}

func TestBIP380Checksum(t *testing.T) {
	for _, v := range bip380ChecksumVectors {
		t.Run(v.name, func(t *testing.T) {
			got, err := StripChecksum(v.desc)
			if v.kind == nil {
				if err != nil || got != v.payload {
					t.Fatalf("StripChecksum(%q) = %q, %v; want %q", v.desc, got, err, v.payload)
				}
				return
			}
			if !errors.Is(err, v.kind) {
				t.Fatalf("StripChecksum(%q) error %v; want kind %v", v.desc, err, v.kind)
			}
			// Parse reports the same checksum problem (raw() itself is
			// not supported, but the checksum is checked first).
			if _, perr := Parse(v.desc, Mainnet); !errors.Is(perr, v.kind) {
				t.Fatalf("Parse(%q) error %v; want kind %v", v.desc, perr, v.kind)
			}
		})
	}
}

func TestChecksumCreate(t *testing.T) {
	got, err := Checksum("raw(deadbeef)")
	if err != nil || got != "89f8spxm" {
		t.Fatalf("Checksum(raw(deadbeef)) = %q, %v; want 89f8spxm", got, err)
	}
}

func TestChecksumErrorsSayWhatAndWhere(t *testing.T) {
	tests := []struct {
		desc string
		pos  int
		msg  string
	}{
		// The wrong checksum gives the expected one.
		{"raw(deedbeef)#89f8spxm", 15, "expected "},
		{"raw(deadbeef)#89f8spx", 14, "must be 8 characters, not 7"},
		{"raw(deedbeef)##9f8spxm", 15, "more than one '#'"},
		{"raw(Ü)#00000000", 5, "not allowed"},
		{"raw(deadbeef)#89f8spxb", 22, "not in the checksum alphabet"},
	}
	for _, tt := range tests {
		_, err := StripChecksum(tt.desc)
		var e *Error
		if !errors.As(err, &e) || e.Pos != tt.pos || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("StripChecksum(%q) = %v; want position %d and %q", tt.desc, err, tt.pos, tt.msg)
		}
	}
	// The expected checksum in the mismatch message is the right one.
	_, err := StripChecksum("raw(deedbeef)#89f8spxm")
	want, _ := Checksum("raw(deedbeef)")
	if !strings.Contains(err.Error(), "expected "+want) {
		t.Errorf("error %q does not give the expected checksum %s", err, want)
	}
}
