// Package policy builds and parses the wallet policies of the Ledger Bitcoin
// app (protocol v2, policy version 2): a descriptor template with key
// placeholders (@0, @1, ...) plus the list of key strings they stand for.
//
// The device never sees a policy in full at once. It receives the policy's
// serialization, whose SHA-256 is the wallet id, and asks for the template
// and each key string by hash or Merkle proof when it needs them.
//
// # Serialization (version 2)
//
//	| size  | field                                                 |
//	|-------|-------------------------------------------------------|
//	| 1     | version, 0x02                                         |
//	| 1     | name length L (0 for a default policy, at most 64)    |
//	| L     | name, printable ASCII                                 |
//	| 1-9   | varint(len(template))                                 |
//	| 32    | SHA-256(template)                                     |
//	| 1-9   | varint(number of keys)                                |
//	| 32    | Merkle root over LeafHash(key string) for each key    |
//
// wallet_id = SHA-256(serialization).
//
// # Key strings
//
// "[fingerprint/path]xpub" with the fingerprint as 8 lowercase hex digits and
// hardened steps marked with "'" (never "h"), for example
//
//	[f5acc2fd/84'/1'/0']tpubDCtKfsNy...
//
// A key without the bracketed origin is an external key. In version 2 the
// "/**" or "/<M;N>/*" suffix belongs to the template, never to the key.
//
// # Default policies
//
// A default (unregistered) single-sig policy has an empty name, a zero HMAC,
// one key at m/purpose'/coin'/account' of the device's own seed, and one of
// the templates pkh(@0/**), sh(wpkh(@0/**)), wpkh(@0/**), tr(@0/**).
package policy

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// Version2 is the only serialization version this package writes.
const Version2 = 0x02

// MaxNameLen is the longest registration name the app accepts.
const MaxNameLen = 64

// MaxKeys is the largest number of keys a policy may hold here (the count
// is a varint on the wire; the app refuses more than 252).
const MaxKeys = 252

// Hardened is the bit that marks a hardened derivation step.
const Hardened uint32 = 0x80000000

// Errors returned by this package.
var (
	ErrName     = errors.New("policy: invalid wallet name")
	ErrTemplate = errors.New("policy: invalid descriptor template")
	ErrKeys     = errors.New("policy: invalid keys")
	ErrKey      = errors.New("policy: invalid key string")
	ErrEncoding = errors.New("policy: invalid serialization")
)

// Policy is a version 2 wallet policy. Keys are key strings as produced by
// KeyString.
type Policy struct {
	Name     string
	Template string
	Keys     []string
}

// validate checks what the serialization relies on; the device checks more
// (template grammar, key validity).
func (p Policy) validate() error {
	if err := ValidateName(p.Name); err != nil {
		return err
	}
	if p.Template == "" {
		return fmt.Errorf("%w: empty", ErrTemplate)
	}
	if len(p.Keys) == 0 || len(p.Keys) > MaxKeys {
		return fmt.Errorf("%w: %d keys, want 1 to %d", ErrKeys, len(p.Keys), MaxKeys)
	}
	return nil
}

// ValidateName checks a registration name: at most MaxNameLen bytes of
// printable ASCII (0x20-0x7E), without leading or trailing space. The empty
// name is valid and marks a default policy.
func ValidateName(name string) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrName, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] > 0x7E {
			return fmt.Errorf("%w: byte 0x%02x at %d is not printable ASCII", ErrName, name[i], i)
		}
	}
	if name != strings.TrimSpace(name) {
		return fmt.Errorf("%w: leading or trailing space", ErrName)
	}
	return nil
}

// KeyElements returns the key strings as Merkle tree elements.
func (p Policy) KeyElements() [][]byte {
	out := make([][]byte, len(p.Keys))
	for i, k := range p.Keys {
		out[i] = []byte(k)
	}
	return out
}

// KeysTree returns the Merkle tree over the key strings, the tree whose root
// the serialization holds. The device asks for its leaves by proof.
func (p Policy) KeysTree() *merkle.Tree { return merkle.FromElements(p.KeyElements()) }

// TemplateHash returns SHA-256 of the descriptor template.
func (p Policy) TemplateHash() [32]byte { return sha256.Sum256([]byte(p.Template)) }

// Serialize returns the version 2 serialization (see the package comment).
func (p Policy) Serialize() ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	th := p.TemplateHash()
	kr := p.KeysTree().Root()
	b := make([]byte, 0, 2+len(p.Name)+9+32+9+32)
	b = append(b, Version2, byte(len(p.Name)))
	b = append(b, p.Name...)
	b = varint.Append(b, uint64(len(p.Template)))
	b = append(b, th[:]...)
	b = varint.Append(b, uint64(len(p.Keys)))
	return append(b, kr[:]...), nil
}

// ID returns the wallet id, SHA-256 of the serialization.
func (p Policy) ID() ([32]byte, error) {
	s, err := p.Serialize()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(s), nil
}

// Header is a parsed version 2 serialization: what the device learns from
// the serialization alone.
type Header struct {
	Name         string
	TemplateLen  uint64
	TemplateHash [32]byte
	NumKeys      uint64
	KeysRoot     merkle.Hash
}

// Parse reads a version 2 serialization that fills b exactly. It checks the
// version, the name rules and the key count; it cannot check the template or
// keys, which only their hashes represent.
func Parse(b []byte) (Header, error) {
	var h Header
	if len(b) < 2 {
		return h, fmt.Errorf("%w: truncated", ErrEncoding)
	}
	if b[0] != Version2 {
		return h, fmt.Errorf("%w: version 0x%02x, want 0x02", ErrEncoding, b[0])
	}
	nl := int(b[1])
	b = b[2:]
	if len(b) < nl {
		return h, fmt.Errorf("%w: truncated name", ErrEncoding)
	}
	h.Name = string(b[:nl])
	if err := ValidateName(h.Name); err != nil {
		return h, err
	}
	b = b[nl:]
	tl, n, err := varint.Read(b)
	if err != nil {
		return h, fmt.Errorf("%w: template length: %v", ErrEncoding, err)
	}
	h.TemplateLen, b = tl, b[n:]
	if tl == 0 {
		return h, fmt.Errorf("%w: empty template", ErrTemplate)
	}
	if len(b) < 32 {
		return h, fmt.Errorf("%w: truncated template hash", ErrEncoding)
	}
	copy(h.TemplateHash[:], b)
	b = b[32:]
	nk, n, err := varint.Read(b)
	if err != nil {
		return h, fmt.Errorf("%w: key count: %v", ErrEncoding, err)
	}
	if nk == 0 || nk > MaxKeys {
		return h, fmt.Errorf("%w: %d keys, want 1 to %d", ErrKeys, nk, MaxKeys)
	}
	h.NumKeys, b = nk, b[n:]
	if len(b) != 32 {
		return h, fmt.Errorf("%w: %d bytes after the key count, want 32", ErrEncoding, len(b))
	}
	copy(h.KeysRoot[:], b)
	return h, nil
}

// KeyOrigin is the "[fingerprint/path]" part of a key string. The
// fingerprint is the first four bytes of HASH160 of the master public key,
// as a big-endian number (so fingerprint f5acc2fd is 0xf5acc2fd).
type KeyOrigin struct {
	Fingerprint uint32
	Path        []uint32
}

// Key is a parsed key string.
type Key struct {
	Origin *KeyOrigin // nil for a key without origin (external key)
	XPub   string     // base58check extended public key, unchecked
}

// String formats the key in the app's canonical key string format.
func (k Key) String() string {
	if k.Origin == nil {
		return k.XPub
	}
	var sb strings.Builder
	sb.WriteByte('[')
	var fpr [4]byte
	binary.BigEndian.PutUint32(fpr[:], k.Origin.Fingerprint)
	sb.WriteString(hex.EncodeToString(fpr[:]))
	for _, s := range k.Origin.Path {
		sb.WriteByte('/')
		sb.WriteString(strconv.FormatUint(uint64(s&^Hardened), 10))
		if s&Hardened != 0 {
			sb.WriteByte('\'')
		}
	}
	sb.WriteByte(']')
	sb.WriteString(k.XPub)
	return sb.String()
}

// KeyString formats "[fpr/path]xpub" with a lowercase fingerprint and "'"
// for hardened steps.
func KeyString(fingerprint uint32, path []uint32, xpub string) string {
	return Key{Origin: &KeyOrigin{Fingerprint: fingerprint, Path: path}, XPub: xpub}.String()
}

// ParseKey parses a key string in the canonical format only: lowercase
// fingerprint, decimal steps without leading zeros below 2^31, "'" for
// hardened steps, and an xpub of base58 characters with no suffix.
func ParseKey(s string) (Key, error) {
	var k Key
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return k, fmt.Errorf("%w: unclosed origin", ErrKey)
		}
		parts := strings.Split(s[1:end], "/")
		fp := parts[0]
		if len(fp) != 8 || strings.ToLower(fp) != fp {
			return k, fmt.Errorf("%w: fingerprint must be 8 lowercase hex digits", ErrKey)
		}
		raw, err := hex.DecodeString(fp)
		if err != nil {
			return k, fmt.Errorf("%w: fingerprint: %v", ErrKey, err)
		}
		o := &KeyOrigin{Fingerprint: binary.BigEndian.Uint32(raw)}
		for _, step := range parts[1:] {
			v, err := parseStep(step)
			if err != nil {
				return k, err
			}
			o.Path = append(o.Path, v)
		}
		k.Origin, s = o, s[end+1:]
	}
	if s == "" {
		return k, fmt.Errorf("%w: missing extended key", ErrKey)
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base58Alphabet, rune(s[i])) {
			return k, fmt.Errorf("%w: extended key has a non-base58 character", ErrKey)
		}
	}
	k.XPub = s
	return k, nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func parseStep(step string) (uint32, error) {
	var h uint32
	if strings.HasSuffix(step, "'") {
		h, step = Hardened, step[:len(step)-1]
	}
	if step == "" || (len(step) > 1 && step[0] == '0') {
		return 0, fmt.Errorf("%w: bad path step %q", ErrKey, step)
	}
	v, err := strconv.ParseUint(step, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("%w: bad path step %q", ErrKey, step)
	}
	return uint32(v) | h, nil
}

// Kind names one of the four default single-sig policies.
type Kind int

// The default single-sig policies.
const (
	Legacy       Kind = iota // pkh(@0/**), BIP 44
	NestedSegwit             // sh(wpkh(@0/**)), BIP 49
	NativeSegwit             // wpkh(@0/**), BIP 84
	Taproot                  // tr(@0/**), BIP 86
)

var kinds = [...]struct {
	template string
	purpose  uint32
	name     string
}{
	Legacy:       {"pkh(@0/**)", 44, "legacy"},
	NestedSegwit: {"sh(wpkh(@0/**))", 49, "nested-segwit"},
	NativeSegwit: {"wpkh(@0/**)", 84, "native-segwit"},
	Taproot:      {"tr(@0/**)", 86, "taproot"},
}

func (k Kind) valid() bool { return k >= 0 && int(k) < len(kinds) }

// String returns a short name for the kind.
func (k Kind) String() string {
	if !k.valid() {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kinds[k].name
}

// Template returns the descriptor template of the default policy.
func (k Kind) Template() string {
	if !k.valid() {
		return ""
	}
	return kinds[k].template
}

// Purpose returns the BIP 44/49/84/86 purpose number (unhardened).
func (k Kind) Purpose() uint32 {
	if !k.valid() {
		return 0
	}
	return kinds[k].purpose
}

// AccountPath returns m/purpose'/coinType'/account', the path of the key a
// default policy of this kind uses. coinType is 0 on mainnet, 1 on test
// networks.
func (k Kind) AccountPath(coinType, account uint32) []uint32 {
	return []uint32{k.Purpose() | Hardened, coinType | Hardened, account | Hardened}
}

// KindOfTemplate returns the kind whose default template is t.
func KindOfTemplate(t string) (Kind, bool) {
	for i, d := range kinds {
		if d.template == t {
			return Kind(i), true
		}
	}
	return 0, false
}

// Default returns the default policy of kind k for the account xpub at
// AccountPath(coinType, account) of the seed with the given master
// fingerprint. The device accepts it unregistered (zero HMAC) when account
// is at most 100 and the key really is its own.
func Default(k Kind, fingerprint, coinType, account uint32, xpub string) Policy {
	return Policy{
		Template: k.Template(),
		Keys:     []string{KeyString(fingerprint, k.AccountPath(coinType, account), xpub)},
	}
}
