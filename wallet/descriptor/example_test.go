package descriptor_test

import (
	"fmt"

	"codeberg.org/hardfolio/hardfolio/wallet/descriptor"
)

// A hardware wallet gives its master fingerprint, the account path and the
// account's extended public key (here the BIP 84 test vector).
func ExampleFromXpub() {
	origin, err := descriptor.ParseKeyOrigin("73c5da0a/84h/0h/0h")
	if err != nil {
		panic(err)
	}
	d, err := descriptor.FromXpub("zpub6rFR7y4Q2AijBEqTUquhVz398htDFrtymD9xYYfG1m4wAcvPhXNfE3EfH1r1ADqtfSdVCToUG868RvUUkgDKf31mGDtKsAYz2oz2AGutZYs",
		descriptor.WPKH, &origin, descriptor.Mainnet)
	if err != nil {
		panic(err)
	}
	fmt.Println(d)
	for _, change := range []bool{false, true} {
		r, err := d.Derive(change, 0)
		if err != nil {
			panic(err)
		}
		fmt.Println(r.Origin, r.Address)
	}
	// Output:
	// wpkh([73c5da0a/84h/0h/0h]xpub6CatWdiZiodmUeTDp8LT5or8nmbKNcuyvz7WyksVFkKB4RHwCD3XyuvPEbvqAQY3rAPshWcMLoP2fMFMKHPJ4ZeZXYVUhLv1VMrjPC7PW6V/<0;1>/*)#qf45pmyh
	// 73c5da0a/84h/0h/0h/0/0 bc1qcr8te4kr609gcawutmrza0j4xv80jy8z306fyu
	// 73c5da0a/84h/0h/0h/1/0 bc1q8c6fshw2dlwun7ekn9qwf37cu2rn755upcp6el
}

// Private keys are refused whatever else the descriptor holds.
func ExampleParse_privateKey() {
	_, err := descriptor.Parse("wpkh(xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi/0/*)", descriptor.Mainnet)
	fmt.Println(err)
	// Output:
	// descriptor: position 6: private key refused: hardfolio is watch-only and never takes private keys
}

// A scanner asks for scripts by the batch; the first gap-limit's worth of
// BIP 86 receive scripts, for example.
func ExampleDescriptor_Scripts() {
	d, err := descriptor.Parse("tr([73c5da0a/86h/0h/0h]xpub6BgBgsespWvERF3LHQu6CnqdvfEvtMcQjYrcRzx53QJjSxarj2afYWcLteoGVky7D3UKDP9QyrLprQ3VCECoY49yfdDEHGCtMMj92pReUsQ/<0;1>/*)", descriptor.Mainnet)
	if err != nil {
		panic(err)
	}
	scripts, err := d.Scripts(false, 0, 20)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d scripts, first %x\n", len(scripts), scripts[0])
	// Output:
	// 20 scripts, first 5120a60869f0dbcf1dc659c9cecbaf8050135ea9e8cdc487053f1dc6880949dc684c
}
