package descriptor

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil/hdkeychain"
)

type bip32Chain struct {
	path, xpub, xprv string
}

// BIP 32 test vectors 1 to 4, verbatim. The seeds and private keys are the
// vectors' own; this package only checks that it refuses the private keys.
var bip32Vectors = []struct {
	name, seed string
	chains     []bip32Chain
}{
	{"1", "000102030405060708090a0b0c0d0e0f", []bip32Chain{
		{"m", "xpub661MyMwAqRbcFtXgS5sYJABqqG9YLmC4Q1Rdap9gSE8NqtwybGhePY2gZ29ESFjqJoCu1Rupje8YtGqsefD265TMg7usUDFdp6W1EGMcet8", "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi"},
		{"m/0H", "xpub68Gmy5EdvgibQVfPdqkBBCHxA5htiqg55crXYuXoQRKfDBFA1WEjWgP6LHhwBZeNK1VTsfTFUHCdrfp1bgwQ9xv5ski8PX9rL2dZXvgGDnw", "xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7"},
		{"m/0H/1", "xpub6ASuArnXKPbfEwhqN6e3mwBcDTgzisQN1wXN9BJcM47sSikHjJf3UFHKkNAWbWMiGj7Wf5uMash7SyYq527Hqck2AxYysAA7xmALppuCkwQ", "xprv9wTYmMFdV23N2TdNG573QoEsfRrWKQgWeibmLntzniatZvR9BmLnvSxqu53Kw1UmYPxLgboyZQaXwTCg8MSY3H2EU4pWcQDnRnrVA1xe8fs"},
		{"m/0H/1/2H", "xpub6D4BDPcP2GT577Vvch3R8wDkScZWzQzMMUm3PWbmWvVJrZwQY4VUNgqFJPMM3No2dFDFGTsxxpG5uJh7n7epu4trkrX7x7DogT5Uv6fcLW5", "xprv9z4pot5VBttmtdRTWfWQmoH1taj2axGVzFqSb8C9xaxKymcFzXBDptWmT7FwuEzG3ryjH4ktypQSAewRiNMjANTtpgP4mLTj34bhnZX7UiM"},
		{"m/0H/1/2H/2", "xpub6FHa3pjLCk84BayeJxFW2SP4XRrFd1JYnxeLeU8EqN3vDfZmbqBqaGJAyiLjTAwm6ZLRQUMv1ZACTj37sR62cfN7fe5JnJ7dh8zL4fiyLHV", "xprvA2JDeKCSNNZky6uBCviVfJSKyQ1mDYahRjijr5idH2WwLsEd4Hsb2Tyh8RfQMuPh7f7RtyzTtdrbdqqsunu5Mm3wDvUAKRHSC34sJ7in334"},
		{"m/0H/1/2H/2/1000000000", "xpub6H1LXWLaKsWFhvm6RVpEL9P4KfRZSW7abD2ttkWP3SSQvnyA8FSVqNTEcYFgJS2UaFcxupHiYkro49S8yGasTvXEYBVPamhGW6cFJodrTHy", "xprvA41z7zogVVwxVSgdKUHDy1SKmdb533PjDz7J6N6mV6uS3ze1ai8FHa8kmHScGpWmj4WggLyQjgPie1rFSruoUihUZREPSL39UNdE3BBDu76"},
	}},
	{"2", "fffcf9f6f3f0edeae7e4e1dedbd8d5d2cfccc9c6c3c0bdbab7b4b1aeaba8a5a29f9c999693908d8a8784817e7b7875726f6c696663605d5a5754514e4b484542", []bip32Chain{
		{"m", "xpub661MyMwAqRbcFW31YEwpkMuc5THy2PSt5bDMsktWQcFF8syAmRUapSCGu8ED9W6oDMSgv6Zz8idoc4a6mr8BDzTJY47LJhkJ8UB7WEGuduB", "xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U"},
		{"m/0", "xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH", "xprv9vHkqa6EV4sPZHYqZznhT2NPtPCjKuDKGY38FBWLvgaDx45zo9WQRUT3dKYnjwih2yJD9mkrocEZXo1ex8G81dwSM1fwqWpWkeS3v86pgKt"},
		{"m/0/2147483647H", "xpub6ASAVgeehLbnwdqV6UKMHVzgqAG8Gr6riv3Fxxpj8ksbH9ebxaEyBLZ85ySDhKiLDBrQSARLq1uNRts8RuJiHjaDMBU4Zn9h8LZNnBC5y4a", "xprv9wSp6B7kry3Vj9m1zSnLvN3xH8RdsPP1Mh7fAaR7aRLcQMKTR2vidYEeEg2mUCTAwCd6vnxVrcjfy2kRgVsFawNzmjuHc2YmYRmagcEPdU9"},
		{"m/0/2147483647H/1", "xpub6DF8uhdarytz3FWdA8TvFSvvAh8dP3283MY7p2V4SeE2wyWmG5mg5EwVvmdMVCQcoNJxGoWaU9DCWh89LojfZ537wTfunKau47EL2dhHKon", "xprv9zFnWC6h2cLgpmSA46vutJzBcfJ8yaJGg8cX1e5StJh45BBciYTRXSd25UEPVuesF9yog62tGAQtHjXajPPdbRCHuWS6T8XA2ECKADdw4Ef"},
		{"m/0/2147483647H/1/2147483646H", "xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL", "xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc"},
		{"m/0/2147483647H/1/2147483646H/2", "xpub6FnCn6nSzZAw5Tw7cgR9bi15UV96gLZhjDstkXXxvCLsUXBGXPdSnLFbdpq8p9HmGsApME5hQTZ3emM2rnY5agb9rXpVGyy3bdW6EEgAtqt", "xprvA2nrNbFZABcdryreWet9Ea4LvTJcGsqrMzxHx98MMrotbir7yrKCEXw7nadnHM8Dq38EGfSh6dqA9QWTyefMLEcBYJUuekgW4BYPJcr9E7j"},
	}},
	{"3", "4b381541583be4423346c643850da4b320e46a87ae3d2a4e6da11eba819cd4acba45d239319ac14f863b8d5ab5a0d0c64d2e8a1e7d1457df2e5a3c51c73235be", []bip32Chain{
		{"m", "xpub661MyMwAqRbcEZVB4dScxMAdx6d4nFc9nvyvH3v4gJL378CSRZiYmhRoP7mBy6gSPSCYk6SzXPTf3ND1cZAceL7SfJ1Z3GC8vBgp2epUt13", "xprv9s21ZrQH143K25QhxbucbDDuQ4naNntJRi4KUfWT7xo4EKsHt2QJDu7KXp1A3u7Bi1j8ph3EGsZ9Xvz9dGuVrtHHs7pXeTzjuxBrCmmhgC6"},
		{"m/0H", "xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y", "xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L"},
	}},
	{"4", "3ddd5602285899a946114506157c7997e5444528f3003f6134712147db19b678", []bip32Chain{
		{"m", "xpub661MyMwAqRbcGczjuMoRm6dXaLDEhW1u34gKenbeYqAix21mdUKJyuyu5F1rzYGVxyL6tmgBUAEPrEz92mBXjByMRiJdba9wpnN37RLLAXa", "xprv9s21ZrQH143K48vGoLGRPxgo2JNkJ3J3fqkirQC2zVdk5Dgd5w14S7fRDyHH4dWNHUgkvsvNDCkvAwcSHNAQwhwgNMgZhLtQC63zxwhQmRv"},
		{"m/0H", "xpub69AUMk3qDBi3uW1sXgjCmVjJ2G6WQoYSnNHyzkmdCHEhSZ4tBok37xfFEqHd2AddP56Tqp4o56AePAgCjYdvpW2PU2jbUPFKsav5ut6Ch1m", "xprv9vB7xEWwNp9kh1wQRfCCQMnZUEG21LpbR9NPCNN1dwhiZkjjeGRnaALmPXCX7SgjFTiCTT6bXes17boXtjq3xLpcDjzEuGLQBM5ohqkao9G"},
		{"m/0H/1H", "xpub6BJA1jSqiukeaesWfxe6sNK9CCGaujFFSJLomWHprUL9DePQ4JDkM5d88n49sMGJxrhpjazuXYWdMf17C9T5XnxkopaeS7jGk1GyyVziaMt", "xprv9xJocDuwtYCMNAo3Zw76WENQeAS6WGXQ55RCy7tDJ8oALr4FWkuVoHJeHVAcAqiZLE7Je3vZJHxspZdFHfnBEjHqU5hG1Jaj32dVoS6XLT1"},
	}},
}

// BIP 32 test vector 5: invalid extended keys, verbatim, with the kind of
// this package's refusal.
var bip32Vector5 = []struct {
	key, why string
	kind     error
}{
	{"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6LBpB85b3D2yc8sfvZU521AAwdZafEz7mnzBBsz4wKY5fTtTQBm", "pubkey version / prvkey mismatch", ErrInvalidKey},
	{"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGTQQD3dC4H2D5GBj7vWvSQaaBv5cxi9gafk7NF3pnBju6dwKvH", "prvkey version / pubkey mismatch", ErrPrivateKey},
	{"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Txnt3siSujt9RCVYsx4qHZGc62TG4McvMGcAUjeuwZdduYEvFn", "invalid pubkey prefix 04", ErrInvalidKey},
	{"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFGpWnsj83BHtEy5Zt8CcDr1UiRXuWCmTQLxEK9vbz5gPstX92JQ", "invalid prvkey prefix 04", ErrPrivateKey},
	{"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6N8ZMMXctdiCjxTNq964yKkwrkBJJwpzZS4HS2fxvyYUA4q2Xe4", "invalid pubkey prefix 01", ErrInvalidKey},
	{"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD9y5gkZ6Eq3Rjuahrv17fEQ3Qen6J", "invalid prvkey prefix 01", ErrPrivateKey},
	{"xprv9s2SPatNQ9Vc6GTbVMFPFo7jsaZySyzk7L8n2uqKXJen3KUmvQNTuLh3fhZMBoG3G4ZW1N2kZuHEPY53qmbZzCHshoQnNf4GvELZfqTUrcv", "zero depth with non-zero parent fingerprint", ErrPrivateKey},
	{"xpub661no6RGEX3uJkY4bNnPcw4URcQTrSibUZ4NqJEw5eBkv7ovTwgiT91XX27VbEXGENhYRCf7hyEbWrR3FewATdCEebj6znwMfQkhRYHRLpJ", "zero depth with non-zero parent fingerprint", ErrInvalidKey},
	{"xprv9s21ZrQH4r4TsiLvyLXqM9P7k1K3EYhA1kkD6xuquB5i39AU8KF42acDyL3qsDbU9NmZn6MsGSUYZEsuoePmjzsB3eFKSUEh3Gu1N3cqVUN", "zero depth with non-zero index", ErrPrivateKey},
	{"xpub661MyMwAuDcm6CRQ5N4qiHKrJ39Xe1R1NyfouMKTTWcguwVcfrZJaNvhpebzGerh7gucBvzEQWRugZDuDXjNDRmXzSZe4c7mnTK97pTvGS8", "zero depth with non-zero index", ErrInvalidKey},
	{"DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHGMQzT7ayAmfo4z3gY5KfbrZWZ6St24UVf2Qgo6oujFktLHdHY4", "unknown extended key version", ErrInvalidKey},
	{"DMwo58pR1QLEFihHiXPVykYB6fJmsTeHvyTp7hRThAtCX8CvYzgPcn8XnmdfHPmHJiEDXkTiJTVV9rHEBUem2mwVbbNfvT2MTcAqj3nesx8uBf9", "unknown extended key version", ErrInvalidKey},
	{"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzF93Y5wvzdUayhgkkFoicQZcP3y52uPPxFnfoLZB21Teqt1VvEHx", "private key 0 not in 1..n-1", ErrPrivateKey},
	{"xprv9s21ZrQH143K24Mfq5zL5MhWK9hUhhGbd45hLXo2Pq2oqzMMo63oStZzFAzHGBP2UuGCqWLTAPLcMtD5SDKr24z3aiUvKr9bJpdrcLg1y3G", "private key n not in 1..n-1", ErrPrivateKey},
	{"xpub661MyMwAqRbcEYS8w7XLSVeEsBXy79zSzH1J8vCdxAZningWLdN3zgtU6Q5JXayek4PRsn35jii4veMimro1xefsM58PgBMrvdYre8QyULY", "invalid pubkey 020000000000000000000000000000000000000000000000000000000000000007", ErrInvalidKey},
	{"xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHL", "invalid checksum", ErrPrivateKey},
}

// lastStep reads the final step of a BIP 32 path as the vectors write it
// ("m/0H/1" gives 1, "m/0H" gives 0 + 2^31).
func lastStep(t *testing.T, path string) uint32 {
	t.Helper()
	s := path[strings.LastIndexByte(path, '/')+1:]
	hard := strings.HasSuffix(s, "H")
	n, err := strconv.ParseUint(strings.TrimSuffix(s, "H"), 10, 32)
	if err != nil {
		t.Fatalf("path %q: %v", path, err)
	}
	if hard {
		n += hdkeychain.HardenedKeyStart
	}
	return uint32(n)
}

func TestBIP32Vectors(t *testing.T) {
	for _, v := range bip32Vectors {
		for i, c := range v.chains {
			t.Run("vector "+v.name+" "+c.path, func(t *testing.T) {
				// The private key is refused, without being echoed.
				_, err := Parse("pkh("+c.xprv+")", Mainnet)
				if !errors.Is(err, ErrPrivateKey) || strings.Contains(err.Error(), c.xprv[4:30]) {
					t.Fatalf("xprv: got %v; want a watch-only refusal", err)
				}
				if _, err := FromXpub(c.xprv, PKH, nil, Mainnet); !errors.Is(err, ErrPrivateKey) {
					t.Fatalf("FromXpub(xprv): got %v; want a watch-only refusal", err)
				}

				// The public key parses and prints back verbatim.
				d, err := Parse("pkh("+c.xpub+")", Mainnet)
				if err != nil {
					t.Fatal(err)
				}
				if d.ExtendedKey() != c.xpub || !strings.HasPrefix(d.String(), "pkh("+c.xpub+")#") {
					t.Fatalf("xpub prints as %s", d)
				}
				child, err := hdkeychain.NewKeyFromString(c.xpub)
				if err != nil {
					t.Fatal(err)
				}
				childPub, _ := child.ECPubKey()
				if i == 0 {
					return
				}

				// What a watch-only wallet can check of every step: the
				// depth, and the parent fingerprint being the parent's.
				parent := v.chains[i-1]
				pd, err := Parse("pkh("+parent.xpub+")", Mainnet)
				if err != nil {
					t.Fatal(err)
				}
				pk, _ := hdkeychain.NewKeyFromString(parent.xpub)
				if child.Depth() != pk.Depth()+1 {
					t.Errorf("depth %d after %d", child.Depth(), pk.Depth())
				}
				fp := pd.key.ext.fp
				if child.ParentFingerprint() != uint32(fp[0])<<24|uint32(fp[1])<<16|uint32(fp[2])<<8|uint32(fp[3]) {
					t.Errorf("parent fingerprint %08x; parent's is %x", child.ParentFingerprint(), fp)
				}
				step := lastStep(t, c.path)
				if step >= hdkeychain.HardenedKeyStart {
					// A hardened step needs the private key: refused.
					_, err := Parse("pkh("+parent.xpub+"/"+strconv.Itoa(int(step-hdkeychain.HardenedKeyStart))+"h)", Mainnet)
					if !errors.Is(err, ErrHardened) {
						t.Errorf("hardened step from the xpub: got %v; want ErrHardened", err)
					}
					return
				}

				// An unhardened step derives the child exactly: by the
				// fast path (the "/*" index) ...
				rd, err := Parse("pkh("+parent.xpub+"/*)", Mainnet)
				if err != nil {
					t.Fatal(err)
				}
				got, err := rd.Derive(false, step)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.PubKey, childPub.SerializeCompressed()) {
					t.Errorf("fast path: child key %x; want %x", got.PubKey, childPub.SerializeCompressed())
				}
				// ... and as a fixed step, whose node (key and chain
				// code) must be the child extended key.
				fd, err := Parse("pkh("+parent.xpub+"/"+strconv.Itoa(int(step))+"/*)", Mainnet)
				if err != nil {
					t.Fatal(err)
				}
				ch, err := fd.chainFor(0)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ch.node.pub[:], childPub.SerializeCompressed()) || !bytes.Equal(ch.node.chainCode, child.ChainCode()) {
					t.Errorf("fixed step: node %x/%x; want %x/%x", ch.node.pub, ch.node.chainCode, childPub.SerializeCompressed(), child.ChainCode())
				}
				// The chain code is right too when the fast path goes on
				// from the child: its own child 0 matches hdkeychain's.
				grand, _ := child.Derive(0)
				grandPub, _ := grand.ECPubKey()
				if g, err := fd.Derive(false, 0); err != nil || !bytes.Equal(g.PubKey, grandPub.SerializeCompressed()) {
					t.Errorf("grandchild 0: %x, %v; want %x", g.PubKey, err, grandPub.SerializeCompressed())
				}
			})
		}
	}
}

func TestBIP32Vector5(t *testing.T) {
	for _, v := range bip32Vector5 {
		t.Run(v.why, func(t *testing.T) {
			_, err := Parse("wpkh("+v.key+"/<0;1>/*)", Mainnet)
			if !errors.Is(err, v.kind) {
				t.Fatalf("got %v; want kind %q", err, v.kind)
			}
			if _, err := FromXpub(v.key, WPKH, nil, Mainnet); !errors.Is(err, v.kind) {
				t.Fatalf("FromXpub: got %v; want kind %q", err, v.kind)
			}
		})
	}
}
