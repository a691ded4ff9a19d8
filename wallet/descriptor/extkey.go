package descriptor

import (
	"bytes"
	"encoding/binary"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/base58"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// keyVersion describes the 4 version bytes of a serialized extended key
// (BIP 32 and the SLIP-132 registry).
type keyVersion struct {
	prefix   string     // how the base58 text starts
	version  [4]byte    // the version bytes
	mainnet  bool       // mainnet, else any test network
	private  bool       // a private key version
	multisig bool       // a SLIP-132 multisig version (Ypub, Zpub, ...)
	only     ScriptType // the one script type the version stands for, or 0 for any
}

var keyVersions = []keyVersion{
	{"xpub", [4]byte{0x04, 0x88, 0xb2, 0x1e}, true, false, false, 0},
	{"xprv", [4]byte{0x04, 0x88, 0xad, 0xe4}, true, true, false, 0},
	{"ypub", [4]byte{0x04, 0x9d, 0x7c, 0xb2}, true, false, false, SHWPKH},
	{"yprv", [4]byte{0x04, 0x9d, 0x78, 0x78}, true, true, false, SHWPKH},
	{"zpub", [4]byte{0x04, 0xb2, 0x47, 0x46}, true, false, false, WPKH},
	{"zprv", [4]byte{0x04, 0xb2, 0x43, 0x0c}, true, true, false, WPKH},
	{"Ypub", [4]byte{0x02, 0x95, 0xb4, 0x3f}, true, false, true, 0},
	{"Yprv", [4]byte{0x02, 0x95, 0xb0, 0x05}, true, true, true, 0},
	{"Zpub", [4]byte{0x02, 0xaa, 0x7e, 0xd3}, true, false, true, 0},
	{"Zprv", [4]byte{0x02, 0xaa, 0x7a, 0x99}, true, true, true, 0},
	{"tpub", [4]byte{0x04, 0x35, 0x87, 0xcf}, false, false, false, 0},
	{"tprv", [4]byte{0x04, 0x35, 0x83, 0x94}, false, true, false, 0},
	{"upub", [4]byte{0x04, 0x4a, 0x52, 0x62}, false, false, false, SHWPKH},
	{"uprv", [4]byte{0x04, 0x4a, 0x4e, 0x28}, false, true, false, SHWPKH},
	{"vpub", [4]byte{0x04, 0x5f, 0x1c, 0xf6}, false, false, false, WPKH},
	{"vprv", [4]byte{0x04, 0x5f, 0x18, 0xbc}, false, true, false, WPKH},
	{"Upub", [4]byte{0x02, 0x42, 0x89, 0xef}, false, false, true, 0},
	{"Uprv", [4]byte{0x02, 0x42, 0x85, 0xb5}, false, true, true, 0},
	{"Vpub", [4]byte{0x02, 0x57, 0x54, 0x83}, false, false, true, 0},
	{"Vprv", [4]byte{0x02, 0x57, 0x50, 0x48}, false, true, true, 0},
}

// serializedExtKeyLen is the length of a decoded extended key: version (4),
// depth (1), parent fingerprint (4), child number (4), chain code (32),
// key data (33) and checksum (4).
const serializedExtKeyLen = 4 + 1 + 4 + 4 + 32 + 33 + 4

// looksPrivate tells whether s is the text of a private key: an extended
// private key by its prefix (even with a typo elsewhere), or a WIF private
// key by its structure. The decoded bytes are wiped before returning.
func looksPrivate(s string) bool {
	for _, v := range keyVersions {
		if v.private && strings.HasPrefix(s, v.prefix) {
			return true
		}
	}
	// WIF: version 0x80 (mainnet) or 0xef (test networks), 32 key bytes,
	// an optional 0x01 compression flag, and a 4-byte double-SHA256
	// checksum.
	if len(s) < 50 || len(s) > 53 {
		return false
	}
	raw := base58.Decode(s)
	defer clear(raw)
	if len(raw) != 37 && !(len(raw) == 38 && raw[33] == 0x01) {
		return false
	}
	if raw[0] != 0x80 && raw[0] != 0xef {
		return false
	}
	payload, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	return bytes.Equal(chainhash.DoubleHashB(payload)[:4], sum)
}

// extKey is a decoded, validated extended public key.
type extKey struct {
	ver  keyVersion
	key  *hdkeychain.ExtendedKey // with the standard version of the wallet's network
	pub  []byte                  // the 33-byte compressed public key
	fp   [4]byte                 // its own fingerprint: hash160(pub)[:4]
	text string                  // the canonical text (standard version)
}

// decodeExtKey decodes the base58 text s of an extended public key and
// checks it as BIP 32 asks (test vector 5): checksum, known version, public
// key data that is a valid compressed point, and a master key (depth 0) with
// zero parent fingerprint and child number. It checks the key belongs to
// net and, for a SLIP-132 version, to script type typ (0: no check). off is
// the key's offset in the descriptor, for error positions. Private versions
// fail with ErrPrivateKey; the decoded bytes are wiped in every case.
func decodeExtKey(s string, off int, net Network, typ ScriptType) (*extKey, error) {
	raw := base58.Decode(s)
	defer clear(raw)
	if len(raw) != serializedExtKeyLen {
		return nil, errAt(off, ErrInvalidKey, "not a valid public key or extended public key")
	}
	payload, sum := raw[:len(raw)-4], raw[len(raw)-4:]
	if !bytes.Equal(chainhash.DoubleHashB(payload)[:4], sum) {
		return nil, errAt(off, ErrInvalidKey, "extended key checksum is wrong (a typo?)")
	}
	var ver *keyVersion
	for i := range keyVersions {
		if bytes.Equal(keyVersions[i].version[:], payload[:4]) {
			ver = &keyVersions[i]
			break
		}
	}
	switch {
	case ver == nil:
		return nil, errAt(off, ErrInvalidKey, "unknown extended key version %x", payload[:4])
	case ver.private:
		return nil, errAt(off, ErrPrivateKey, "%s is an extended private key: hardfolio is watch-only and never takes private keys", ver.prefix)
	case ver.multisig:
		return nil, errAt(off, ErrUnsupported, "%s is a SLIP-132 multisig key: only single-sig wallets are supported", ver.prefix)
	}

	depth := payload[4]
	parentFP := payload[5:9]
	child := binary.BigEndian.Uint32(payload[9:13])
	chainCode := payload[13:45]
	keyData := payload[45:78]
	switch {
	case keyData[0] == 0x00:
		return nil, errAt(off, ErrInvalidKey, "%s version with private key data", ver.prefix)
	case keyData[0] != 0x02 && keyData[0] != 0x03:
		return nil, errAt(off, ErrInvalidKey, "extended key holds a public key with invalid prefix %02x", keyData[0])
	case depth == 0 && !bytes.Equal(parentFP, []byte{0, 0, 0, 0}):
		return nil, errAt(off, ErrInvalidKey, "extended key of depth 0 with a non-zero parent fingerprint")
	case depth == 0 && child != 0:
		return nil, errAt(off, ErrInvalidKey, "extended key of depth 0 with a non-zero child number")
	}
	if _, err := btcec.ParsePubKey(keyData); err != nil {
		return nil, errAt(off, ErrInvalidKey, "extended key holds an invalid public key (not on the curve)")
	}

	if ver.mainnet != (net == Mainnet) {
		return nil, errAt(off, ErrNetwork, "%s is a %s key but the wallet network is %s", ver.prefix, keyNetName(ver.mainnet), net)
	}
	if typ != 0 && ver.only != 0 && ver.only != typ {
		return nil, errAt(off, ErrNetwork, "%s keys are for %s, not %s", ver.prefix, ver.only.wrap("..."), typ.wrap("..."))
	}

	params := net.Params()
	pub := bytes.Clone(keyData)
	k := hdkeychain.NewExtendedKey(params.HDPublicKeyID[:], pub, bytes.Clone(chainCode),
		bytes.Clone(parentFP), depth, child, false)
	e := &extKey{ver: *ver, key: k, pub: pub, text: k.String()}
	copy(e.fp[:], hash160(pub)[:4])
	return e, nil
}

func keyNetName(mainnet bool) string {
	if mainnet {
		return "mainnet"
	}
	return "test network (testnet, signet, regtest)"
}
