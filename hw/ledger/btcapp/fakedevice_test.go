package btcapp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/apdu"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// fakeDevice is a scripted device. For each top-level command it runs
// script in a goroutine; the script asks client commands through dev.ask,
// which turns each request into a 0xE000 response and waits for the next
// CONTINUE. Each request is built byte by byte from the protocol
// documentation, and every answer is checked like the app checks it.
type fakeDevice struct {
	script func(d *dev, cmd apdu.Command) ([]byte, uint16)

	mu   sync.Mutex
	cur  *dev
	log  [][]byte // every APDU received
	errs []error  // protocol violations seen by scripts
}

type dev struct {
	asks    chan []byte // device -> client: request (data of an E000 response)
	replies chan []byte // client -> device: CONTINUE data
	final   chan []byte // final response data||SW
	failed  error
}

func (f *fakeDevice) Exchange(ctx context.Context, command []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, bytes.Clone(command))
	c, err := apdu.DecodeCommand(command)
	if err != nil {
		return nil, err
	}
	if f.cur == nil {
		d := &dev{asks: make(chan []byte), replies: make(chan []byte), final: make(chan []byte, 1)}
		f.cur = d
		go func() {
			defer func() {
				if r := recover(); r != nil {
					if e, ok := r.(devAbort); ok {
						d.final <- apdu.EncodeResponse(nil, 0x6A80)
						d.failed = e.err
						return
					}
					panic(r)
				}
			}()
			data, sw := f.script(d, c)
			d.final <- apdu.EncodeResponse(data, sw)
		}()
	} else {
		if c.CLA != CLAFramework || c.INS != INSContinue || c.P2 != 1 {
			return apdu.EncodeResponse(nil, 0x6D00), nil
		}
		f.cur.replies <- c.Data
	}
	d := f.cur
	select {
	case req := <-d.asks:
		return apdu.EncodeResponse(req, apdu.SWInterrupted), nil
	case resp := <-d.final:
		f.cur = nil
		if d.failed != nil {
			f.errs = append(f.errs, d.failed)
		}
		return resp, nil
	}
}

type devAbort struct{ err error }

func (d *dev) fail(format string, args ...any) {
	panic(devAbort{fmt.Errorf(format, args...)})
}

func (d *dev) ask(req []byte) []byte {
	d.asks <- req
	return <-d.replies
}

// moreElements drains n elements of the given size with GET_MORE_ELEMENTS.
func (d *dev) moreElements(n, size int) []byte {
	var out []byte
	for n > 0 {
		r := d.ask([]byte{CmdGetMoreElements})
		if len(r) < 2 || int(r[1]) != size || int(r[0]) > n || len(r) != 2+int(r[0])*size || r[0] == 0 {
			d.fail("bad GET_MORE_ELEMENTS reply %x", r)
		}
		out = append(out, r[2:]...)
		n -= int(r[0])
	}
	return out
}

// preimage asks for the preimage of h and checks it.
func (d *dev) preimage(h merkle.Hash) []byte {
	r := d.ask(append([]byte{CmdGetPreimage, 0x00}, h[:]...))
	total, n, err := varint.Read(r)
	if err != nil || len(r) < n+1 || len(r) != n+1+int(r[n]) {
		d.fail("bad GET_PREIMAGE reply %x", r)
	}
	got := bytes.Clone(r[n+1:])
	if uint64(len(got)) < total {
		got = append(got, d.moreElements(int(total)-len(got), 1)...)
	}
	if sha256.Sum256(got) != h {
		d.fail("preimage does not match its hash")
	}
	return got
}

// leafHash asks for leaf index of the tree (root, size) and checks the
// proof.
func (d *dev) leafHash(root merkle.Hash, size, index int) merkle.Hash {
	req := append([]byte{CmdGetMerkleLeafProof}, root[:]...)
	req = varint.Append(req, uint64(size))
	req = varint.Append(req, uint64(index))
	r := d.ask(req)
	if len(r) < 34 || len(r) != 34+32*int(r[33]) || r[33] > r[32] {
		d.fail("bad GET_MERKLE_LEAF_PROOF reply")
	}
	leaf := merkle.Hash(r[:32])
	flat := bytes.Clone(r[34:])
	if rest := int(r[32]) - int(r[33]); rest > 0 {
		flat = append(flat, d.moreElements(rest, 32)...)
	}
	proof := make([]merkle.Hash, len(flat)/32)
	for i := range proof {
		proof[i] = merkle.Hash(flat[32*i:])
	}
	if !merkle.Verify(root, size, index, leaf, proof) {
		d.fail("bad Merkle proof for leaf %d of %d", index, size)
	}
	return leaf
}

// element fetches the element at index of the list (root, size).
func (d *dev) element(root merkle.Hash, size, index int) []byte {
	p := d.preimage(d.leafHash(root, size, index))
	if len(p) == 0 || p[0] != 0x00 {
		d.fail("leaf preimage without 0x00 prefix")
	}
	return p[1:]
}

// mapValue reads key from a Merkleized map given by its commitment.
func (d *dev) mapValue(commitment []byte, key []byte) ([]byte, bool) {
	size, kr, vr, _, err := merkle.ParseCommitment(commitment)
	if err != nil {
		d.fail("bad commitment")
	}
	lh := merkle.LeafHash(key)
	r := d.ask(append(append([]byte{CmdGetMerkleLeafIndex}, kr[:]...), lh[:]...))
	if len(r) < 2 || r[0] > 1 {
		d.fail("bad GET_MERKLE_LEAF_INDEX reply %x", r)
	}
	if r[0] == 0 {
		return nil, false
	}
	idx, _, err := varint.Read(r[1:])
	if err != nil || idx >= size {
		d.fail("bad leaf index")
	}
	if d.leafHash(kr, int(size), int(idx)) != lh {
		d.fail("leaf index answer does not match the proof")
	}
	return d.element(vr, int(size), int(idx)), true
}
