package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/policy"
)

// responder answers the device's client commands from what the test made
// known, statelessly, as the reference clients do. chunk bounds the bytes
// of a preimage sent in the first reply, to exercise GET_MORE_ELEMENTS.
type responder struct {
	t         *testing.T
	preimages map[[32]byte][]byte
	trees     map[merkle.Hash]*merkle.Tree
	queue     [][]byte
	chunk     int
	asked     []byte // client command codes, in order
}

func newResponder(t *testing.T, p policy.Policy, chunk int) *responder {
	r := &responder{t: t, preimages: map[[32]byte][]byte{}, trees: map[merkle.Hash]*merkle.Tree{}, chunk: chunk}
	ser, err := p.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	r.add(ser)
	r.add([]byte(p.Template))
	tree := p.KeysTree()
	r.trees[tree.Root()] = tree
	for _, k := range p.KeyElements() {
		r.add(append([]byte{0x00}, k...))
	}
	return r
}

func (r *responder) add(b []byte) { r.preimages[sha256.Sum256(b)] = b }

// answer returns the CONTINUE data for one client command.
func (r *responder) answer(req []byte) []byte {
	r.t.Helper()
	r.asked = append(r.asked, req[0])
	switch req[0] {
	case ccGetPreimage:
		pre, ok := r.preimages[[32]byte(req[2:34])]
		if !ok {
			r.t.Fatalf("unknown preimage %x", req[2:34])
		}
		n := min(len(pre), r.chunk)
		out := appendVarint(nil, uint64(len(pre)))
		out = append(append(out, byte(n)), pre[:n]...)
		for _, b := range pre[n:] {
			r.queue = append(r.queue, []byte{b})
		}
		return out
	case ccGetMerkleLeafProf:
		tree := r.trees[merkle.Hash(req[1:33])]
		rd := &reader{b: req[33:]}
		size, index := int(rd.varint()), int(rd.varint())
		if tree == nil || tree.Len() != size {
			r.t.Fatalf("unknown tree %x", req[1:33])
		}
		leaf, _ := tree.Leaf(index)
		proof, _ := tree.Proof(index)
		n := min(len(proof), 6)
		out := append(leaf[:], byte(len(proof)), byte(n))
		for _, p := range proof[:n] {
			out = append(out, p[:]...)
		}
		for _, p := range proof[n:] {
			r.queue = append(r.queue, p[:])
		}
		return out
	case ccGetMoreElements:
		if len(r.queue) == 0 {
			r.t.Fatal("GET_MORE_ELEMENTS with an empty queue")
		}
		size := len(r.queue[0])
		var n int
		var body []byte
		for len(r.queue) > 0 && len(r.queue[0]) == size && len(body)+size <= 253 {
			body = append(body, r.queue[0]...)
			r.queue = r.queue[1:]
			n++
		}
		return append([]byte{byte(n), byte(size)}, body...)
	}
	r.t.Fatalf("unknown client command %x", req)
	return nil
}

// walletAddress runs GET_WALLET_ADDRESS to the end and returns the address
// and final SW.
func walletAddress(c *tcpClient, r *responder, p policy.Policy, hmac []byte, display bool, change byte, index uint32) (string, uint16) {
	c.t.Helper()
	id, err := p.ID()
	if err != nil {
		c.t.Fatal(err)
	}
	d := []byte{0}
	if display {
		d[0] = 1
	}
	d = append(d, id[:]...)
	if hmac == nil {
		hmac = make([]byte, 32)
	}
	d = append(d, hmac...)
	d = binary.BigEndian.AppendUint32(append(d, change), index)
	data, sw := c.send(cmd(0xE1, 0x03, 0, 1, d))
	for sw == SWInterruptedExec {
		data, sw = c.send(cmd(0xF8, 0x01, 0, 1, r.answer(data)))
	}
	return string(data), sw
}

const fpr = 0xf5acc2fd

func defaultPolicy(kind policy.Kind) policy.Policy {
	path := kind.AccountPath(1, 0)
	return policy.Default(kind, fpr, 1, 0, standardXpubs[formatPath(path)])
}

// Expected addresses for Speculos' default seed, from app-bitcoin-new
// tests/test_get_wallet_address.py (singlesig_legacy, singlesig_wit,
// singlesig_sh_wit, singlesig_taproot).
func TestGetWalletAddressDefaultPolicies(t *testing.T) {
	_, addr := startSim(t, Options{})
	c := dial(t, addr)
	for _, tc := range []struct {
		kind   policy.Kind
		change byte
		index  uint32
		want   string
	}{
		{policy.Legacy, 0, 0, "mz5vLWdM1wHVGSmXUkhKVvZbJ2g4epMXSm"},
		{policy.Legacy, 1, 15, "myFCUBRCKFjV7292HnZtiHqMzzHrApobpT"},
		{policy.NativeSegwit, 0, 0, "tb1qzdr7s2sr0dwmkwx033r4nujzk86u0cy6fmzfjk"},
		{policy.NativeSegwit, 1, 15, "tb1qlrvzyx8jcjfj2xuy69du9trtxnsvjuped7e289"},
		{policy.NestedSegwit, 0, 0, "2MyHkbusvLomaarGYMqyq7q9pSBYJRwWcsw"},
		{policy.NestedSegwit, 1, 15, "2NAbM4FSeBQG4o85kbXw2YNfKypcnEZS9MR"},
		{policy.Taproot, 0, 0, "tb1pws8wvnj99ca6acf8kq7pjk7vyxknah0d9mexckh5s0vu2ccy68js9am6u7"},
		{policy.Taproot, 0, 9, "tb1psl7eyk2jyjzq6evqvan854fts7a5j65rth25yqahkd2a765yvj0qggs5ne"},
		{policy.Taproot, 1, 0, "tb1pmr60r5vfjmdkrwcu4a2z8h39mzs7a6wf2rfhuml6qgcp940x9cxs7t9pdy"},
		{policy.Taproot, 1, 9, "tb1p98d6s9jkf0la8ras4nnm72zme5r03fexn29e3pgz4qksdy84ndpqgjak72"},
	} {
		for _, chunk := range []int{250, 7} {
			p := defaultPolicy(tc.kind)
			r := newResponder(t, p, chunk)
			got, sw := walletAddress(c, r, p, nil, false, tc.change, tc.index)
			wantSW(t, tc.kind.String(), sw, SWOK)
			if got != tc.want {
				t.Errorf("%s %d/%d: got %s, want %s", tc.kind, tc.change, tc.index, got, tc.want)
			}
			if chunk == 7 && !containsByte(r.asked, ccGetMoreElements) {
				t.Error("small chunks did not use GET_MORE_ELEMENTS")
			}
		}
	}
}

func containsByte(b []byte, x byte) bool {
	for _, y := range b {
		if y == x {
			return true
		}
	}
	return false
}

func TestGetWalletAddressFailures(t *testing.T) {
	d, addr := startSim(t, Options{})
	c := dial(t, addr)
	good := defaultPolicy(policy.NativeSegwit)

	check := func(name string, p policy.Policy, hmac []byte, change byte, index uint32, want uint16) {
		t.Helper()
		r := newResponder(t, p, 250)
		got, sw := walletAddress(c, r, p, hmac, false, change, index)
		wantSW(t, name, sw, want)
		if want != SWOK && got != "" {
			t.Errorf("%s: data %q with an error", name, got)
		}
	}
	named := good
	named.Name = "Not empty"
	check("named default policy", named, nil, 0, 0, SWIncorrectData)
	check("index above 50000", good, nil, 0, 50001, SWIncorrectData)
	check("index 50000", good, nil, 0, 50000, SWOK)
	check("hardened index", good, nil, 0, h, SWIncorrectData)
	check("change 2", good, nil, 2, 0, SWIncorrectData)
	two := good
	two.Keys = []string{good.Keys[0], good.Keys[0]}
	check("two keys", two, nil, 0, 0, SWIncorrectData)
	wrongPurpose := policy.Default(policy.NativeSegwit, fpr, 1, 0, standardXpubs["m/49'/1'/0'"])
	wrongPurpose.Keys = []string{policy.KeyString(fpr, []uint32{h + 49, h + 1, h}, standardXpubs["m/49'/1'/0'"])}
	check("wpkh with a 49' key", wrongPurpose, nil, 0, 0, SWIncorrectData)
	foreign := good
	foreign.Keys = []string{policy.KeyString(0x12345678, []uint32{h + 84, h + 1, h}, standardXpubs["m/84'/1'/0'"])}
	check("other fingerprint", foreign, nil, 0, 0, SWIncorrectData)
	wrongKey := good
	wrongKey.Keys = []string{policy.KeyString(fpr, []uint32{h + 84, h + 1, h}, standardXpubs["m/49'/1'/0'"])}
	check("xpub not the device's", wrongKey, nil, 0, 0, SWIncorrectData)
	wsh := policy.Policy{Template: "wsh(pk(@0/**))", Keys: good.Keys}
	check("non-default template", wsh, nil, 0, 0, SWIncorrectData)
	hmac := make([]byte, 32)
	hmac[31] = 1
	check("unknown HMAC", good, hmac, 0, 0, SWSignatureFail)
	long := policy.Policy{Template: "wpkh(@0/<0;1>/*)", Keys: good.Keys}
	check("long form of /**", long, nil, 1, 15, SWOK)

	// A bad preimage from the client.
	id, _ := good.ID()
	req := append([]byte{0}, id[:]...)
	req = append(append(req, make([]byte, 32)...), 0, 0, 0, 0, 0)
	data, sw := c.send(cmd(0xE1, 0x03, 0, 1, req))
	wantSW(t, "first request", sw, SWInterruptedExec)
	if data[0] != ccGetPreimage {
		t.Fatalf("first request %x", data)
	}
	_, sw = c.send(cmd(0xF8, 0x01, 0, 1, []byte{3, 3, 'a', 'b', 'c'}))
	wantSW(t, "wrong preimage", sw, SWIncorrectData)

	// Another command while the device waits for a CONTINUE abandons it.
	_, sw = c.send(cmd(0xE1, 0x03, 0, 1, req))
	wantSW(t, "first request", sw, SWInterruptedExec)
	_, sw = c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "interrupting command", sw, SWIncorrectData)
	_, sw = c.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "next command", sw, SWOK)

	// Short data.
	_, sw = c.send(cmd(0xE1, 0x03, 0, 1, req[:40]))
	wantSW(t, "short data", sw, SWWrongDataLength)

	// Display, refused.
	d.SetFaults(Faults{RejectNext: true})
	r := newResponder(t, good, 250)
	_, sw = walletAddress(c, r, good, nil, true, 0, 0)
	wantSW(t, "display refused", sw, SWDeny)
	r = newResponder(t, good, 250)
	got, sw := walletAddress(c, r, good, nil, true, 0, 0)
	wantSW(t, "display accepted", sw, SWOK)
	if got != "tb1qzdr7s2sr0dwmkwx033r4nujzk86u0cy6fmzfjk" {
		t.Errorf("display address %s", got)
	}

	// A connection lost mid-command leaves the device ready for the next.
	// (Connections are served one at a time: close the first.)
	c.conn.Close()
	c2 := dial(t, addr)
	_, sw = c2.send(cmd(0xE1, 0x03, 0, 1, req))
	wantSW(t, "first request", sw, SWInterruptedExec)
	c2.conn.Close()
	c3 := dial(t, addr)
	_, sw = c3.send(cmd(0xE1, 0x05, 0, 1, nil))
	wantSW(t, "after a lost connection", sw, SWOK)
}

// The device checks proofs that span GET_MORE_ELEMENTS, on a tree of many
// leaves, and refuses a wrong one.
func TestMerkleLeafProof(t *testing.T) {
	d, _, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	var elems [][]byte
	for i := 0; i < 300; i++ {
		elems = append(elems, []byte{byte(i), byte(i >> 8), 'k'})
	}
	tree := merkle.FromElements(elems)
	for _, index := range []int{0, 1, 150, 299} {
		for _, corrupt := range []bool{false, true} {
			r := &responder{t: t, preimages: map[[32]byte][]byte{}, trees: map[merkle.Hash]*merkle.Tree{tree.Root(): tree}, chunk: 250}
			for _, e := range elems {
				r.add(append([]byte{0}, e...))
			}
			var got []byte
			var gotErr error
			h := func(c *call, _ byte, _ []byte) []byte {
				got, gotErr = c.getMerkleLeafElement(tree.Root(), tree.Len(), index)
				return sw(SWOK)
			}
			d.mu.Lock()
			resp := d.start(1, nil, h)
			for len(resp) >= 2 && resp[len(resp)-2] == 0xE0 {
				a := r.answer(resp[:len(resp)-2])
				if corrupt && resp[0] == ccGetMoreElements {
					a[len(a)-1] ^= 1
				}
				resp = d.resume(a)
			}
			d.mu.Unlock()
			if corrupt && merkle.ProofLen(tree.Len(), index) > 6 {
				if gotErr == nil {
					t.Errorf("index %d: corrupted proof accepted", index)
				}
				continue
			}
			if corrupt {
				continue // nothing went through GET_MORE_ELEMENTS to corrupt
			}
			if gotErr != nil || string(got) != string(elems[index]) {
				t.Errorf("index %d: got %x, %v", index, got, gotErr)
			}
			if !containsByte(r.asked, ccGetMoreElements) && merkle.ProofLen(tree.Len(), index) > 6 {
				t.Errorf("index %d: proof did not use GET_MORE_ELEMENTS", index)
			}
		}
	}
}
