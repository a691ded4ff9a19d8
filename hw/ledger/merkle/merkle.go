// Package merkle implements the Merkle trees and Merkleized maps of the
// Ledger Bitcoin app (protocol v2). The client uses them to commit to data
// (PSBT maps, wallet keys) that the device then reads piece by piece, checking
// every piece against the commitment; the device simulator uses the same code
// to check what the client sends.
//
// # Tree shape
//
// The tree over n leaf hashes is defined recursively:
//
//	n = 0:  root = 32 zero bytes
//	n = 1:  root = the leaf hash itself
//	n > 1:  k = largest power of two strictly less than n;
//	        root = H(0x01 || root(leaves[0:k]) || root(leaves[k:n]))
//
// where H is SHA-256. A leaf hash commits to an element x as H(0x00 || x);
// the distinct prefixes keep leaves and inner nodes apart.
//
// # Proofs
//
// A proof for leaf i is the list of sibling hashes from the leaf up to the
// root (the leaf's sibling first). Whether each sibling sits left or right
// follows from (size, index) alone, so a proof carries no direction bits.
//
// # Merkleized maps
//
// A map of byte-string keys to byte-string values is committed as
//
//	| size  | field                                       |
//	|-------|---------------------------------------------|
//	| 1-9   | varint(n), number of pairs                  |
//	| 32    | root of the tree over H(0x00||key), sorted  |
//	| 32    | root of the tree over H(0x00||value), same order |
//
// Keys are sorted by byte order and must be distinct.
package merkle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/internal/varint"
)

// HashSize is the size in bytes of every hash in this package.
const HashSize = sha256.Size

// Hash is a SHA-256 digest: a leaf hash, an inner node or a root.
type Hash [HashSize]byte

// Nil is the root of the empty tree: 32 zero bytes.
var Nil Hash

// String returns the hash in lowercase hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Errors returned by this package.
var (
	// ErrIndex reports a leaf index outside the tree.
	ErrIndex = errors.New("merkle: leaf index out of range")
	// ErrDuplicateKey reports a map with the same key twice.
	ErrDuplicateKey = errors.New("merkle: duplicate map key")
)

// LeafHash returns H(0x00 || element), the hash under which an element is
// stored in a tree.
func LeafHash(element []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0x00})
	h.Write(element)
	var out Hash
	h.Sum(out[:0])
	return out
}

// NodeHash returns H(0x01 || left || right), the hash of an inner node.
func NodeHash(left, right Hash) Hash {
	var buf [1 + 2*HashSize]byte
	buf[0] = 0x01
	copy(buf[1:], left[:])
	copy(buf[1+HashSize:], right[:])
	return sha256.Sum256(buf[:])
}

// Split returns the number of leaves in the left subtree of a tree with n
// leaves: the largest power of two strictly less than n. It panics if n < 2.
func Split(n int) int {
	if n < 2 {
		panic("merkle: Split needs at least two leaves")
	}
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// node is one node of a built tree; leaves have no children.
type node struct {
	hash        Hash
	left, right *node
}

func build(leaves []Hash) *node {
	if len(leaves) == 1 {
		return &node{hash: leaves[0]}
	}
	k := Split(len(leaves))
	l, r := build(leaves[:k]), build(leaves[k:])
	return &node{hash: NodeHash(l.hash, r.hash), left: l, right: r}
}

// Tree is an immutable Merkle tree over a list of leaf hashes. Building it
// costs n-1 hashes; roots, proofs and lookups after that are cheap. A Tree is
// safe for concurrent use.
type Tree struct {
	leaves []Hash
	root   *node
	index  map[Hash]int
}

// New builds the tree over the given leaf hashes (already H(0x00||x)). The
// slice is copied.
func New(leaves []Hash) *Tree {
	t := &Tree{leaves: slices.Clone(leaves), index: make(map[Hash]int, len(leaves))}
	for i, l := range t.leaves {
		if _, dup := t.index[l]; !dup {
			t.index[l] = i
		}
	}
	if len(t.leaves) > 0 {
		t.root = build(t.leaves)
	}
	return t
}

// FromElements builds the tree whose leaves are LeafHash(e) for each element.
func FromElements(elements [][]byte) *Tree {
	leaves := make([]Hash, len(elements))
	for i, e := range elements {
		leaves[i] = LeafHash(e)
	}
	return New(leaves)
}

// Len returns the number of leaves.
func (t *Tree) Len() int { return len(t.leaves) }

// Root returns the root hash; Nil for an empty tree.
func (t *Tree) Root() Hash {
	if t.root == nil {
		return Nil
	}
	return t.root.hash
}

// Leaf returns the leaf hash at index i.
func (t *Tree) Leaf(i int) (Hash, error) {
	if i < 0 || i >= len(t.leaves) {
		return Hash{}, ErrIndex
	}
	return t.leaves[i], nil
}

// Index returns the index of the first leaf equal to leaf, and whether there
// is one.
func (t *Tree) Index(leaf Hash) (int, bool) {
	i, ok := t.index[leaf]
	return i, ok
}

// Proof returns the sibling hashes from leaf i up to the root, the leaf's
// sibling first. A tree of one leaf has an empty proof.
func (t *Tree) Proof(i int) ([]Hash, error) {
	if i < 0 || i >= len(t.leaves) {
		return nil, ErrIndex
	}
	var rev []Hash // siblings from the root down
	n, size, idx := t.root, len(t.leaves), i
	for size > 1 {
		k := Split(size)
		if idx < k {
			rev = append(rev, n.right.hash)
			n, size = n.left, k
		} else {
			rev = append(rev, n.left.hash)
			n, size, idx = n.right, size-k, idx-k
		}
	}
	slices.Reverse(rev)
	return rev, nil
}

// Root returns the root of the tree over leaves without keeping the tree.
func Root(leaves []Hash) Hash { return New(leaves).Root() }

// sides reports, from the leaf upward, whether the leaf at index is in the
// right subtree at each level of a tree of the given size.
func sides(size, index int) []bool {
	var down []bool
	for size > 1 {
		k := Split(size)
		if index >= k {
			down = append(down, true)
			size, index = size-k, index-k
		} else {
			down = append(down, false)
			size = k
		}
	}
	slices.Reverse(down)
	return down
}

// ProofLen returns the number of hashes in the proof of leaf index in a tree
// of size leaves, or -1 if index is out of range.
func ProofLen(size, index int) int {
	if index < 0 || index >= size {
		return -1
	}
	return len(sides(size, index))
}

// RootFromProof recomputes the root from a leaf hash and its proof (leaf's
// sibling first). It fails if index is out of range or the proof has the
// wrong length for (size, index).
func RootFromProof(size, index int, leaf Hash, proof []Hash) (Hash, error) {
	if index < 0 || index >= size {
		return Hash{}, ErrIndex
	}
	s := sides(size, index)
	if len(s) != len(proof) {
		return Hash{}, fmt.Errorf("merkle: proof has %d hashes, want %d", len(proof), len(s))
	}
	cur := leaf
	for i, right := range s {
		if right {
			cur = NodeHash(proof[i], cur)
		} else {
			cur = NodeHash(cur, proof[i])
		}
	}
	return cur, nil
}

// Verify reports whether proof shows that leaf is at index in the tree of
// the given size with the given root.
func Verify(root Hash, size, index int, leaf Hash, proof []Hash) bool {
	got, err := RootFromProof(size, index, leaf, proof)
	return err == nil && got == root
}

// Map is a Merkleized map: pairs sorted by key, with a tree over the keys
// and one over the values. Build it with NewMap; it is immutable.
type Map struct {
	keys, values [][]byte
	keyTree      *Tree
	valueTree    *Tree
}

// Pair is one key/value entry of a Map.
type Pair struct {
	Key, Value []byte
}

// NewMap sorts the pairs by key and builds both trees. It fails with
// ErrDuplicateKey if a key appears twice. Keys and values are not copied.
func NewMap(pairs []Pair) (*Map, error) {
	sorted := slices.Clone(pairs)
	slices.SortFunc(sorted, func(a, b Pair) int { return bytes.Compare(a.Key, b.Key) })
	m := &Map{keys: make([][]byte, len(sorted)), values: make([][]byte, len(sorted))}
	for i, p := range sorted {
		if i > 0 && bytes.Equal(p.Key, sorted[i-1].Key) {
			return nil, fmt.Errorf("%w: %x", ErrDuplicateKey, p.Key)
		}
		m.keys[i], m.values[i] = p.Key, p.Value
	}
	m.keyTree, m.valueTree = FromElements(m.keys), FromElements(m.values)
	return m, nil
}

// Len returns the number of pairs.
func (m *Map) Len() int { return len(m.keys) }

// Keys returns the sorted keys. The caller must not modify them.
func (m *Map) Keys() [][]byte { return m.keys }

// Values returns the values in key order. The caller must not modify them.
func (m *Map) Values() [][]byte { return m.values }

// KeyTree returns the tree over the sorted keys.
func (m *Map) KeyTree() *Tree { return m.keyTree }

// ValueTree returns the tree over the values in key order.
func (m *Map) ValueTree() *Tree { return m.valueTree }

// Get returns the value for key and whether the key is present.
func (m *Map) Get(key []byte) ([]byte, bool) {
	i, ok := slices.BinarySearchFunc(m.keys, key, bytes.Compare)
	if !ok {
		return nil, false
	}
	return m.values[i], true
}

// Commitment returns varint(n) || keys root || values root.
func (m *Map) Commitment() []byte {
	out := varint.Append(make([]byte, 0, 9+2*HashSize), uint64(len(m.keys)))
	kr, vr := m.keyTree.Root(), m.valueTree.Root()
	out = append(out, kr[:]...)
	return append(out, vr[:]...)
}

// ParseCommitment splits a map commitment into its size and two roots, and
// returns the number of bytes it took from the start of b.
func ParseCommitment(b []byte) (size uint64, keysRoot, valuesRoot Hash, n int, err error) {
	size, n, err = varint.Read(b)
	if err != nil {
		return 0, Hash{}, Hash{}, 0, fmt.Errorf("merkle: map commitment: %w", err)
	}
	if len(b) < n+2*HashSize {
		return 0, Hash{}, Hash{}, 0, errors.New("merkle: map commitment: truncated")
	}
	copy(keysRoot[:], b[n:])
	copy(valuesRoot[:], b[n+HashSize:])
	return size, keysRoot, valuesRoot, n + 2*HashSize, nil
}
