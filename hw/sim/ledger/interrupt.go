package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// Client commands: what the device may ask the client in the data of a
// 0xE000 (interrupted execution) response. The client answers with
// CONTINUE, F8 01 00 01 Lc <reply>. See app-bitcoin-new doc/bitcoin.md and
// src/handler/lib/get_preimage.c, get_merkle_leaf_hash.c.
//
//	| code | request after the code byte      | reply                                  |
//	|------|----------------------------------|----------------------------------------|
//	| 0x40 | GET_PREIMAGE: 0x00, hash(32)     | varint(len) n(1) first n bytes         |
//	| 0x41 | GET_MERKLE_LEAF_PROOF: root(32)  | leaf_hash(32) proof_len(1) n(1) n×32   |
//	|      |   varint(size) varint(index)     |                                        |
//	| 0x42 | GET_MERKLE_LEAF_INDEX: root(32)  | found(1) varint(index)                 |
//	|      |   leaf_hash(32)                  |                                        |
//	| 0xA0 | GET_MORE_ELEMENTS: nothing       | n(1) size(1) n×size                    |
//
// The rest of a preimage comes as 1-byte elements and the rest of a proof
// as 32-byte elements, through GET_MORE_ELEMENTS. Every preimage is checked
// against its hash and every proof against its root.
const (
	ccGetPreimage       = 0x40
	ccGetMerkleLeafProf = 0x41
	ccGetMerkleLeafIdx  = 0x42
	ccGetMoreElements   = 0xA0
)

// maxPreimage bounds what the device accepts as one preimage (the app's
// largest buffers are a few hundred bytes).
const maxPreimage = 1024

// errAborted ends a command whose exchange was cut short (another APDU
// than CONTINUE, a lost connection, Close).
var errAborted = errors.New("ledger sim: command aborted")

// errClient reports a malformed or inconsistent client reply.
var errClient = errors.New("ledger sim: bad client reply")

// call is one command that may interrupt itself to ask the client for data.
// Its handler runs on its own goroutine and hands control back and forth
// with Exchange through channels, so only one side runs at a time.
type call struct {
	in    chan []byte   // CONTINUE data, Exchange -> handler
	out   chan []byte   // responses (data||SW), handler -> Exchange
	abort chan struct{} // closed when the command is abandoned
}

// handler is a command that can ask the client for data through c.
type handler func(c *call, p2 byte, data []byte) []byte

// start runs h for one APDU and returns its first response: the final
// answer, or a 0xE000 request, in which case the command stays pending.
func (d *Device) start(p2 byte, data []byte, h handler) []byte {
	c := &call{in: make(chan []byte), out: make(chan []byte), abort: make(chan struct{})}
	data = bytes.Clone(data)
	go func() {
		var resp []byte
		defer func() {
			// A bug in a handler must not hang Exchange: answer "bad state".
			if recover() != nil {
				resp = sw(SWBadState)
			}
			select {
			case c.out <- resp:
			case <-c.abort:
			}
		}()
		resp = h(c, p2, data)
	}()
	return d.await(c)
}

// resume hands the data of a CONTINUE to the pending command.
func (d *Device) resume(data []byte) []byte {
	c := d.pending
	c.in <- bytes.Clone(data)
	return d.await(c)
}

func (d *Device) await(c *call) []byte {
	resp := <-c.out
	n := len(resp)
	if n >= 2 && binary.BigEndian.Uint16(resp[n-2:]) == SWInterruptedExec {
		d.pending = c
	} else {
		d.pending = nil
	}
	return resp
}

// abortPending abandons the command waiting for a CONTINUE, if any.
func (d *Device) abortPending() {
	if d.pending != nil {
		close(d.pending.abort)
		d.pending = nil
	}
}

// ask sends a client command and waits for the client's reply.
func (c *call) ask(req []byte) ([]byte, error) {
	select {
	case c.out <- withSW(bytes.Clone(req), SWInterruptedExec):
	case <-c.abort:
		return nil, errAborted
	}
	select {
	case reply := <-c.in:
		return reply, nil
	case <-c.abort:
		return nil, errAborted
	}
}

// reader walks a client reply.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// varint reads a Bitcoin CompactSize.
func (r *reader) varint() uint64 {
	switch p := r.u8(); p {
	case 0xFD:
		if b := r.bytes(2); b != nil {
			return uint64(binary.LittleEndian.Uint16(b))
		}
	case 0xFE:
		if b := r.bytes(4); b != nil {
			return uint64(binary.LittleEndian.Uint32(b))
		}
	case 0xFF:
		if b := r.bytes(8); b != nil {
			return binary.LittleEndian.Uint64(b)
		}
	default:
		return uint64(p)
	}
	return 0
}

// appendVarint appends v as a Bitcoin CompactSize.
func appendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 0xFD:
		return append(b, byte(v))
	case v <= 0xFFFF:
		return binary.LittleEndian.AppendUint16(append(b, 0xFD), uint16(v))
	case v <= 0xFFFFFFFF:
		return binary.LittleEndian.AppendUint32(append(b, 0xFE), uint32(v))
	default:
		return binary.LittleEndian.AppendUint64(append(b, 0xFF), v)
	}
}

// moreElements asks GET_MORE_ELEMENTS and returns the elements, which must
// each be size bytes long, and at most max of them.
func (c *call) moreElements(size, max int) ([][]byte, error) {
	reply, err := c.ask([]byte{ccGetMoreElements})
	if err != nil {
		return nil, err
	}
	r := &reader{b: reply}
	n, sz := int(r.u8()), int(r.u8())
	raw := r.bytes(n * sz)
	if r.bad || sz != size || n == 0 || n > max {
		return nil, fmt.Errorf("%w: GET_MORE_ELEMENTS", errClient)
	}
	out := make([][]byte, n)
	for i := range out {
		out[i] = raw[i*sz : (i+1)*sz]
	}
	return out, nil
}

// getPreimage asks for the bytes whose SHA-256 is hash and checks them.
func (c *call) getPreimage(hash [32]byte) ([]byte, error) {
	return c.getPreimageMax(hash, maxPreimage)
}

// getPreimageMax is getPreimage for preimages of up to limit bytes.
func (c *call) getPreimageMax(hash [32]byte, limit uint64) ([]byte, error) {
	reply, err := c.ask(append([]byte{ccGetPreimage, 0x00}, hash[:]...))
	if err != nil {
		return nil, err
	}
	r := &reader{b: reply}
	total := r.varint()
	first := r.bytes(int(r.u8()))
	if r.bad || total > limit || uint64(len(first)) > total {
		return nil, fmt.Errorf("%w: GET_PREIMAGE", errClient)
	}
	out := append(make([]byte, 0, total), first...)
	for uint64(len(out)) < total {
		more, err := c.moreElements(1, int(total)-len(out))
		if err != nil {
			return nil, err
		}
		for _, e := range more {
			out = append(out, e[0])
		}
	}
	if sha256.Sum256(out) != hash {
		return nil, fmt.Errorf("%w: preimage does not match its hash", errClient)
	}
	return out, nil
}

// getMerkleLeafHash asks for the hash of leaf index in the tree of size
// leaves with the given root, with its proof, and checks the proof.
func (c *call) getMerkleLeafHash(root merkle.Hash, size, index int) (merkle.Hash, error) {
	req := append([]byte{ccGetMerkleLeafProf}, root[:]...)
	req = appendVarint(req, uint64(size))
	req = appendVarint(req, uint64(index))
	reply, err := c.ask(req)
	if err != nil {
		return merkle.Hash{}, err
	}
	r := &reader{b: reply}
	var leaf merkle.Hash
	copy(leaf[:], r.bytes(32))
	proofLen, n := int(r.u8()), int(r.u8())
	raw := r.bytes(32 * n)
	if r.bad || n > proofLen || proofLen != merkle.ProofLen(size, index) {
		return merkle.Hash{}, fmt.Errorf("%w: GET_MERKLE_LEAF_PROOF", errClient)
	}
	proof := make([]merkle.Hash, 0, proofLen)
	for i := 0; i < n; i++ {
		proof = append(proof, merkle.Hash(raw[32*i:32*(i+1)]))
	}
	for len(proof) < proofLen {
		more, err := c.moreElements(32, proofLen-len(proof))
		if err != nil {
			return merkle.Hash{}, err
		}
		for _, e := range more {
			proof = append(proof, merkle.Hash(e))
		}
	}
	if !merkle.Verify(root, size, index, leaf, proof) {
		return merkle.Hash{}, fmt.Errorf("%w: Merkle proof does not match the root", errClient)
	}
	return leaf, nil
}

// getMerkleLeafElement returns element index of the committed list: its
// leaf hash by proof, then the leaf's preimage 0x00||element.
func (c *call) getMerkleLeafElement(root merkle.Hash, size, index int) ([]byte, error) {
	return c.getMerkleLeafElementMax(root, size, index, maxPreimage)
}

// getMerkleLeafElementMax is getMerkleLeafElement for elements of up to
// limit-1 bytes.
func (c *call) getMerkleLeafElementMax(root merkle.Hash, size, index int, limit uint64) ([]byte, error) {
	leaf, err := c.getMerkleLeafHash(root, size, index)
	if err != nil {
		return nil, err
	}
	pre, err := c.getPreimageMax(leaf, limit)
	if err != nil {
		return nil, err
	}
	if len(pre) == 0 || pre[0] != 0x00 {
		return nil, fmt.Errorf("%w: leaf preimage without the 0x00 prefix", errClient)
	}
	return pre[1:], nil
}

// getMerkleLeafIndex asks for the index of leaf in the tree of size leaves
// with the given root, then checks the answer by asking for that leaf's
// proof (the client's word alone proves nothing). found is false when the
// client says the leaf is not in the tree.
func (c *call) getMerkleLeafIndex(root merkle.Hash, size int, leaf merkle.Hash) (index int, found bool, err error) {
	req := append([]byte{ccGetMerkleLeafIdx}, root[:]...)
	reply, err := c.ask(append(req, leaf[:]...))
	if err != nil {
		return 0, false, err
	}
	r := &reader{b: reply}
	ok := r.u8()
	idx := r.varint()
	if r.bad || len(r.b) != 0 || ok > 1 {
		return 0, false, fmt.Errorf("%w: GET_MERKLE_LEAF_INDEX", errClient)
	}
	if ok == 0 {
		return 0, false, nil
	}
	if idx >= uint64(size) {
		return 0, false, fmt.Errorf("%w: leaf index out of range", errClient)
	}
	got, err := c.getMerkleLeafHash(root, size, int(idx))
	if err != nil {
		return 0, false, err
	}
	if got != leaf {
		return 0, false, fmt.Errorf("%w: leaf index points at another leaf", errClient)
	}
	return int(idx), true, nil
}
