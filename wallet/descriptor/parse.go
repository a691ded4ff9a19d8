package descriptor

import (
	"encoding/hex"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

// Parse reads a descriptor for a wallet on network net. The "#checksum"
// suffix is optional; when present it must be right (the error then gives
// the expected one). The result is canonical (see the package comment):
// String may differ from desc in spelling, never in meaning.
//
// Errors are *Error values with the position of the offending character;
// errors.Is tells their kind: ErrSyntax, ErrChecksum, ErrPrivateKey,
// ErrHardened, ErrUnsupported, ErrInvalidKey or ErrNetwork.
func Parse(desc string, net Network) (*Descriptor, error) {
	if !net.valid() {
		return nil, errNoPos(ErrNetwork, "unknown network %d", net)
	}
	if at := findPrivate(desc); at >= 0 {
		return nil, errAt(at, ErrPrivateKey, "private key refused: hardfolio is watch-only and never takes private keys")
	}
	payload, err := StripChecksum(desc)
	if err != nil {
		return nil, err
	}
	if _, err := Checksum(payload); err != nil { // only allowed characters
		return nil, err
	}
	typ, k, err := parseScript(payload, net)
	if err != nil {
		return nil, err
	}
	return newDescriptor(typ, net, k), nil
}

// findPrivate returns the offset of the first word of s (between the
// descriptor's punctuation) that is a private key, or -1. Parse looks for
// private keys before anything else, so that a descriptor holding one is
// refused for that reason whatever else is wrong with it.
func findPrivate(s string) int {
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || strings.IndexByte("()[]{},/<>;#", s[i]) >= 0 {
			if i > start && looksPrivate(s[start:i]) {
				return start
			}
			start = i + 1
		}
	}
	return -1
}

// call is a script expression "name(args)" found in the text.
type call struct {
	name     string
	nameOff  int // offset of the name
	args     string
	argsOff  int // offset of the first argument character
	closeOff int // offset of the closing parenthesis
}

// parseCall reads s (at offset off in the descriptor) as exactly one
// "name(args)". ok is false, with no error, when s holds no '(' at all, so
// that the caller can say what it expected instead.
func parseCall(s string, off int) (call, bool, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 {
		return call{}, false, nil
	}
	name := s[:open]
	if name == "" {
		return call{}, true, errAt(off, ErrSyntax, "expected a script expression name before '('")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return call{}, true, errAt(off+i, ErrSyntax, "unexpected character %q in script expression name", runeAt(name, i))
		}
	}
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
			if depth < 0 {
				return call{}, true, errAt(off+i, ErrSyntax, "unbalanced %q", s[i])
			}
			if depth == 0 {
				if s[i] != ')' {
					return call{}, true, errAt(off+i, ErrSyntax, "unbalanced '}'")
				}
				if i != len(s)-1 {
					return call{}, true, errAt(off+i+1, ErrSyntax, "unexpected text after %s(...)", name)
				}
				return call{name: name, nameOff: off, args: s[open+1 : i], argsOff: off + open + 1, closeOff: off + i}, true, nil
			}
		}
	}
	return call{}, true, errAt(off+len(s), ErrSyntax, "missing ')' to close %s(", name)
}

// unsupportedScripts are the script expressions of BIPs 380-392 this
// package knows of but does not handle.
var unsupportedScripts = map[string]bool{
	"pk": true, "wsh": true, "multi": true, "sortedmulti": true, "multi_a": true,
	"sortedmulti_a": true, "combo": true, "raw": true, "addr": true, "rawtr": true,
	"musig": true, "sp": true,
}

const supportedList = "pkh(), sh(wpkh()), wpkh() and tr() single-sig descriptors"

// parseScript reads the top-level script expression.
func parseScript(s string, net Network) (ScriptType, *key, error) {
	c, ok, err := parseCall(s, 0)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, errAt(0, ErrSyntax, "expected a script expression such as wpkh(KEY)")
	}
	var typ ScriptType
	switch c.name {
	case "pkh":
		typ = PKH
	case "wpkh":
		typ = WPKH
	case "tr":
		typ = TR
		if comma := topLevelComma(c.args); comma >= 0 {
			return 0, nil, errAt(c.argsOff+comma, ErrUnsupported, "tr() with a script tree is not supported: key path only, tr(KEY)")
		}
	case "sh":
		inner, ok, err := parseCall(c.args, c.argsOff)
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			return 0, nil, errAt(c.argsOff, ErrSyntax, "sh() takes a script expression, not a key")
		}
		switch {
		case inner.name == "wpkh":
			typ, c = SHWPKH, inner
		case inner.name == "sh" || inner.name == "tr":
			return 0, nil, errAt(inner.nameOff, ErrSyntax, "%s() cannot be inside sh()", inner.name)
		case inner.name == "pkh" || unsupportedScripts[inner.name]:
			return 0, nil, errAt(inner.nameOff, ErrUnsupported, "sh(%s()) is not supported: only %s", inner.name, supportedList)
		default:
			return 0, nil, errAt(inner.nameOff, ErrSyntax, "unknown script expression %s()", inner.name)
		}
	default:
		if unsupportedScripts[c.name] {
			return 0, nil, errAt(0, ErrUnsupported, "%s() is not supported: only %s", c.name, supportedList)
		}
		return 0, nil, errAt(0, ErrSyntax, "unknown script expression %s()", c.name)
	}
	if i := strings.IndexAny(c.args, "(){}"); i >= 0 {
		return 0, nil, errAt(c.argsOff+i, ErrSyntax, "%s() takes a key expression, not a script", c.name)
	}
	if i := strings.IndexByte(c.args, ','); i >= 0 {
		return 0, nil, errAt(c.argsOff+i, ErrSyntax, "%s() takes exactly one key expression", c.name)
	}
	k, err := parseKey(c.args, c.argsOff, net, typ)
	if err != nil {
		return 0, nil, err
	}
	return typ, k, nil
}

// topLevelComma returns the offset of the first comma of s outside any
// parentheses or braces, or -1.
func topLevelComma(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '{':
			depth++
		case ')', '}':
			depth--
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// key is a parsed key expression.
type key struct {
	origin *KeyOrigin // as written, or nil

	// Exactly one of ext and pub is set.
	ext *extKey
	pub []byte // a hex key: 33 bytes compressed, or 32 bytes x-only in tr()

	path     []uint32 // unhardened steps after ext; path[multiAt] is a placeholder
	multiAt  int      // index of the multipath step in path, or -1
	multi    []uint32 // the multipath alternatives (2 or more), or nil
	wildcard bool     // a final "/*"
}

// parseKey reads the key expression s at offset off for a script of type
// typ on network net.
func parseKey(s string, off int, net Network, typ ScriptType) (*key, error) {
	k := &key{multiAt: -1}
	if s == "" {
		return nil, errAt(off, ErrSyntax, "missing key expression")
	}

	// Key origin "[fingerprint/path]".
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return nil, errAt(off, ErrSyntax, "key origin: missing ']'")
		}
		o, err := parseOrigin(s[1:end], off+1)
		if err != nil {
			return nil, err
		}
		k.origin = &o
		s, off = s[end+1:], off+end+1
		if s == "" {
			return nil, errAt(off, ErrSyntax, "key origin is not followed by a key")
		}
	}
	if i := strings.IndexAny(s, "[]"); i >= 0 {
		if s[i] == '[' {
			return nil, errAt(off+i, ErrSyntax, "unexpected '[': a key has at most one key origin, at its start")
		}
		return nil, errAt(off+i, ErrSyntax, "unexpected ']' without a '[' starting the key origin")
	}

	// The key itself runs to the first '/'.
	text, steps, stepsOff := s, "", off+len(s)
	if i := strings.IndexByte(s, '/'); i >= 0 {
		text, steps, stepsOff = s[:i], s[i:], off+i
	}
	if text == "" {
		return nil, errAt(off, ErrSyntax, "missing key before '/'")
	}

	if isHex(text) {
		pub, err := parseHexKey(text, off, typ)
		if err != nil {
			return nil, err
		}
		if steps != "" {
			return nil, errAt(stepsOff, ErrSyntax, "derivation steps can only follow an extended public key, not a hex public key")
		}
		k.pub = pub
		return k, nil
	}
	if looksPrivate(text) {
		return nil, errAt(off, ErrPrivateKey, "private key refused: hardfolio is watch-only and never takes private keys")
	}
	ext, err := decodeExtKey(text, off, net, typ)
	if err != nil {
		return nil, err
	}
	k.ext = ext
	if err := k.parseSteps(steps, stepsOff); err != nil {
		return nil, err
	}
	if int(ext.key.Depth())+len(k.path)+boolInt(k.wildcard) > 255 {
		return nil, errAt(stepsOff, ErrSyntax, "derivation goes deeper than BIP 32's 255 levels")
	}
	return k, nil
}

// parseHexKey reads a hex public key: compressed (66 characters) anywhere,
// x-only (64 characters) inside tr().
func parseHexKey(text string, off int, typ ScriptType) ([]byte, error) {
	raw, _ := hex.DecodeString(text) // isHex checked the characters
	switch {
	case len(text) == 130 && raw[0] == 0x04:
		return nil, errAt(off, ErrUnsupported, "uncompressed public keys are not supported (wpkh and tr forbid them; use the compressed form)")
	case len(text) == 66:
		if _, err := btcec.ParsePubKey(raw); err != nil || (raw[0] != 0x02 && raw[0] != 0x03) {
			return nil, errAt(off, ErrInvalidKey, "not a valid compressed public key")
		}
		return raw, nil
	case len(text) == 64:
		if typ != TR {
			return nil, errAt(off, ErrSyntax, "a 64-character x-only public key is only allowed inside tr()")
		}
		if _, err := schnorr.ParsePubKey(raw); err != nil {
			return nil, errAt(off, ErrInvalidKey, "not a valid x-only public key")
		}
		return raw, nil
	}
	if typ == TR {
		return nil, errAt(off, ErrInvalidKey, "hex public key of %d characters: want 66 (compressed) or 64 (x-only)", len(text))
	}
	return nil, errAt(off, ErrInvalidKey, "hex public key of %d characters: want 66 (compressed)", len(text))
}

func isHex(s string) bool {
	if len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// parseOrigin reads "fingerprint/path" (the inside of a key origin) at
// offset off.
func parseOrigin(s string, off int) (KeyOrigin, error) {
	var o KeyOrigin
	fp, rest := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		fp, rest = s[:i], s[i:]
	}
	if len(fp) != 8 || !isHex(fp) {
		return o, errAt(off, ErrSyntax, "key origin: fingerprint must be 8 hex characters")
	}
	hex.Decode(o.Fingerprint[:], []byte(fp))
	pos := off + len(fp)
	for rest != "" {
		elem := rest[1:]
		if i := strings.IndexByte(elem, '/'); i >= 0 {
			elem = elem[:i]
		}
		switch {
		case elem == "":
			return o, errAt(pos+1, ErrSyntax, "key origin: empty derivation step")
		case elem[0] == '*':
			return o, errAt(pos+1, ErrSyntax, "key origin: '*' is not allowed in a key origin")
		case elem[0] == '<':
			return o, errAt(pos+1, ErrSyntax, "key origin: a multipath step is not allowed in a key origin")
		}
		n, hard, err := parseIndex(elem, pos+1, "key origin")
		if err != nil {
			return o, err
		}
		if hard {
			n += hdkeychain.HardenedKeyStart
		}
		o.Path = append(o.Path, n)
		pos += 1 + len(elem)
		rest = rest[1+len(elem):]
	}
	return o, nil
}

// parseIndex reads one step "NUM", "NUMh" or "NUM'" at offset off; NUM is
// decimal and below 2^31.
func parseIndex(s string, off int, where string) (uint32, bool, error) {
	hard := false
	num := s
	if last := s[len(s)-1]; last == 'h' || last == '\'' {
		hard, num = true, s[:len(s)-1]
	}
	if num == "" {
		return 0, false, errAt(off, ErrSyntax, "%s: missing number before the hardened marker", where)
	}
	var n uint64
	for i := 0; i < len(num); i++ {
		c := num[i]
		if c < '0' || c > '9' {
			if c == 'H' && i == len(num)-1 {
				return 0, false, errAt(off+i, ErrSyntax, "%s: invalid hardened marker 'H': write h or '", where)
			}
			return 0, false, errAt(off+i, ErrSyntax, "%s: invalid derivation step %q: want a number, with h or ' if hardened", where, s)
		}
		n = n*10 + uint64(c-'0')
		if n >= hdkeychain.HardenedKeyStart {
			return 0, false, errAt(off, ErrSyntax, "%s: derivation index %s out of range: at most 2147483647 (add h for hardened)", where, num)
		}
	}
	return uint32(n), hard, nil
}

// parseSteps reads the derivation steps after an extended key, each
// starting with '/', at offset off.
func (k *key) parseSteps(s string, off int) error {
	for s != "" {
		elem := s[1:]
		if i := strings.IndexByte(elem, '/'); i >= 0 {
			elem = elem[:i]
		}
		pos := off + 1
		if k.wildcard {
			return errAt(off, ErrSyntax, "'*' must be the last derivation step")
		}
		switch {
		case elem == "":
			return errAt(pos, ErrSyntax, "empty derivation step")
		case elem == "*":
			k.wildcard = true
		case elem == "*h" || elem == "*'":
			return errAt(pos, ErrHardened, "hardened children %q need the private key: hardfolio is watch-only; use an unhardened /*", elem)
		case elem[0] == '<' || elem[len(elem)-1] == '>' || strings.ContainsAny(elem, ";<>"):
			if err := k.parseMulti(elem, pos); err != nil {
				return err
			}
		default:
			n, hard, err := parseIndex(elem, pos, "derivation step")
			if err != nil {
				return err
			}
			if hard {
				return errAt(pos, ErrHardened, "hardened step %q after an extended public key needs the private key: hardfolio is watch-only; derive the xpub at the hardened path on the device and give that path in the key origin", elem)
			}
			k.path = append(k.path, n)
		}
		off += 1 + len(elem)
		s = s[1+len(elem):]
	}
	return nil
}

// parseMulti reads a BIP 389 multipath step "<a;b;...>" at offset off.
func (k *key) parseMulti(elem string, off int) error {
	switch {
	case elem[0] != '<':
		return errAt(off, ErrSyntax, "multipath step: missing '<'")
	case elem[len(elem)-1] != '>' || len(elem) < 2:
		return errAt(off+len(elem), ErrSyntax, "multipath step: missing '>'")
	case k.multiAt >= 0:
		return errAt(off, ErrSyntax, "multipath step: only one is allowed in a key")
	}
	inner := elem[1 : len(elem)-1]
	if inner == "" {
		return errAt(off+1, ErrSyntax, "multipath step: empty")
	}
	var alts []uint32
	pos := off + 1
	for _, part := range strings.Split(inner, ";") {
		if part == "" {
			return errAt(pos, ErrSyntax, "multipath step: missing index")
		}
		if strings.ContainsAny(part, "<>") {
			return errAt(pos, ErrSyntax, "multipath step: unexpected '<' or '>'")
		}
		if part == "*" || part == "*h" || part == "*'" {
			return errAt(pos, ErrSyntax, "multipath step: '*' is not allowed inside <...>")
		}
		n, hard, err := parseIndex(part, pos, "multipath step")
		if err != nil {
			return err
		}
		if hard {
			return errAt(pos, ErrHardened, "hardened step %q after an extended public key needs the private key: hardfolio is watch-only", part)
		}
		for _, a := range alts {
			if a == n {
				return errAt(pos, ErrSyntax, "multipath step: index %d appears twice", n)
			}
		}
		alts = append(alts, n)
		pos += len(part) + 1
	}
	if len(alts) < 2 {
		return errAt(off, ErrSyntax, "multipath step: needs at least two indexes, as in <0;1>")
	}
	k.multiAt = len(k.path)
	k.multi = alts
	k.path = append(k.path, alts[0])
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
