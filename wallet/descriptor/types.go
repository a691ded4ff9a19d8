package descriptor

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
)

// Network is the Bitcoin network a wallet lives on. Its zero value is not a
// network, so a caller always says which one it means.
type Network uint8

// The networks. Test, signet and regtest share the tpub/upub/vpub key
// versions; their addresses differ (tb1 for test and signet, bcrt1 for
// regtest).
const (
	Mainnet Network = iota + 1
	Testnet
	Signet
	Regtest
)

// Params returns btcd's parameters of the network (address versions and
// HRP, extended key versions), or nil for an unknown network.
func (n Network) Params() *chaincfg.Params {
	switch n {
	case Mainnet:
		return &chaincfg.MainNetParams
	case Testnet:
		return &chaincfg.TestNet3Params
	case Signet:
		return &chaincfg.SigNetParams
	case Regtest:
		return &chaincfg.RegressionNetParams
	}
	return nil
}

func (n Network) String() string {
	switch n {
	case Mainnet:
		return "mainnet"
	case Testnet:
		return "testnet"
	case Signet:
		return "signet"
	case Regtest:
		return "regtest"
	}
	return "network(" + strconv.Itoa(int(n)) + ")"
}

// ParseNetwork reads a network name: mainnet (or main, bitcoin), testnet
// (or test, testnet3), signet, regtest.
func ParseNetwork(s string) (Network, error) {
	switch strings.ToLower(s) {
	case "mainnet", "main", "bitcoin":
		return Mainnet, nil
	case "testnet", "test", "testnet3":
		return Testnet, nil
	case "signet":
		return Signet, nil
	case "regtest":
		return Regtest, nil
	}
	return 0, errNoPos(ErrNetwork, "unknown network %q (want mainnet, testnet, signet or regtest)", s)
}

func (n Network) valid() bool { return n >= Mainnet && n <= Regtest }

// ScriptType is the kind of output script a single-sig descriptor makes.
type ScriptType uint8

// The script types, named as in descriptors.
const (
	PKH    ScriptType = iota + 1 // pkh(KEY): P2PKH
	SHWPKH                       // sh(wpkh(KEY)): P2SH-wrapped P2WPKH
	WPKH                         // wpkh(KEY): P2WPKH
	TR                           // tr(KEY): P2TR, key path only
)

func (t ScriptType) String() string {
	switch t {
	case PKH:
		return "pkh"
	case SHWPKH:
		return "sh-wpkh"
	case WPKH:
		return "wpkh"
	case TR:
		return "tr"
	}
	return "scripttype(" + strconv.Itoa(int(t)) + ")"
}

// ParseScriptType reads a script type: pkh, sh-wpkh (or sh(wpkh), p2sh-p2wpkh),
// wpkh, tr; the BIP 44/49/84/86 numbers and p2pkh/p2wpkh/p2tr also work.
func ParseScriptType(s string) (ScriptType, error) {
	switch strings.ToLower(s) {
	case "pkh", "p2pkh", "44", "bip44":
		return PKH, nil
	case "sh-wpkh", "sh(wpkh)", "p2sh-p2wpkh", "shwpkh", "49", "bip49":
		return SHWPKH, nil
	case "wpkh", "p2wpkh", "84", "bip84":
		return WPKH, nil
	case "tr", "p2tr", "86", "bip86":
		return TR, nil
	}
	return 0, errNoPos(ErrUnsupported, "unknown script type %q (want pkh, sh-wpkh, wpkh or tr)", s)
}

func (t ScriptType) valid() bool { return t >= PKH && t <= TR }

// wrap puts a key expression inside the script expression of t.
func (t ScriptType) wrap(key string) string {
	switch t {
	case PKH:
		return "pkh(" + key + ")"
	case SHWPKH:
		return "sh(wpkh(" + key + "))"
	case WPKH:
		return "wpkh(" + key + ")"
	default:
		return "tr(" + key + ")"
	}
}

// KeyOrigin is a key's place in its wallet: the fingerprint of the key the
// derivation starts from (normally the master key of the hardware wallet)
// and the derivation steps from there, hardened steps having the
// hdkeychain.HardenedKeyStart bit set.
type KeyOrigin struct {
	Fingerprint [4]byte
	Path        []uint32
}

// String writes the origin as in a descriptor, without brackets:
// "73c5da0a/84h/0h/0h".
func (o KeyOrigin) String() string {
	var b strings.Builder
	b.WriteString(hex.EncodeToString(o.Fingerprint[:]))
	writePath(&b, o.Path)
	return b.String()
}

// PSBTFingerprint returns the fingerprint as btcd's psbt package stores it
// (the 4 bytes read as a little-endian uint32).
func (o KeyOrigin) PSBTFingerprint() uint32 {
	return binary.LittleEndian.Uint32(o.Fingerprint[:])
}

// clone returns a copy that shares no memory with o.
func (o KeyOrigin) clone() KeyOrigin {
	return KeyOrigin{Fingerprint: o.Fingerprint, Path: append([]uint32(nil), o.Path...)}
}

// ParseKeyOrigin reads a key origin written as in a descriptor, with or
// without the brackets: "[73c5da0a/84h/0h/0h]" or "73c5da0a/84'/0'/0'".
func ParseKeyOrigin(s string) (KeyOrigin, error) {
	off := 0
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s, off = s[1:len(s)-1], 1
	}
	return parseOrigin(s, off)
}

// writePath appends "/step" for each step, hardened ones with "h".
func writePath(b *strings.Builder, path []uint32) {
	for _, p := range path {
		b.WriteByte('/')
		writeStep(b, p)
	}
}

func writeStep(b *strings.Builder, p uint32) {
	if p >= hdkeychain.HardenedKeyStart {
		b.WriteString(strconv.FormatUint(uint64(p-hdkeychain.HardenedKeyStart), 10))
		b.WriteByte('h')
		return
	}
	b.WriteString(strconv.FormatUint(uint64(p), 10))
}
