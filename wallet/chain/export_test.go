package chain

// MerkleRoot exposes merkleRoot to the external tests.
var MerkleRoot = merkleRoot
