package ledger

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// msPolicy is a registered multisig policy during SIGN_PSBT: its template,
// every key, and which keys are this device's.
type msPolicy struct {
	m     multisig
	xpubs []string
	keys  []policy.Key
	ours  map[int]bool // key indexes of this device's keys
}

// readMultisig fetches a registered policy's keys (GET_MERKLE_LEAF_PROOF
// and GET_PREIMAGE each, as the app does) and checks that it is a multisig
// with a key of this device. The HMAC has been checked by the caller.
func (d *Device) readMultisig(c *call, h policy.Header, tmpl string) (*msPolicy, uint16) {
	m, err := parseMultisig(tmpl)
	if err != nil {
		return nil, SWNotSupported
	}
	if m.maxKey() >= int(h.NumKeys) {
		return nil, SWIncorrectData
	}
	ms := &msPolicy{m: m, ours: map[int]bool{}}
	for i := 0; i < int(h.NumKeys); i++ {
		raw, err := c.getMerkleLeafElement(h.KeysRoot, int(h.NumKeys), i)
		if err != nil {
			return nil, SWIncorrectData
		}
		k, err := policy.ParseKey(string(raw))
		if err != nil {
			return nil, SWIncorrectData
		}
		if _, err := hdkeychain.NewKeyFromString(k.XPub); err != nil {
			return nil, SWIncorrectData
		}
		ms.keys, ms.xpubs = append(ms.keys, k), append(ms.xpubs, k.XPub)
		if d.isOwnKey(k) {
			ms.ours[i] = true
		}
	}
	if len(ms.ours) == 0 {
		return nil, SWIncorrectData
	}
	return ms, SWOK
}

// ownPath reads a BIP32_DERIVATION value and returns its path when it is
// under one of this device's keys of the policy: our fingerprint, the
// key's origin path, the key's receive or change step, an unhardened
// index. It also returns the key's index in the template.
func (ms *msPolicy) ownPath(d *Device, v []byte) ([]uint32, int, bool) {
	r := &reader{b: v}
	fp := r.bytes(4)
	if r.bad || len(r.b)%4 != 0 || [4]byte(fp) != d.keys.Fingerprint {
		return nil, 0, false
	}
	path := make([]uint32, 0, len(r.b)/4)
	for len(r.b) > 0 {
		path = append(path, binary.LittleEndian.Uint32(r.bytes(4)))
	}
	for _, ke := range ms.m.keys {
		if !ms.ours[ke.index] {
			continue
		}
		o := ms.keys[ke.index].Origin
		n := len(o.Path)
		if len(path) != n+2 || path[n+1] >= hardened || (path[n] != ke.receive && path[n] != ke.change) {
			continue
		}
		same := true
		for i, s := range o.Path {
			same = same && path[i] == s
		}
		if same {
			return path, ke.index, true
		}
	}
	return nil, 0, false
}

// scriptAt returns the multisig script and the output script at the change
// and index that path ends in.
func (ms *msPolicy) scriptAt(path []uint32) (script, pkScript []byte, err error) {
	n := len(path)
	change := false
	for _, ke := range ms.m.keys {
		if ms.ours[ke.index] && path[n-2] == ke.change && path[n-2] != ke.receive {
			change = true
		}
	}
	return multisigScript(ms.m, ms.xpubs, change, path[n-1])
}
