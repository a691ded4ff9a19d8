package trezor

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"codeberg.org/hardfolio/hardfolio/hw/sim/keys"
	"codeberg.org/hardfolio/hardfolio/hw/trezor/wire"
)

// coin is a network as the firmware defines it (common/defs/bitcoin).
type coin struct {
	params           *chaincfg.Params
	xpub, ypub, zpub uint32
}

var coins = map[string]coin{
	"Bitcoin": {&chaincfg.MainNetParams, 0x0488B21E, 0x049D7CB2, 0x04B24746},
	"Testnet": {&chaincfg.TestNet3Params, 0x043587CF, 0x044A5262, 0x045F1CF6},
	"Regtest": {&chaincfg.RegressionNetParams, 0x043587CF, 0x044A5262, 0x045F1CF6},
}

// coinNamed returns the coin of a request (default "Bitcoin").
func coinNamed(name string) (coin, error) {
	if name == "" {
		name = "Bitcoin"
	}
	c, ok := coins[name]
	if !ok {
		return coin{}, fail(wire.FailureDataError, "Invalid coin name")
	}
	return c, nil
}

// scriptFor returns the output script the device's key at path makes for
// an input script type (or the matching output script type).
func scriptFor(k *keys.Keyring, path []uint32, st uint32) ([]byte, error) {
	pub, err := k.Pubkey(path)
	if err != nil {
		return nil, err
	}
	h := btcutil.Hash160(pub)
	switch st {
	case wire.SpendAddress:
		return txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).AddData(h).
			AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	case wire.SpendWitness:
		return append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h...), nil
	case wire.SpendP2SHWitness:
		redeem := append([]byte{txscript.OP_0, txscript.OP_DATA_20}, h...)
		return txscript.NewScriptBuilder().AddOp(txscript.OP_HASH160).AddData(btcutil.Hash160(redeem)).AddOp(txscript.OP_EQUAL).Script()
	case wire.SpendTaproot:
		pk, err := btcec.ParsePubKey(pub)
		if err != nil {
			return nil, err
		}
		return append([]byte{txscript.OP_1, txscript.OP_DATA_32}, schnorr.SerializePubKey(txscript.ComputeTaprootKeyNoScript(pk))...), nil
	}
	return nil, fail(wire.FailureDataError, "Unsupported script type")
}

// outputInputType maps the script type of a change output to the input
// script type spending it.
var outputInputType = map[uint32]uint32{
	wire.PayToAddress: wire.SpendAddress, wire.PayToWitness: wire.SpendWitness,
	wire.PayToP2SHWitness: wire.SpendP2SHWitness, wire.PayToTaproot: wire.SpendTaproot,
}

func (d *Device) getPublicKey(g wire.GetPublicKey) error {
	c, err := coinNamed(g.CoinName)
	if err != nil {
		return err
	}
	if g.EcdsaCurveName != "" && g.EcdsaCurveName != "secp256k1" {
		return fail(wire.FailureDataError, "Unsupported curve")
	}
	k, err := d.keyring()
	if err != nil {
		return err
	}
	n, err := k.Node(g.AddressN)
	if err != nil {
		return fail(wire.FailureDataError, "Failed to derive private key")
	}
	version := c.xpub
	if !g.IgnoreXpubMagic {
		switch g.ScriptType {
		case wire.SpendP2SHWitness:
			version = c.ypub
		case wire.SpendWitness:
			version = c.zpub
		}
	}
	xpub := n.Xpub(version)
	if g.ShowDisplay {
		if err := d.button(wire.ButtonPublicKey, ScreenXpub); err != nil {
			return err
		}
	}
	root := uint32(k.Fingerprint[0])<<24 | uint32(k.Fingerprint[1])<<16 | uint32(k.Fingerprint[2])<<8 | uint32(k.Fingerprint[3])
	d.send(wire.PublicKey{
		Node: wire.HDNode{Depth: uint32(n.Depth), Fingerprint: n.ParentFP, ChildNum: n.ChildNum, ChainCode: n.ChainCode, PublicKey: n.PubKey},
		Xpub: xpub, RootFingerprint: &root,
	})
	return nil
}

// address encodes the address of an output script.
func address(script []byte, c coin) (string, error) {
	_, addrs, _, err := txscript.ExtractPkScriptAddrs(script, c.params)
	if err != nil || len(addrs) != 1 {
		return "", fail(wire.FailureDataError, "Invalid script")
	}
	return addrs[0].EncodeAddress(), nil
}

func (d *Device) getAddress(g wire.GetAddress) error {
	c, err := coinNamed(g.CoinName)
	if err != nil {
		return err
	}
	k, err := d.keyring()
	if err != nil {
		return err
	}
	script, err := scriptFor(k, g.AddressN, g.ScriptType)
	if err != nil {
		return err
	}
	addr, err := address(script, c)
	if err != nil {
		return err
	}
	if g.ShowDisplay {
		if err := d.button(wire.ButtonAddress, ScreenAddress); err != nil {
			return err
		}
	}
	d.send(wire.Address{Address: addr})
	return nil
}
