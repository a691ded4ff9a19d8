package merkle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// naiveRoot follows the recursive definition literally, finding the split
// by doubling, with no shared code with the package.
func naiveRoot(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return Hash{}
	case 1:
		return leaves[0]
	}
	k := 1
	for 2*k < len(leaves) {
		k *= 2
	}
	l, r := naiveRoot(leaves[:k]), naiveRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// naiveProof returns siblings leaf-first by recursion.
func naiveProof(leaves []Hash, i int) []Hash {
	if len(leaves) == 1 {
		return nil
	}
	k := 1
	for 2*k < len(leaves) {
		k *= 2
	}
	if i < k {
		return append(naiveProof(leaves[:k], i), naiveRoot(leaves[k:]))
	}
	return append(naiveProof(leaves[k:], i-k), naiveRoot(leaves[:k]))
}

func byteLeaves(n int) []Hash {
	out := make([]Hash, n)
	for i := range n {
		out[i] = sha256.Sum256([]byte{0x00, byte(i)})
	}
	return out
}

func mustHash(t *testing.T, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != HashSize {
		t.Fatalf("bad hex %q", s)
	}
	return Hash(b)
}

// Golden roots over the elements {0x00}, {0x01}, ..., {n-1}, each stored as
// LeafHash(element). Computed from the definition in the app's
// doc/merkle.md by a separate script, not by this package.
var goldenRoots = []struct {
	n    int
	root string
}{
	{0, "0000000000000000000000000000000000000000000000000000000000000000"},
	{1, "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"},
	{2, "a20bf9a7cc2dc8a08f5f415a71b19f6ac427bab54d24eec868b5d3103449953a"},
	{3, "3b6cccd7e3e023ff393006f030315ee7ad9eb111b022b41fba7e5b7a3973f688"},
	{5, "b855b42d6c30f5b087e05266783fbd6e394f7b926013ccaa67700a8b0c5a596f"},
	{7, "3560191803028444b232018ac047fdb561c09c23a7a6876c85e08b5e4d48e9f3"},
	{8, "ef7f49b620f6c7ea9b963a214da34b5021c6ded8ed57734380a311ab726aa907"},
	{9, "162a21c2230e0284ea38cb8739ee4bb75947a1acd5d529c638ec068969fb3c4a"},
}

func TestGoldenRoots(t *testing.T) {
	for _, g := range goldenRoots {
		elems := make([][]byte, g.n)
		for i := range g.n {
			elems[i] = []byte{byte(i)}
		}
		if got := FromElements(elems).Root(); got != mustHash(t, g.root) {
			t.Errorf("n=%d: root %s, want %s", g.n, got, g.root)
		}
	}
}

func TestGoldenProof(t *testing.T) {
	want := []Hash{
		mustHash(t, "4f35212d12f9ad2036492c95f1fe79baf4ec7bd9bef3dffa7579f2293ff546a4"),
		mustHash(t, "40d88127d4d31a3891f41598eeed41174e5bc89b1eb9bbd66a8cbfc09956a3fd"),
		mustHash(t, "9bcd51240af4005168f033121ba85be5a6ed4f0e6a5fac262066729b8fbfdecb"),
	}
	tr := New(byteLeaves(7))
	got, err := tr.Proof(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("proof length %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("proof[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestLeafAndNodeHash(t *testing.T) {
	if LeafHash([]byte{0x01}) != sha256.Sum256([]byte{0x00, 0x01}) {
		t.Error("LeafHash")
	}
	a, b := Hash{1}, Hash{2}
	want := sha256.Sum256(append(append([]byte{1}, a[:]...), b[:]...))
	if NodeHash(a, b) != want {
		t.Error("NodeHash")
	}
}

func TestSplit(t *testing.T) {
	for n, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 4, 8: 4, 9: 8, 16: 8, 17: 16, 1000: 512} {
		if got := Split(n); got != want {
			t.Errorf("Split(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestAgainstNaive(t *testing.T) {
	for n := range 70 {
		leaves := byteLeaves(n)
		tr := New(leaves)
		if tr.Root() != naiveRoot(leaves) {
			t.Fatalf("n=%d: root mismatch", n)
		}
		if Root(leaves) != tr.Root() {
			t.Fatalf("n=%d: Root()", n)
		}
		for i := range n {
			p, err := tr.Proof(i)
			if err != nil {
				t.Fatal(err)
			}
			np := naiveProof(leaves, i)
			if len(p) != len(np) || len(p) != ProofLen(n, i) {
				t.Fatalf("n=%d i=%d: proof length %d, naive %d", n, i, len(p), len(np))
			}
			for j := range p {
				if p[j] != np[j] {
					t.Fatalf("n=%d i=%d: proof[%d] differs", n, i, j)
				}
			}
			if !Verify(tr.Root(), n, i, leaves[i], p) {
				t.Fatalf("n=%d i=%d: valid proof rejected", n, i)
			}
			if idx, ok := tr.Index(leaves[i]); !ok || idx != i {
				t.Fatalf("n=%d: Index(%d) = %d, %v", n, i, idx, ok)
			}
			// Tampering must fail: another leaf, another index, a flipped sibling.
			if n > 1 {
				if Verify(tr.Root(), n, i, leaves[(i+1)%n], p) {
					t.Fatalf("n=%d i=%d: wrong leaf accepted", n, i)
				}
				p[0][0] ^= 1
				if Verify(tr.Root(), n, i, leaves[i], p) {
					t.Fatalf("n=%d i=%d: tampered proof accepted", n, i)
				}
				p[0][0] ^= 1
				if Verify(tr.Root(), n, i, leaves[i], p[1:]) {
					t.Fatalf("n=%d i=%d: short proof accepted", n, i)
				}
			}
		}
		if _, err := tr.Proof(n); err == nil {
			t.Fatalf("n=%d: proof past the end", n)
		}
		if _, err := tr.Proof(-1); err == nil {
			t.Fatal("negative index")
		}
	}
}

func TestMapCommitment(t *testing.T) {
	// Golden: map {0x03: 01000000, 0x01: "abc", 0x02ff: ""}, computed by a
	// separate script from the definition in doc/merkle.md.
	const want = "03767ba9c1cc9fa06bdecddc4bc9deae78f2286ee5a5e7efae3a8d290ca1ce2692" +
		"80c8e9e79962369f04ff81d7b4d848f9b97809e44493e54a278c7402f61b6cc3"
	m, err := NewMap([]Pair{
		{Key: []byte{0x03}, Value: []byte{1, 0, 0, 0}},
		{Key: []byte{0x01}, Value: []byte("abc")},
		{Key: []byte{0x02, 0xff}, Value: []byte{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Commitment()
	if hex.EncodeToString(c) != want {
		t.Fatalf("commitment %x\nwant       %s", c, want)
	}
	if !bytes.Equal(m.Keys()[0], []byte{0x01}) || !bytes.Equal(m.Keys()[2], []byte{0x03}) {
		t.Error("keys not sorted")
	}
	if v, ok := m.Get([]byte{0x03}); !ok || !bytes.Equal(v, []byte{1, 0, 0, 0}) {
		t.Error("Get")
	}
	if _, ok := m.Get([]byte{0x04}); ok {
		t.Error("Get of a missing key")
	}
	n, kr, vr, used, err := ParseCommitment(append(c, 0xAA))
	if err != nil || n != 3 || kr != m.KeyTree().Root() || vr != m.ValueTree().Root() || used != len(c) {
		t.Errorf("ParseCommitment = %d %s %s %d %v", n, kr, vr, used, err)
	}
	if _, _, _, _, err := ParseCommitment(c[:40]); err == nil {
		t.Error("truncated commitment accepted")
	}
	if _, err := NewMap([]Pair{{Key: []byte{1}}, {Key: []byte{1}}}); err == nil {
		t.Error("duplicate key accepted")
	}
	empty, _ := NewMap(nil)
	if got := hex.EncodeToString(empty.Commitment()); got != "00"+hex.EncodeToString(make([]byte, 64)) {
		t.Errorf("empty map commitment %s", got)
	}
}

func FuzzProof(f *testing.F) {
	f.Add(uint16(7), uint16(5))
	f.Add(uint16(1), uint16(0))
	f.Fuzz(func(t *testing.T, n, i uint16) {
		size := int(n%300) + 1
		idx := int(i) % size
		leaves := byteLeaves(size)
		tr := New(leaves)
		p, err := tr.Proof(idx)
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(tr.Root(), size, idx, leaves[idx], p) {
			t.Fatal("valid proof rejected")
		}
	})
}
