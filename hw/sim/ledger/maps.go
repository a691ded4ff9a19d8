package ledger

import (
	"bytes"
	"fmt"

	"codeberg.org/hardfolio/hardfolio/hw/ledger/merkle"
)

// mapRef is the commitment to a Merkleized map (a PSBT's global map, or
// one input or output map), as the device receives it:
//
//	| varint(n) | keys_root(32) | values_root(32) |
//
// The keys are sorted strictly by bytes; key i goes with value i.
type mapRef struct {
	size         int
	keys, values merkle.Hash
}

// maxMapSize bounds the number of keys the device accepts in one map.
const maxMapSize = 1 << 12

// parseMapRef reads a map commitment at the start of b and returns it
// with the number of bytes it took.
func parseMapRef(b []byte) (mapRef, int, error) {
	size, keys, values, n, err := merkle.ParseCommitment(b)
	if err != nil {
		return mapRef{}, 0, err
	}
	if size > maxMapSize {
		return mapRef{}, 0, fmt.Errorf("%w: map of %d keys", errClient, size)
	}
	return mapRef{size: int(size), keys: keys, values: values}, n, nil
}

// walkKeys fetches every key of the map, in order, checking each proof and
// preimage and that the keys are strictly increasing, as the app does
// before it trusts a map (call_get_merkleized_map_with_callback).
func (c *call) walkKeys(m mapRef) ([][]byte, error) {
	keys := make([][]byte, 0, m.size)
	for i := 0; i < m.size; i++ {
		k, err := c.getMerkleLeafElement(m.keys, m.size, i)
		if err != nil {
			return nil, err
		}
		if len(k) == 0 {
			return nil, fmt.Errorf("%w: empty map key", errClient)
		}
		if i > 0 && bytes.Compare(keys[i-1], k) >= 0 {
			return nil, fmt.Errorf("%w: map keys not strictly sorted", errClient)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// value fetches the value of key in the map the way the app does
// (get_merkleized_map_value): the key's index by GET_MERKLE_LEAF_INDEX on
// the key tree, checked by a proof, then the value leaf at that index and
// its preimage. ok is false when the key is absent. Values longer than
// limit bytes are refused.
func (c *call) value(m mapRef, key []byte, limit uint64) (v []byte, ok bool, err error) {
	idx, found, err := c.getMerkleLeafIndex(m.keys, m.size, merkle.LeafHash(key))
	if err != nil || !found {
		return nil, false, err
	}
	v, err = c.getMerkleLeafElementMax(m.values, m.size, idx, limit+1)
	if err != nil {
		return nil, false, err
	}
	return v, true, nil
}
