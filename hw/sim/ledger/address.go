package ledger

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// maxAddressIndex is the largest address index shown for a default policy
// (MAX_BIP44_ADDRESS_INDEX_RECOMMENDED).
const maxAddressIndex = 50000

// errNotStandard reports a policy that is not one of the default single-sig
// policies of this device.
var errNotStandard = errors.New("ledger sim: not a default wallet policy")

// getWalletAddress answers GET_WALLET_ADDRESS (E1 03):
//
//	| size | field                                   |
//	|------|-----------------------------------------|
//	| 1    | display: 0 or non-zero                  |
//	| 32   | wallet id, SHA-256 of the serialization |
//	| 32   | HMAC; all zero for a default policy     |
//	| 1    | change: 0 or 1                          |
//	| 4    | address index, u32 BE, not hardened     |
//
// Response: the address in ASCII. On the way the device asks the client
// (client commands, see interrupt.go), in the order the app does:
//
//  1. GET_PREIMAGE(wallet id): the policy serialization (policy.Parse);
//  2. GET_PREIMAGE(template hash): the descriptor template;
//  3. GET_MERKLE_LEAF_PROOF + GET_PREIMAGE for key 0, to check that the
//     policy is a default one of this seed;
//  4. the same again for key 0, to derive the address.
//
// Errors:
//
//	0x6A87  data too short
//	0x6A80  change > 1, hardened index, bad client data, a policy that is not
//	        a default one (see checkDefault), a name on a default policy,
//	        index > 50000, or another APDU than CONTINUE while waiting
//	0xB008  non-zero HMAC that is not the one REGISTER_WALLET gave for this
//	        wallet id on this seed
//	0x6A82  a registered policy that is not multisig (see registerWallet)
//	0x6985  display set and the user refused
//
// A registered policy (non-zero HMAC) is answered by registeredAddress.
func (d *Device) getWalletAddress(c *call, _ byte, data []byte) []byte {
	r := &reader{b: data}
	display := r.u8()
	walletID := [32]byte(r.bytes(32))
	hmac := r.bytes(32)
	if r.bad {
		return sw(SWWrongDataLength)
	}
	change := r.u8()
	if r.bad {
		return sw(SWWrongDataLength)
	}
	if change > 1 {
		return sw(SWIncorrectData)
	}
	idxBytes := r.bytes(4)
	if r.bad {
		return sw(SWWrongDataLength)
	}
	index := binary.BigEndian.Uint32(idxBytes)
	if index >= hardened {
		return sw(SWIncorrectData)
	}

	// The policy: serialization, then template.
	ser, err := c.getPreimage(walletID)
	if err != nil {
		return failSW(err)
	}
	header, err := policy.Parse(ser)
	if err != nil {
		return sw(SWIncorrectData)
	}
	tmpl, err := c.getPreimage(header.TemplateHash)
	if err != nil {
		return failSW(err)
	}
	if uint64(len(tmpl)) != header.TemplateLen {
		return sw(SWIncorrectData)
	}
	if !allZero(hmac) {
		return d.registeredAddress(c, header, string(tmpl), walletID, hmac, display != 0, change == 1, index)
	}
	kind, ok := defaultKind(string(tmpl))
	if !ok {
		return sw(SWIncorrectData)
	}
	if _, err := d.checkDefault(c, header, kind); err != nil {
		return failSW(err)
	}
	if header.Name != "" || index > maxAddressIndex {
		return sw(SWIncorrectData)
	}

	// The script, from key 0 as the client sends it again.
	keyStr, err := c.getMerkleLeafElement(header.KeysRoot, int(header.NumKeys), 0)
	if err != nil {
		return failSW(err)
	}
	key, err := policy.ParseKey(string(keyStr))
	if err != nil {
		return sw(SWIncorrectData)
	}
	addr, err := d.address(kind, key.XPub, uint32(change), index)
	if err != nil {
		return sw(SWBadState)
	}
	if display != 0 && !d.confirm(ScreenAddress) {
		return sw(SWDeny)
	}
	return withSW([]byte(addr), SWOK)
}

// defaultKind recognises the four default templates, with "/**" or its
// long form "/<0;1>/*".
func defaultKind(tmpl string) (policy.Kind, bool) {
	return policy.KindOfTemplate(strings.ReplaceAll(tmpl, "/<0;1>/*", "/**"))
}

// checkDefault checks that a policy with a default template is a default
// policy of this device (is_wallet_policy_standard): exactly one key, with
// an origin whose fingerprint is the device's, whose path is
// m/purpose'/coin'/account' for the template's purpose, the app's coin type
// and account <= 100, and whose xpub is the device's own at that path.
// It returns the key.
func (d *Device) checkDefault(c *call, h policy.Header, kind policy.Kind) (policy.Key, error) {
	if h.NumKeys != 1 {
		return policy.Key{}, errNotStandard
	}
	keyStr, err := c.getMerkleLeafElement(h.KeysRoot, int(h.NumKeys), 0)
	if err != nil {
		return policy.Key{}, err
	}
	key, err := policy.ParseKey(string(keyStr))
	if err != nil || key.Origin == nil {
		return policy.Key{}, errNotStandard
	}
	fp := d.keys.Fingerprint
	if key.Origin.Fingerprint != binary.BigEndian.Uint32(fp[:]) {
		return policy.Key{}, errNotStandard
	}
	p := key.Origin.Path
	if len(p) != 3 || p[0] != hardened+kind.Purpose() || p[1] != hardened+d.coin.coinType ||
		p[2] < hardened || p[2] > hardened+maxAccount {
		return policy.Key{}, errNotStandard
	}
	own, err := d.keys.Xpub(p, d.coin.xpubVersion)
	if err != nil || own != key.XPub {
		return policy.Key{}, errNotStandard
	}
	return key, nil
}

// address derives xpub/change/index and encodes the address of a default
// policy of the given kind for the app's network (the "Bitcoin Test" app
// uses testnet encodings on every test network).
func (d *Device) address(kind policy.Kind, xpub string, change, index uint32) (string, error) {
	k, err := hdkeychain.NewKeyFromString(xpub)
	if err != nil {
		return "", err
	}
	for _, step := range []uint32{change, index} {
		if k, err = k.Derive(step); err != nil {
			return "", err
		}
	}
	pub, err := k.ECPubKey()
	if err != nil {
		return "", err
	}
	params := &chaincfg.TestNet3Params
	if d.coin.appName == coinMain.appName {
		params = &chaincfg.MainNetParams
	}
	var a btcutil.Address
	h160 := btcutil.Hash160(pub.SerializeCompressed())
	switch kind {
	case policy.Legacy:
		a, err = btcutil.NewAddressPubKeyHash(h160, params)
	case policy.NativeSegwit:
		a, err = btcutil.NewAddressWitnessPubKeyHash(h160, params)
	case policy.NestedSegwit:
		redeem := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h160...)
		a, err = btcutil.NewAddressScriptHash(redeem, params)
	case policy.Taproot:
		out := txscript.ComputeTaprootKeyNoScript(pub)
		a, err = btcutil.NewAddressTaproot(schnorr.SerializePubKey(out), params)
	default:
		return "", errNotStandard
	}
	if err != nil {
		return "", err
	}
	return a.EncodeAddress(), nil
}

// failSW maps the failure of a client exchange to a status word. An
// aborted command already had its answer (0x6A80 from dispatch), so what is
// returned here is dropped.
func failSW(error) []byte { return sw(SWIncorrectData) }

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// registeredAddress answers GET_WALLET_ADDRESS for a registered policy: the
// HMAC must be the one this seed computes for the wallet id; then every key
// is fetched (GET_MERKLE_LEAF_PROOF, GET_PREIMAGE) and the address derived.
func (d *Device) registeredAddress(c *call, h policy.Header, tmpl string, walletID [32]byte,
	mac []byte, display, change bool, index uint32) []byte {
	want := d.keys.walletHMAC(walletID)
	if !hmac.Equal(want[:], mac) {
		return sw(SWSignatureFail)
	}
	if h.Name == "" {
		return sw(SWIncorrectData)
	}
	ms, err := parseMultisig(tmpl)
	if err != nil {
		return sw(SWNotSupported)
	}
	if ms.maxKey() >= int(h.NumKeys) {
		return sw(SWIncorrectData)
	}
	xpubs := make([]string, h.NumKeys)
	for i := range xpubs {
		raw, err := c.getMerkleLeafElement(h.KeysRoot, int(h.NumKeys), i)
		if err != nil {
			return failSW(err)
		}
		key, err := policy.ParseKey(string(raw))
		if err != nil {
			return sw(SWIncorrectData)
		}
		xpubs[i] = key.XPub
	}
	addr, err := d.multisigAddress(ms, xpubs, change, index)
	if err != nil {
		return sw(SWIncorrectData)
	}
	if display && !d.confirm(ScreenAddress) {
		return sw(SWDeny)
	}
	return withSW([]byte(addr), SWOK)
}
