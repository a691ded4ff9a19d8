package ledger

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// walletPolicyLabel is the SLIP-0021 label of the key that authenticates
// registered wallet policies (app-bitcoin-new doc/wallet.md).
const walletPolicyLabel = "LEDGER-Wallet policy"

// slip21Key derives the SLIP-0021 symmetric key for one label from a BIP39
// seed:
//
//	master = HMAC-SHA512(key = "Symmetric key seed", seed)
//	child  = HMAC-SHA512(key = master[0:32], 0x00 || label)
//	key    = child[32:64]
func slip21Key(seed []byte, label string) [32]byte {
	mac := hmac.New(sha512.New, []byte("Symmetric key seed"))
	mac.Write(seed)
	node := mac.Sum(nil)
	mac = hmac.New(sha512.New, node[:32])
	mac.Write([]byte{0x00})
	mac.Write([]byte(label))
	node = mac.Sum(nil)
	return [32]byte(node[32:64])
}

// walletHMAC is the HMAC the device returns for a registered policy:
// HMAC-SHA256 of the wallet id, keyed by the SLIP-0021 policy key.
func (k *keyring) walletHMAC(walletID [32]byte) [32]byte {
	mac := hmac.New(sha256.New, k.policyKey[:])
	mac.Write(walletID[:])
	return [32]byte(mac.Sum(nil))
}

// maxSerialization bounds a policy serialization (version, name, template
// length and hash, key count, keys root).
const maxSerialization = 1 + 1 + 64 + 9 + 32 + 9 + 32

// registerWallet answers REGISTER_WALLET (E1 02):
//
//	| varint(len) | policy serialization (len bytes) |
//
// The device parses the serialization, asks for the template
// (GET_PREIMAGE of its hash) and for each key (GET_MERKLE_LEAF_PROOF and
// GET_PREIMAGE), shows them (the user may refuse), and answers
//
//	| wallet_id(32) = SHA-256(serialization) | hmac(32) |
//
// Errors (register_wallet.c):
//
//	0x6A87  data shorter than its length prefix
//	0x6A80  bad serialization, empty name, bad client data, bad key
//	        string, a key index the template uses but the list lacks, no
//	        key of this device, or another APDU than CONTINUE while waiting
//	0x6A82  a template this simulator cannot use: it registers multisig
//	        policies only (see parseMultisig)
//	0x6985  the user refused
func (d *Device) registerWallet(c *call, _ byte, data []byte) []byte {
	r := &reader{b: data}
	n := r.varint()
	if r.bad || n > maxSerialization || uint64(len(r.b)) < n {
		return sw(SWWrongDataLength)
	}
	ser := r.bytes(int(n))
	header, err := policy.Parse(ser)
	if err != nil || header.Name == "" {
		return sw(SWIncorrectData)
	}
	tmpl, err := c.getPreimage(header.TemplateHash)
	if err != nil || uint64(len(tmpl)) != header.TemplateLen {
		return sw(SWIncorrectData)
	}
	ms, err := parseMultisig(string(tmpl))
	if err != nil {
		return sw(SWNotSupported)
	}
	if ms.maxKey() >= int(header.NumKeys) {
		return sw(SWIncorrectData)
	}
	internal := 0
	seen := map[string]bool{}
	for i := 0; i < int(header.NumKeys); i++ {
		raw, err := c.getMerkleLeafElement(header.KeysRoot, int(header.NumKeys), i)
		if err != nil {
			return sw(SWIncorrectData)
		}
		key, err := policy.ParseKey(string(raw))
		if err != nil || seen[key.XPub] {
			return sw(SWIncorrectData)
		}
		seen[key.XPub] = true
		if _, err := hdkeychain.NewKeyFromString(key.XPub); err != nil {
			return sw(SWIncorrectData)
		}
		if d.isOwnKey(key) {
			internal++
		}
	}
	if internal == 0 {
		return sw(SWIncorrectData)
	}
	if !d.confirm(ScreenRegister) {
		return sw(SWDeny)
	}
	id := sha256.Sum256(ser)
	mac := d.keys.walletHMAC(id)
	return withSW(append(id[:], mac[:]...), SWOK)
}

// isOwnKey reports whether a policy key is this device's: its origin's
// fingerprint is ours and the device derives the same xpub at its path.
func (d *Device) isOwnKey(k policy.Key) bool {
	if k.Origin == nil || len(k.Origin.Path) > maxPathSteps {
		return false
	}
	fp := d.keys.Fingerprint
	if k.Origin.Fingerprint != binary.BigEndian.Uint32(fp[:]) {
		return false
	}
	own, err := d.keys.Xpub(k.Origin.Path, d.coin.xpubVersion)
	return err == nil && own == k.XPub
}

// errTemplate reports a descriptor template outside what parseMultisig
// reads.
var errTemplate = errors.New("ledger sim: unsupported descriptor template")

// multisig is a parsed multisig template:
//
//	wsh(M(k,KEY,...)), sh(wsh(M(k,KEY,...))) or sh(M(k,KEY,...))
//
// with M = multi or sortedmulti and KEY = @i/** (receive 0, change 1) or
// @i/<a;b>/* (receive a, change b).
type multisig struct {
	wrap   string // "wsh", "sh-wsh" or "sh"
	sorted bool
	k      int
	keys   []multisigKey
}

type multisigKey struct {
	index           int
	receive, change uint32
}

func (m multisig) maxKey() int {
	hi := -1
	for _, k := range m.keys {
		hi = max(hi, k.index)
	}
	return hi
}

// parseMultisig reads a multisig template (see multisig).
func parseMultisig(t string) (multisig, error) {
	var m multisig
	switch {
	case strings.HasPrefix(t, "sh(wsh(") && strings.HasSuffix(t, "))"):
		m.wrap, t = "sh-wsh", t[len("sh(wsh("):len(t)-2]
	case strings.HasPrefix(t, "wsh(") && strings.HasSuffix(t, ")"):
		m.wrap, t = "wsh", t[len("wsh("):len(t)-1]
	case strings.HasPrefix(t, "sh(") && strings.HasSuffix(t, ")"):
		m.wrap, t = "sh", t[len("sh("):len(t)-1]
	default:
		return m, errTemplate
	}
	switch {
	case strings.HasPrefix(t, "sortedmulti(") && strings.HasSuffix(t, ")"):
		m.sorted, t = true, t[len("sortedmulti("):len(t)-1]
	case strings.HasPrefix(t, "multi(") && strings.HasSuffix(t, ")"):
		t = t[len("multi(") : len(t)-1]
	default:
		return m, errTemplate
	}
	args := strings.Split(t, ",")
	if len(args) < 2 {
		return m, errTemplate
	}
	k, err := strconv.Atoi(args[0])
	if err != nil || k < 1 || k > len(args)-1 || strconv.Itoa(k) != args[0] {
		return m, errTemplate
	}
	m.k = k
	limit := 20 // MAX_PUBKEYS_PER_MULTISIG
	if m.wrap == "sh" {
		limit = 15 // 520-byte redeem script
	}
	if len(args)-1 > limit {
		return m, errTemplate
	}
	used := map[int]bool{}
	for _, a := range args[1:] {
		key, err := parseKeyExpr(a)
		if err != nil || used[key.index] {
			return m, errTemplate
		}
		used[key.index] = true
		m.keys = append(m.keys, key)
	}
	return m, nil
}

// parseKeyExpr reads @i/** or @i/<a;b>/*.
func parseKeyExpr(s string) (multisigKey, error) {
	var k multisigKey
	if !strings.HasPrefix(s, "@") {
		return k, errTemplate
	}
	num, rest, ok := strings.Cut(s[1:], "/")
	if !ok {
		return k, errTemplate
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || strconv.Itoa(i) != num {
		return k, errTemplate
	}
	k.index = i
	if rest == "**" {
		k.receive, k.change = 0, 1
		return k, nil
	}
	if !strings.HasPrefix(rest, "<") || !strings.HasSuffix(rest, ">/*") {
		return k, errTemplate
	}
	a, b, ok := strings.Cut(rest[1:len(rest)-3], ";")
	if !ok {
		return k, errTemplate
	}
	ra, err1 := strconv.ParseUint(a, 10, 31)
	rb, err2 := strconv.ParseUint(b, 10, 31)
	if err1 != nil || err2 != nil || ra == rb {
		return k, errTemplate
	}
	k.receive, k.change = uint32(ra), uint32(rb)
	return k, nil
}

// multisigScript derives the multisig script at (change, index) of a
// multisig policy whose key strings are xpubs (indexed as in the
// template), and the output script that pays to it.
func multisigScript(m multisig, xpubs []string, change bool, index uint32) (script, pkScript []byte, err error) {
	pubs := make([][]byte, 0, len(m.keys))
	for _, k := range m.keys {
		ext, err := hdkeychain.NewKeyFromString(xpubs[k.index])
		if err != nil {
			return nil, nil, err
		}
		branch := k.receive
		if change {
			branch = k.change
		}
		for _, step := range []uint32{branch, index} {
			if ext, err = ext.Derive(step); err != nil {
				return nil, nil, err
			}
		}
		pub, err := ext.ECPubKey()
		if err != nil {
			return nil, nil, err
		}
		pubs = append(pubs, pub.SerializeCompressed())
	}
	if m.sorted {
		sort.Slice(pubs, func(i, j int) bool { return bytes.Compare(pubs[i], pubs[j]) < 0 })
	}
	b := txscript.NewScriptBuilder().AddInt64(int64(m.k))
	for _, p := range pubs {
		b.AddData(p)
	}
	if script, err = b.AddInt64(int64(len(pubs))).AddOp(txscript.OP_CHECKMULTISIG).Script(); err != nil {
		return nil, nil, err
	}
	h := sha256.Sum256(script)
	switch m.wrap {
	case "wsh":
		return script, append([]byte{txscript.OP_0, txscript.OP_DATA_32}, h[:]...), nil
	case "sh-wsh":
		redeem := append([]byte{txscript.OP_0, txscript.OP_DATA_32}, h[:]...)
		return script, p2shScript(redeem), nil
	}
	if len(script) > txscript.MaxScriptElementSize {
		return nil, nil, errTemplate
	}
	return script, p2shScript(script), nil
}

func p2shScript(redeem []byte) []byte {
	return append(append([]byte{txscript.OP_HASH160, txscript.OP_DATA_20}, btcutil.Hash160(redeem)...), txscript.OP_EQUAL)
}

// multisigAddress derives the address at (change, index) of a multisig
// policy whose key strings are xpubs (indexed as in the template).
func (d *Device) multisigAddress(m multisig, xpubs []string, change bool, index uint32) (string, error) {
	_, pk, err := multisigScript(m, xpubs, change, index)
	if err != nil {
		return "", err
	}
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(pk, d.addressParams())
	if err != nil || len(addrs) != 1 {
		return "", errTemplate
	}
	return addrs[0].EncodeAddress(), nil
}

// addressParams is the network whose address encodings the app uses.
func (d *Device) addressParams() *chaincfg.Params {
	if d.coin.appName == coinMain.appName {
		return &chaincfg.MainNetParams
	}
	return &chaincfg.TestNet3Params
}
