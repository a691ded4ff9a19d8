package descriptor

import (
	"encoding/hex"
	"errors"
	"testing"
)

// The account vectors of BIP 49, 84 and 86 and of SLIP-132 (which has the
// only published BIP 44 address vector), verbatim. All come from the
// mnemonic "abandon abandon abandon abandon abandon abandon abandon abandon
// abandon abandon abandon about". The private keys of the vectors are left
// out except where a test checks they are refused.

// BIP 84.
const (
	bip84RootPub = "zpub6jftahH18ngZxLmXaKw3GSZzZsszmt9WqedkyZdezFtWRFBZqsQH5hyUmb4pCEeZGmVfQuP5bedXTB8is6fTv19U1GQRyQUKQGUTzyHACMF"
	bip84RootPrv = "zprvAWgYBBk7JR8Gjrh4UJQ2uJdG1r3WNRRfURiABBE3RvMXYSrRJL62XuezvGdPvG6GFBZduosCc1YP5wixPox7zhZLfiUm8aunE96BBa4Kei5"
	bip84AcctPrv = "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE"
	bip84AcctPub = "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs"
)

// BIP 86.
const (
	bip86RootPub = "xpub661MyMwAqRbcFkPHucMnrGNzDwb6teAX1RbKQmqtEF8kK3Z7LZ59qafCjB9eCRLiTVG3uxBxgKvRgbubRhqSKXnGGb1aoaqLrpMBDrVxga8"
	bip86AcctPub = "xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ"
)

type accountVector struct {
	change            bool
	index             uint32
	path              string // as the BIP writes it
	leafXpub          string // BIP 86 gives the leaf's xpub
	pubKey            string
	internal, output  string // BIP 86
	redeem, scriptPub string
	address           string
}

var bip84Vectors = []accountVector{
	{change: false, index: 0, path: "m/84'/0'/0'/0/0", pubKey: "0330d54fd0dd420a6e5f8d3624f5f3482cae350f79d5f0753bf5beef9c2d91af3c", address: "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"},
	{change: false, index: 1, path: "m/84'/0'/0'/0/1", pubKey: "03e775fd51f0dfb8cd865d9ff1cca2a158cf651fe997fdc9fee9c1d3b5e995ea77", address: "bc1qnjg0jd8228aq7egyzacy8cys3knf9xvrerkf9g"},
	{change: true, index: 0, path: "m/84'/0'/0'/1/0", pubKey: "03025324888e429ab8e3dbaf1f7802648b9cd01e9b418485c5fa4c1b9b5700e1a6", address: "bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el"},
}

var bip86Vectors = []accountVector{
	{
		change: false, index: 0, path: "m/86'/0'/0'/0/0",
		leafXpub:  "xpub6H3W6JmYJXN49h5TfcVjLC3onS6uPeUTTJoVvRC8oG9vsTn2J8LwigLzq5tHbrwAzH9DGo6ThGUdWsqce8dGfwHVBxSbixjDADGGdzF7t2B",
		internal:  "cc8a4bc64d897bddc5fbc2f670f7a8ba0b386779106cf1223c6fc5d7cd6fc115",
		output:    "a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c",
		scriptPub: "5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c",
		address:   "bc1p5cyxnuxmeuwuvkwfem96lqzszd02n6xdcjrs20cac6yqjjwudpxqkedrcr",
	},
	{
		change: false, index: 1, path: "m/86'/0'/0'/0/1",
		leafXpub:  "xpub6H3W6JmYJXN4CCKUSnriaiQRCZmG6aq4sCMDqTu1ACyngw7HShf59hAxYjXgKDuuHThVEUzdHrc3aXCr9kfvQvZPit5dnD3K9xVRBzjK3rX",
		internal:  "83dfe85a3151d2517290da461fe2815591ef69f2b18a2ce63f01697a8b313145",
		output:    "a82f29944d65b86ae6b5e5cc75e294ead6c59391a1edc5e016e3498c67fc7bbb",
		scriptPub: "5120a82f29944d65b86ae6b5e5cc75e294ead6c59391a1edc5e016e3498c67fc7bbb",
		address:   "bc1p4qhjn9zdvkux4e44uhx8tc55attvtyu358kutcqkudyccelu0was9fqzwh",
	},
	{
		change: true, index: 0, path: "m/86'/0'/0'/1/0",
		leafXpub:  "xpub6GL8SnQwRCGDhB59LEz9HMyM6sRYoByXBzXK3iEKWgCz8XrZNHUzd9L3AUBELW5NzA7dEFvMas1F84TuPH3xqdUA5tumaGWFgihJzWytXe3",
		internal:  "399f1b2f4393f29a18c937859c5dd8a77350103157eb880f02e8c08214277cef",
		output:    "882d74e5d0572d5a816cef0041a96b6c1de832f6f9676d9605c44d5e9a97d3dc",
		scriptPub: "5120882d74e5d0572d5a816cef0041a96b6c1de832f6f9676d9605c44d5e9a97d3dc",
		address:   "bc1p3qkhfews2uk44qtvauqyr2ttdsw7svhkl9nkm9s9c3x4ax5h60wqwruhk7",
	},
}

// BIP 49 (testnet): account m/49'/1'/0' and its first receiving address.
const (
	bip49AcctPrv = "uprv91G7gZkzehuMVxDJTYE6tLivdF8e4rvzSu1LFfKw3b2Qx1Aj8vpoFnHdfUZ3hmi9jsvPifmZ24RTN2KhwB8BfMLTVqaBReibyaFFcTP1s9n"
	bip49AcctPub = "upub5EFU65HtV5TeiSHmZZm7FUffBGy8UKeqp7vw43jYbvZPpoVsgU93oac7Wk3u6moKegAEWtGNF8DehrnHtv21XXEMYRUocHqguyjknFHYfgY"
)

var bip49Vector = accountVector{
	change: false, index: 0, path: "m/49'/1'/0'/0/0",
	pubKey:    "03a1af804ac108a8a51782198c2d034b28bf90c8803f5a53f76276fa69a4eae77f",
	redeem:    "001438971f73930f6c141d977ac4fd4a727c854935b3",
	scriptPub: "a914" + "336caa13e08b96080a32b5d818d59b4ab3b36742" + "87", // addressBytes = HASH160(scriptSig)
	address:   "2Mww8dCYPUpKHofjgcXcBCEGmniw9CoaiD2",
}

// SLIP-132 "Bitcoin Test Vectors": account keys and first receiving
// address for BIP 44, 49 and 84 on mainnet.
var slip132Vectors = []struct {
	path    string
	typ     ScriptType
	xprv    string
	xpub    string
	address string
}{
	{"m/44'/0'/0'", PKH, "xprv9xpXFhFpqdQK3TmytPBqXtGSwS3DLjojFhTGht8gwAAii8py5X6pxeBnQ6ehJiyJ6nDjWGJfZ95WxByFXVkDxHXrqu53WCRGypk2ttuqncb", "xpub6BosfCnifzxcFwrSzQiqu2DBVTshkCXacvNsWGYJVVhhawA7d4R5WSWGFNbi8Aw6ZRc1brxMyWMzG3DSSSSoekkudhUd9yLb6qx39T9nMdj", "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"},
	{"m/49'/0'/0'", SHWPKH, "yprvAHwhK6RbpuS3dgCYHM5jc2ZvEKd7Bi61u9FVhYMpgMSuZS613T1xxQeKTffhrHY79hZ5PsskBjcc6C2V7DrnsMsNaGDaWev3GLRQRgV7hxF", "ypub6Ww3ibxVfGzLrAH1PNcjyAWenMTbbAosGNB6VvmSEgytSER9azLDWCxoJwW7Ke7icmizBMXrzBx9979FfaHxHcrArf3zbeJJJUZPf663zsP", "37VucYSaXLCAsxYyAPfbSi9eh4iEcbShgf"},
	{"m/84'/0'/0'", WPKH, "zprvAdG4iTXWBoARxkkzNpNh8r6Qag3irQB8PzEMkAFeTRXxHpbF9z4QgEvBRmfvqWvGp42t42nvgGpNgYSJA9iefm1yYNZKEm7z6qUWCroSQnE", "zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs", "bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu"},
}

// rootFingerprint returns the fingerprint of a master public key: what a
// hardware wallet reports as its fingerprint.
func rootFingerprint(t *testing.T, rootPub string, typ ScriptType) [4]byte {
	t.Helper()
	d, err := Parse(typ.wrap(rootPub), Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Derive(false, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Origin.Path) != 0 {
		t.Fatalf("root origin %s has a path", r.Origin)
	}
	return r.Origin.Fingerprint
}

func mustOrigin(t *testing.T, s string) *KeyOrigin {
	t.Helper()
	o, err := ParseKeyOrigin(s)
	if err != nil {
		t.Fatal(err)
	}
	return &o
}

// checkAccount derives each vector from d and compares every field the
// vector gives.
func checkAccount(t *testing.T, d *Descriptor, fp [4]byte, vectors []accountVector) {
	t.Helper()
	for _, v := range vectors {
		r, err := d.Derive(v.change, v.index)
		if err != nil {
			t.Fatalf("%s: %v", v.path, err)
		}
		wantPath := mustOrigin(t, hex.EncodeToString(fp[:])+v.path[1:])
		if r.Origin.String() != wantPath.String() {
			t.Errorf("%s: origin %s; want %s", v.path, r.Origin, wantPath)
		}
		if r.Address != v.address {
			t.Errorf("%s: address %s; want %s", v.path, r.Address, v.address)
		}
		for _, f := range []struct {
			name      string
			got, want string
		}{
			{"public key", hex.EncodeToString(r.PubKey), v.pubKey},
			{"internal key", hex.EncodeToString(r.InternalKey), v.internal},
			{"output key", hex.EncodeToString(r.OutputKey), v.output},
			{"redeem script", hex.EncodeToString(r.RedeemScript), v.redeem},
			{"scriptPubKey", hex.EncodeToString(r.Script), v.scriptPub},
		} {
			if f.want != "" && f.got != f.want {
				t.Errorf("%s: %s %s; want %s", v.path, f.name, f.got, f.want)
			}
		}
		// The batch forms agree with Derive.
		addrs, err := d.Addresses(v.change, v.index, 1)
		if err != nil || addrs[0] != v.address {
			t.Errorf("%s: Addresses = %v, %v", v.path, addrs, err)
		}
		scripts, err := d.Scripts(v.change, v.index, 1)
		if err != nil || hex.EncodeToString(scripts[0]) != hex.EncodeToString(r.Script) {
			t.Errorf("%s: Scripts = %x, %v", v.path, scripts, err)
		}
	}
}

func TestBIP84(t *testing.T) {
	fp := rootFingerprint(t, bip84RootPub, WPKH)
	origin := &KeyOrigin{Fingerprint: fp, Path: mustOrigin(t, "00000000/84h/0h/0h").Path}

	// From the account zpub, as a hardware wallet exports it ...
	d, err := FromXpub(bip84AcctPub, WPKH, origin, Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	checkAccount(t, d, fp, bip84Vectors)

	// ... and from the descriptor text, zpub or its xpub form.
	for _, text := range []string{
		"wpkh([" + origin.String() + "]" + bip84AcctPub + "/<0;1>/*)",
		d.String(),
	} {
		d2, err := Parse(text, Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		if d2.String() != d.String() {
			t.Errorf("Parse(%s) = %s; want %s", text, d2, d)
		}
		checkAccount(t, d2, fp, bip84Vectors)
	}

	// The private keys of the vector are refused.
	for _, prv := range []string{bip84RootPrv, bip84AcctPrv} {
		if _, err := FromXpub(prv, WPKH, nil, Mainnet); !errors.Is(err, ErrPrivateKey) {
			t.Errorf("FromXpub(zprv) = %v; want ErrPrivateKey", err)
		}
		if _, err := Parse("wpkh("+prv+"/0/*)", Mainnet); !errors.Is(err, ErrPrivateKey) {
			t.Errorf("Parse(wpkh(zprv)) = %v; want ErrPrivateKey", err)
		}
	}
	// A zpub stands for wpkh() only.
	for _, typ := range []ScriptType{PKH, SHWPKH, TR} {
		if _, err := FromXpub(bip84AcctPub, typ, nil, Mainnet); !errors.Is(err, ErrNetwork) {
			t.Errorf("zpub as %s: %v; want ErrNetwork", typ, err)
		}
	}
	// And it is a mainnet key.
	if _, err := FromXpub(bip84AcctPub, WPKH, nil, Testnet); !errors.Is(err, ErrNetwork) {
		t.Errorf("zpub on testnet: %v; want ErrNetwork", err)
	}
}

func TestBIP86(t *testing.T) {
	fp := rootFingerprint(t, bip86RootPub, TR)
	if fp84 := rootFingerprint(t, bip84RootPub, WPKH); fp != fp84 {
		t.Fatalf("BIP 84 and 86 roots of one mnemonic have fingerprints %x and %x", fp84, fp)
	}
	origin := &KeyOrigin{Fingerprint: fp, Path: mustOrigin(t, "00000000/86h/0h/0h").Path}
	d, err := FromXpub(bip86AcctPub, TR, origin, Mainnet)
	if err != nil {
		t.Fatal(err)
	}
	checkAccount(t, d, fp, bip86Vectors)

	for _, v := range bip86Vectors {
		// The derived key is the leaf xpub's key ...
		leaf, err := Parse("tr("+v.leafXpub+")", Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		l, err := leaf.Derive(false, 0)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := d.Derive(v.change, v.index)
		if hex.EncodeToString(l.PubKey) != hex.EncodeToString(r.PubKey) || l.Address != v.address {
			t.Errorf("%s: leaf xpub gives %x %s; want %x %s", v.path, l.PubKey, l.Address, r.PubKey, v.address)
		}
		// ... and tr() of the internal key as an x-only hex key gives
		// the same output.
		x, err := Parse("tr("+v.internal+")", Mainnet)
		if err != nil {
			t.Fatal(err)
		}
		xr, err := x.Derive(false, 0)
		if err != nil || hex.EncodeToString(xr.Script) != v.scriptPub || xr.Address != v.address {
			t.Errorf("%s: tr(x-only) gives %x %s, %v", v.path, xr.Script, xr.Address, err)
		}
	}
}

func TestBIP49(t *testing.T) {
	for _, net := range []Network{Testnet, Signet, Regtest} {
		d, err := FromXpub(bip49AcctPub, SHWPKH, nil, net)
		if err != nil {
			t.Fatal(err)
		}
		// The BIP gives no master fingerprint: without an origin the
		// account key's own fingerprint starts the path.
		fp := d.key.ext.fp
		v := bip49Vector
		v.path = "m/0/0"
		checkAccount(t, d, fp, []accountVector{v})
	}
	if _, err := FromXpub(bip49AcctPrv, SHWPKH, nil, Testnet); !errors.Is(err, ErrPrivateKey) {
		t.Errorf("FromXpub(uprv) = %v; want ErrPrivateKey", err)
	}
	if _, err := FromXpub(bip49AcctPub, WPKH, nil, Testnet); !errors.Is(err, ErrNetwork) {
		t.Errorf("upub as wpkh: %v; want ErrNetwork", err)
	}
	if _, err := FromXpub(bip49AcctPub, SHWPKH, nil, Mainnet); !errors.Is(err, ErrNetwork) {
		t.Errorf("upub on mainnet: %v; want ErrNetwork", err)
	}
}

func TestSLIP132BIP44Vectors(t *testing.T) {
	for _, v := range slip132Vectors {
		t.Run(v.path, func(t *testing.T) {
			d, err := FromXpub(v.xpub, v.typ, nil, Mainnet)
			if err != nil {
				t.Fatal(err)
			}
			r, err := d.Derive(false, 0)
			if err != nil || r.Address != v.address {
				t.Fatalf("address %s, %v; want %s", r.Address, err, v.address)
			}
			if _, err := FromXpub(v.xprv, v.typ, nil, Mainnet); !errors.Is(err, ErrPrivateKey) {
				t.Errorf("FromXpub(%s...) = %v; want ErrPrivateKey", v.xprv[:4], err)
			}
		})
	}
}
