package descriptor

import (
	"errors"
	"fmt"
)

// Kinds of error. Every error returned by this package is an *Error whose
// Kind is one of these, so callers can branch with errors.Is.
var (
	// ErrSyntax: the text is not a well-formed descriptor.
	ErrSyntax = errors.New("syntax error")
	// ErrChecksum: the BIP 380 checksum is missing, malformed or wrong.
	ErrChecksum = errors.New("checksum error")
	// ErrPrivateKey: the descriptor holds a private key (xprv, WIF, ...).
	ErrPrivateKey = errors.New("hardfolio is watch-only and never takes private keys")
	// ErrHardened: a hardened step follows an extended public key.
	ErrHardened = errors.New("hardened derivation needs the private key")
	// ErrUnsupported: valid descriptor syntax that this package does not
	// handle (other script expressions, script trees, uncompressed keys,
	// multisig SLIP-132 keys).
	ErrUnsupported = errors.New("not supported")
	// ErrInvalidKey: a key that does not decode to a valid public key.
	ErrInvalidKey = errors.New("invalid key")
	// ErrNetwork: a key of another network than the wallet's, or a SLIP-132
	// key used with the wrong script expression.
	ErrNetwork = errors.New("wrong network or key type")
	// ErrInvalidChild: BIP 32 has no key at this index (the derived scalar
	// is not below the curve order, or the point is at infinity). Callers
	// skip the index and go on with the next one.
	ErrInvalidChild = errors.New("no valid child key at this index")
	// ErrRange: a derivation request outside what the descriptor offers
	// (change chain of a descriptor without one, index of a descriptor
	// without "/*", hardened or overflowing index).
	ErrRange = errors.New("index out of range")
)

// Error reports what went wrong and where. Pos is the 1-based position of
// the offending character in the descriptor text (the text counts from its
// first character, checksum included), or 0 when the error concerns no
// single position.
type Error struct {
	Pos  int
	Kind error
	Msg  string
}

func (e *Error) Error() string {
	if e.Pos > 0 {
		return fmt.Sprintf("descriptor: position %d: %s", e.Pos, e.Msg)
	}
	return "descriptor: " + e.Msg
}

// Unwrap returns the kind, for errors.Is.
func (e *Error) Unwrap() error { return e.Kind }

// errAt builds an *Error at the 0-based byte offset off (reported 1-based).
// An offset below zero means no position.
func errAt(off int, kind error, format string, args ...any) *Error {
	return &Error{Pos: off + 1, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// errNoPos builds an *Error tied to no position.
func errNoPos(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}
