package btcapp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// Client command codes: the first byte of the data of a 0xE000 response.
const (
	CmdYield              = 0x10
	CmdGetPreimage        = 0x40
	CmdGetMerkleLeafProof = 0x41
	CmdGetMerkleLeafIndex = 0x42
	CmdGetMoreElements    = 0xA0
)

// Reply size limits: every reply travels in one CONTINUE APDU.
const (
	maxReply         = 255
	maxProofInReply  = (maxReply - 32 - 1 - 1) / 32 // 6 hashes
	maxMoreElemsData = 253
)

// ErrClientCommand reports a client command the interpreter cannot answer:
// unknown code, malformed request, unknown hash or root, or a queue misuse.
var ErrClientCommand = errors.New("btcapp: bad client command")

func ccErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrClientCommand, fmt.Sprintf(format, args...))
}

// Interpreter answers the device's client commands from data made known
// before the command starts: preimages by SHA-256, and Merkle trees by root.
// It keeps the queue that GET_MORE_ELEMENTS drains and the YIELDed values.
// Use one Interpreter per top-level command; it is not safe for concurrent
// use.
//
// Request and reply layouts, after the 1-byte command code:
//
//	YIELD              request: payload                       reply: empty
//	GET_PREIMAGE       request: 0x00 | hash(32)
//	                   reply:   varint(len) | b(1) | first b bytes; the rest is
//	                            queued one byte per element
//	GET_MERKLE_LEAF_PROOF
//	                   request: root(32) | varint(size) | varint(index)
//	                   reply:   leaf_hash(32) | proof_len(1) | p(1) | p × 32;
//	                            the rest of the proof is queued, 32 bytes each
//	GET_MERKLE_LEAF_INDEX
//	                   request: root(32) | leaf_hash(32)
//	                   reply:   found(1) | varint(index) (0 when not found)
//	GET_MORE_ELEMENTS  request: empty
//	                   reply:   n(1) | size(1) | n × size bytes from the queue,
//	                            at most 253 bytes of elements
type Interpreter struct {
	preimages map[merkle.Hash][]byte
	trees     map[merkle.Hash]*merkle.Tree
	queue     [][]byte
	yielded   [][]byte
}

// NewInterpreter returns an empty interpreter.
func NewInterpreter() *Interpreter {
	return &Interpreter{preimages: map[merkle.Hash][]byte{}, trees: map[merkle.Hash]*merkle.Tree{}}
}

// AddPreimage makes b known under SHA-256(b).
func (in *Interpreter) AddPreimage(b []byte) {
	in.preimages[sha256.Sum256(b)] = b
}

// AddList makes a Merkleized list known: its tree, by root, and each leaf
// preimage 0x00 || element. It returns the root.
func (in *Interpreter) AddList(elements [][]byte) merkle.Hash {
	for _, e := range elements {
		in.AddPreimage(append([]byte{0x00}, e...))
	}
	t := merkle.FromElements(elements)
	in.trees[t.Root()] = t
	return t.Root()
}

// AddMap makes a Merkleized map known: its key list and its value list.
func (in *Interpreter) AddMap(m *merkle.Map) {
	in.AddList(m.Keys())
	in.AddList(m.Values())
}

// Yielded returns the YIELD payloads received so far, in order, without
// the command code.
func (in *Interpreter) Yielded() [][]byte { return in.yielded }

// Execute answers one client command (the data of a 0xE000 response) and
// returns the reply to send with CONTINUE.
func (in *Interpreter) Execute(req []byte) ([]byte, error) {
	if len(req) == 0 {
		return nil, ccErr("empty request")
	}
	body := req[1:]
	switch req[0] {
	case CmdYield:
		in.yielded = append(in.yielded, bytes.Clone(body))
		return []byte{}, nil
	case CmdGetPreimage:
		return in.getPreimage(body)
	case CmdGetMerkleLeafProof:
		return in.getLeafProof(body)
	case CmdGetMerkleLeafIndex:
		return in.getLeafIndex(body)
	case CmdGetMoreElements:
		return in.getMoreElements(body)
	default:
		return nil, ccErr("unknown command 0x%02X", req[0])
	}
}

func (in *Interpreter) getPreimage(body []byte) ([]byte, error) {
	if len(body) != 33 || body[0] != 0 {
		return nil, ccErr("GET_PREIMAGE: malformed request")
	}
	h := merkle.Hash(body[1:])
	pre, ok := in.preimages[h]
	if !ok {
		return nil, ccErr("GET_PREIMAGE: unknown hash %s", h)
	}
	out := varint.Append(nil, uint64(len(pre)))
	n := min(len(pre), maxReply-len(out)-1)
	out = append(out, byte(n))
	out = append(out, pre[:n]...)
	for i := n; i < len(pre); i++ {
		in.queue = append(in.queue, pre[i:i+1])
	}
	return out, nil
}

func (in *Interpreter) getLeafProof(body []byte) ([]byte, error) {
	if len(body) < 32 {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: malformed request")
	}
	root := merkle.Hash(body[:32])
	size, n1, err := varint.Read(body[32:])
	if err != nil {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: size: %v", err)
	}
	index, n2, err := varint.Read(body[32+n1:])
	if err != nil || 32+n1+n2 != len(body) {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: malformed request")
	}
	t, ok := in.trees[root]
	if !ok {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: unknown root %s", root)
	}
	if size != uint64(t.Len()) || index >= size {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: index %d of %d, tree has %d leaves", index, size, t.Len())
	}
	if len(in.queue) != 0 {
		return nil, ccErr("GET_MERKLE_LEAF_PROOF: queue not empty")
	}
	leaf, _ := t.Leaf(int(index))
	proof, _ := t.Proof(int(index))
	p := min(len(proof), maxProofInReply)
	out := make([]byte, 0, 34+32*p)
	out = append(out, leaf[:]...)
	out = append(out, byte(len(proof)), byte(p))
	for _, h := range proof[:p] {
		out = append(out, h[:]...)
	}
	for _, h := range proof[p:] {
		in.queue = append(in.queue, bytes.Clone(h[:]))
	}
	return out, nil
}

func (in *Interpreter) getLeafIndex(body []byte) ([]byte, error) {
	if len(body) != 64 {
		return nil, ccErr("GET_MERKLE_LEAF_INDEX: malformed request")
	}
	root, leaf := merkle.Hash(body[:32]), merkle.Hash(body[32:])
	t, ok := in.trees[root]
	if !ok {
		return nil, ccErr("GET_MERKLE_LEAF_INDEX: unknown root %s", root)
	}
	i, found := t.Index(leaf)
	if !found {
		return []byte{0, 0}, nil
	}
	return varint.Append([]byte{1}, uint64(i)), nil
}

func (in *Interpreter) getMoreElements(body []byte) ([]byte, error) {
	if len(body) != 0 {
		return nil, ccErr("GET_MORE_ELEMENTS: malformed request")
	}
	if len(in.queue) == 0 {
		return nil, ccErr("GET_MORE_ELEMENTS: queue empty")
	}
	size := len(in.queue[0])
	for _, e := range in.queue {
		if len(e) != size {
			return nil, ccErr("GET_MORE_ELEMENTS: queued elements of different sizes")
		}
	}
	out := []byte{0, byte(size)}
	n := 0
	for len(in.queue) > 0 && n*size+size <= maxMoreElemsData {
		out = append(out, in.queue[0]...)
		in.queue = in.queue[1:]
		n++
	}
	out[0] = byte(n)
	return out, nil
}
