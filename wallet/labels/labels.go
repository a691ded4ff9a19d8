// Package labels reads, writes and keeps wallet labels in the format of
// BIP 329 (Wallet Labels Export Format): JSON Lines, one record per line,
// each with a type (tx, addr, pubkey, input, output, xpub), a reference,
// and optionally a label, a key origin and, for outputs, whether the output
// may be spent.
//
// Labels are user data: unlike the wallet's chain cache, which a sync can
// rebuild, they cannot be recovered once lost. A Store therefore keeps
// them in a file of their own, next to but separate from the disposable
// cache, written atomically, and never discards a file it cannot read: it
// reports the line that is wrong and leaves the file alone.
package labels

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Type is the kind of record a label is attached to.
type Type string

// The record types of BIP 329.
const (
	Tx     Type = "tx"     // ref: transaction id
	Addr   Type = "addr"   // ref: address
	PubKey Type = "pubkey" // ref: 32-, 33- or 65-byte public key, hex
	Input  Type = "input"  // ref: txid:index of a transaction input
	Output Type = "output" // ref: txid:index of a transaction output
	XPub   Type = "xpub"   // ref: extended public key
)

// MaxLabelLength is the length, in characters, beyond which imported
// labels are truncated (with a warning), as BIP 329 suggests.
const MaxLabelLength = 255

// MaxLineLength bounds one line of a label file.
const MaxLineLength = 1 << 20

// Label is one BIP 329 record. Label and Spendable are pointers because
// BIP 329 distinguishes an absent property ("do not change it") from an
// empty one. Extra keeps the optional fields this package does not
// interpret (height, time, fee, value, rate, keypath, fmv, heights, and
// any future ones) so that an import followed by an export loses nothing.
type Label struct {
	Type      Type
	Ref       string
	Label     *string
	Origin    string // abbreviated descriptor of the originating wallet, if given
	Spendable *bool  // outputs only
	Extra     map[string]json.RawMessage
}

// Text returns the label text, "" when absent.
func (l Label) Text() string {
	if l.Label == nil {
		return ""
	}
	return *l.Label
}

// LineError is an invalid line of a label file.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrInvalid marks an invalid record; LineErrors wrap it.
var ErrInvalid = errors.New("invalid label record")

// ImportError lists every invalid line of an import.
type ImportError struct {
	Lines []*LineError
}

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid label line(s)", len(e.Lines))
	for i, l := range e.Lines {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Lines)-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(l.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is find ErrInvalid and errors.As the LineErrors.
func (e *ImportError) Unwrap() []error {
	out := make([]error, len(e.Lines))
	for i, l := range e.Lines {
		out[i] = l
	}
	return out
}

// Warning is something accepted with a change or ignored: a truncated
// label, a record of a type BIP 329 does not define, a spendable flag on
// a record that is not an output.
type Warning struct {
	Line int
	Msg  string
}

func (w Warning) String() string { return fmt.Sprintf("line %d: %s", w.Line, w.Msg) }

// Read parses a BIP 329 document. It checks every line and returns the
// valid records, the warnings, and, when some lines are invalid, an
// *ImportError naming each of them (the valid records are returned too, so
// the caller may choose to import them anyway). Blank lines are skipped.
func Read(r io.Reader) ([]Label, []Warning, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineLength)
	var out []Label
	var warns []Warning
	var bad []*LineError
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSuffix(sc.Bytes(), []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		l, w, err := parseLine(line)
		for _, m := range w {
			warns = append(warns, Warning{Line: n, Msg: m})
		}
		if err != nil {
			bad = append(bad, &LineError{Line: n, Err: err})
			continue
		}
		if l != nil {
			out = append(out, *l)
		}
	}
	if err := sc.Err(); err != nil {
		bad = append(bad, &LineError{Line: n + 1, Err: fmt.Errorf("%w: %v", ErrInvalid, err)})
	}
	if len(bad) > 0 {
		return out, warns, &ImportError{Lines: bad}
	}
	return out, warns, nil
}

// parseLine reads one record. A nil Label with a nil error is a record to
// ignore (a type BIP 329 does not define).
func parseLine(line []byte) (*Label, []string, error) {
	invalid := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !utf8.Valid(line) {
		return nil, nil, invalid("not UTF-8")
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return nil, nil, invalid("not a JSON object")
	}
	if dec.More() {
		return nil, nil, invalid("more than one JSON value on the line")
	}
	str := func(key string) (string, bool, error) {
		raw, ok := fields[key]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", true, invalid("%q must be a string", key)
		}
		return s, true, nil
	}
	typ, ok, err := str("type")
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, invalid(`missing "type"`)
	}
	ref, ok, err := str("ref")
	if err != nil {
		return nil, nil, err
	}
	if !ok || ref == "" {
		return nil, nil, invalid(`missing "ref"`)
	}
	l := &Label{Type: Type(typ)}
	var warns []string
	switch l.Type {
	case Tx, Addr, PubKey, Input, Output, XPub:
	default:
		return nil, []string{fmt.Sprintf("record of unknown type %q ignored", typ)}, nil
	}
	if l.Ref, err = CheckRef(l.Type, ref); err != nil {
		return nil, nil, err
	}
	if s, ok, err := str("label"); err != nil {
		return nil, nil, err
	} else if ok {
		if utf8.RuneCountInString(s) > MaxLabelLength {
			s = string([]rune(s)[:MaxLabelLength])
			warns = append(warns, fmt.Sprintf("label truncated to %d characters", MaxLabelLength))
		}
		l.Label = &s
	}
	if s, ok, err := str("origin"); err != nil {
		return nil, nil, err
	} else if ok {
		if s == "" || strings.ContainsAny(s, "#") {
			return nil, nil, invalid("origin %q is not an abbreviated descriptor", s)
		}
		l.Origin = s
	}
	if raw, ok := fields["spendable"]; ok {
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, nil, invalid(`"spendable" must be true or false`)
		}
		if l.Type == Output {
			l.Spendable = &b
		} else {
			warns = append(warns, fmt.Sprintf(`"spendable" ignored on a %s record`, l.Type))
		}
	}
	for k, v := range fields {
		switch k {
		case "type", "ref", "label", "origin", "spendable":
			continue
		}
		if l.Extra == nil {
			l.Extra = map[string]json.RawMessage{}
		}
		l.Extra[k] = v
	}
	return l, warns, nil
}

// CheckRef validates a reference for its type and returns it in canonical
// form (transaction ids and hex keys in lower case).
func CheckRef(t Type, ref string) (string, error) {
	invalid := func(format string, a ...any) (string, error) {
		return "", fmt.Errorf("%w: %s ref %q: %s", ErrInvalid, t, ref, fmt.Sprintf(format, a...))
	}
	switch t {
	case Tx:
		if _, err := chainhash.NewHashFromStr(ref); err != nil || len(ref) != 64 {
			return invalid("not a transaction id")
		}
		return strings.ToLower(ref), nil
	case Input, Output:
		id, idx, ok := strings.Cut(ref, ":")
		if _, err := chainhash.NewHashFromStr(id); !ok || err != nil || len(id) != 64 {
			return invalid("not txid:index")
		}
		n, err := strconv.ParseUint(idx, 10, 32)
		if err != nil || strconv.FormatUint(n, 10) != idx {
			return invalid("not txid:index")
		}
		return strings.ToLower(id) + ":" + idx, nil
	case PubKey:
		b, err := hex.DecodeString(ref)
		if err != nil || len(b) != 32 && len(b) != 33 && len(b) != 65 {
			return invalid("not a 32-, 33- or 65-byte public key in hex")
		}
		return strings.ToLower(ref), nil
	case XPub:
		k, err := hdkeychain.NewKeyFromString(ref)
		if err != nil {
			// SLIP-132 and other version bytes are not known to the
			// decoder; accept any base58 text of the right length.
			if len(ref) < 100 || len(ref) > 120 || strings.ContainsAny(ref, "0OIl \t") {
				return invalid("not an extended public key")
			}
			if strings.Contains(ref[:4], "prv") {
				return invalid("private keys are not accepted")
			}
			return ref, nil
		}
		if k.IsPrivate() {
			return invalid("private keys are not accepted")
		}
		return ref, nil
	case Addr:
		if strings.ContainsAny(ref, " \t\r\n") || len(ref) > 100 {
			return invalid("not an address")
		}
		return ref, nil
	}
	return invalid("unknown type")
}

// OutPoint returns the outpoint of an input or output reference.
func OutPoint(ref string) (wire.OutPoint, error) {
	id, idx, ok := strings.Cut(ref, ":")
	h, err := chainhash.NewHashFromStr(id)
	n, err2 := strconv.ParseUint(idx, 10, 32)
	if !ok || err != nil || err2 != nil {
		return wire.OutPoint{}, fmt.Errorf("%w: %q is not txid:index", ErrInvalid, ref)
	}
	return wire.OutPoint{Hash: *h, Index: uint32(n)}, nil
}

// MarshalJSON writes the record as one BIP 329 line (without newline):
// type, ref, label, origin and spendable first, then the extra fields in
// key order.
func (l Label) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	put := func(k string, v any) error {
		if b.Len() > 1 {
			b.WriteString(", ")
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(v)
		if err != nil {
			return err
		}
		b.Write(kb)
		b.WriteString(": ")
		b.Write(vb)
		return nil
	}
	_ = put("type", string(l.Type))
	_ = put("ref", l.Ref)
	if l.Label != nil {
		_ = put("label", *l.Label)
	}
	if l.Origin != "" {
		_ = put("origin", l.Origin)
	}
	if l.Spendable != nil {
		_ = put("spendable", *l.Spendable)
	}
	keys := make([]string, 0, len(l.Extra))
	for k := range l.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		var compact bytes.Buffer
		if err := json.Compact(&compact, l.Extra[k]); err != nil {
			return nil, err
		}
		if err := put(k, json.RawMessage(compact.Bytes())); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Write writes labels as a BIP 329 document, one line each.
func Write(w io.Writer, labels []Label) error {
	bw := bufio.NewWriter(w)
	for _, l := range labels {
		line, err := l.MarshalJSON()
		if err != nil {
			return err
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
