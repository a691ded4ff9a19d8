package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"codeberg.org/hardfolio/hardfolio/hw/transport"

	"codeberg.org/hardfolio/hardfolio/hw/internal/hextest"
)

// The vectors below follow the protobuf encoding rules (tag = field<<3 |
// wire type; base-128 varints, low group first) and the field numbers of
// messages-bitcoin.proto.
func TestMarshalVectors(t *testing.T) {
	h := uint32(0x80000000)
	rootFP := uint32(0x73c5da0a)
	seq := uint32(0xfffffffd)
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"Initialize empty", Initialize{}, ""},
		{"GetAddress", GetAddress{AddressN: []uint32{h | 44, h}, CoinName: "Bitcoin", ScriptType: SpendWitness},
			"08 ac80808008 08 8080808008 12 07 426974636f696e 28 03"},
		{"GetPublicKey show", GetPublicKey{AddressN: []uint32{h}, ShowDisplay: true, CoinName: "Testnet"},
			"08 8080808008 18 01 22 07 546573746e6574"},
		{"PinMatrixAck", PinMatrixAck{Pin: "753"}, "0a 03 373533"},
		{"PassphraseAck empty", PassphraseAck{Passphrase: new(string)}, "0a 00"},
		{"PassphraseAck on device", PassphraseAck{OnDevice: true}, "18 01"},
		// required fields are written even when zero
		{"SignTx", SignTx{OutputsCount: 2, InputsCount: 1, CoinName: "Bitcoin", Version: 2},
			"08 02 10 01 1a 07 426974636f696e 20 02 28 00"},
		{"PublicKey", PublicKey{Node: HDNode{ChainCode: []byte{1}, PublicKey: []byte{2}}, Xpub: "x", RootFingerprint: &rootFP},
			"0a 0c 08 00 10 00 18 00 22 01 01 32 01 02 12 01 78 18 8ab4979e07"},
		// request_type TXINPUT is 0 and must still be written: trezorlib
		// loops on a TxRequest without it.
		{"TxRequest input 0", TxRequest{RequestType: RequestInput, Details: &TxRequestDetails{RequestIndex: new(uint32)}},
			"08 00 12 02 08 00"},
		{"TxAck input", TxAck{Tx: TransactionType{Inputs: []TxInput{{PrevHash: []byte{0xaa}, PrevIndex: 1, Sequence: &seq, Amount: 300}}}},
			"0a 10 12 0e 12 01 aa 18 01 28 fdffffff0f 40 ac02"},
		{"TxAckPrevMeta", func() Message {
			var m TxAckPrevMeta
			m.Tx.Version = 2
			m.Tx.InputsCnt = 1
			m.Tx.OutputsCnt = 2
			return m
		}(),
			"0a 08 08 02 20 00 30 01 38 02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Marshal(tt.msg)
			if want := hextest.Bytes(t, tt.want); !bytes.Equal(got, want) {
				t.Fatalf("Marshal = % x, want % x", got, want)
			}
			// round trip
			back := reflect.New(reflect.TypeOf(tt.msg))
			if err := Unmarshal(got, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(Marshal(back.Interface()), got) {
				t.Fatalf("round trip changed the bytes")
			}
		})
	}
}

func TestUnmarshalPackedAndUnknown(t *testing.T) {
	// address_n packed (field 1, wire type 2), an unknown field 99 (varint)
	// and an unknown fixed64 field 98 are accepted.
	b := hextest.Bytes(t, "0a 06 ac80808008 00 98 06 07 91 06 0102030405060708 12 07 426974636f696e")
	var m GetAddress
	if err := Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m.AddressN, []uint32{0x8000002c, 0}) || m.CoinName != "Bitcoin" {
		t.Fatalf("got %+v", m)
	}
}

func TestUnmarshalMalformed(t *testing.T) {
	tests := []struct {
		name string
		in   string
		msg  any
		want error
	}{
		{"bad varint in value", "08 ffffffffffffffffffff01", &GetAddress{}, ErrVarint},
		{"bad varint in tag", "ffffffffffffffffffffff", &GetAddress{}, ErrVarint},
		{"wrong wire type", "0d 01020304", &GetAddress{}, ErrWireType},
		{"string as varint", "10 05", &GetAddress{}, ErrWireType},
		{"truncated string", "12 07 426974", &GetAddress{}, ErrTruncated},
		{"truncated varint", "08 80", &GetAddress{}, ErrTruncated},
		{"truncated nested", "0a 0c 08 00", &PublicKey{}, ErrTruncated},
		{"out of range", "08 8080808010", &GetAddress{}, ErrRange},
		{"required missing", "", &Address{}, ErrRequired},
		{"nested required missing", "0a 00 12 01 78", &PublicKey{}, ErrRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Unmarshal(hextest.Bytes(t, tt.in), tt.msg)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// Packets per common/protob/protocol.md: "?##", type, length, then "?"
// continuations, zero-padded.
func TestEncodePackets(t *testing.T) {
	p, err := Encode(TypeGetFeatures, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := append(hextest.Bytes(t, "3f2323 0037 00000000"), make([]byte, 55)...)
	if len(p) != 1 || !bytes.Equal(p[0], want) {
		t.Fatalf("GetFeatures packet % x", p)
	}

	payload := make([]byte, 55+63+1)
	for i := range payload {
		payload[i] = byte(i)
	}
	p, err = Encode(TypeTxAck, payload)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 3 {
		t.Fatalf("%d packets, want 3", len(p))
	}
	if !bytes.Equal(p[0][:9], hextest.Bytes(t, "3f2323 0016 00000077")) || p[0][9] != 0 || p[0][63] != 54 {
		t.Fatalf("first packet % x", p[0])
	}
	if p[1][0] != '?' || p[1][1] != 55 || p[1][63] != 117 {
		t.Fatalf("second packet % x", p[1])
	}
	if p[2][0] != '?' || p[2][1] != 118 || !bytes.Equal(p[2][2:], make([]byte, 62)) {
		t.Fatalf("last packet % x", p[2])
	}
	for _, pk := range p {
		if len(pk) != PacketSize {
			t.Fatalf("packet of %d bytes", len(pk))
		}
	}
	var d Decoder
	for i, pk := range p {
		typ, got, done, err := d.Add(pk)
		if err != nil {
			t.Fatal(err)
		}
		if done != (i == 2) {
			t.Fatalf("done=%v at packet %d", done, i)
		}
		if done && (typ != TypeTxAck || !bytes.Equal(got, payload)) {
			t.Fatalf("decoded %d % x", typ, got)
		}
	}
}

func TestDecodeBadPackets(t *testing.T) {
	var d Decoder
	if _, _, _, err := d.Add(hextest.Bytes(t, "3f2424 0000 00000000")); !errors.Is(err, ErrMagic) {
		t.Fatalf("bad magic: %v", err)
	}
	if _, _, _, err := d.Add(hextest.Bytes(t, "3f23")); !errors.Is(err, ErrShort) {
		t.Fatalf("short: %v", err)
	}
	if _, _, _, err := d.Add(hextest.Bytes(t, "3f2323 0000 7fffffff")); !errors.Is(err, ErrTooLong) {
		t.Fatalf("too long: %v", err)
	}
	// a first packet that wants more, then a continuation without "?"
	if _, _, done, err := d.Add(append(hextest.Bytes(t, "3f2323 0000 00000040"), make([]byte, 55)...)); err != nil || done {
		t.Fatal(err, done)
	}
	if _, _, _, err := d.Add(make([]byte, 64)); !errors.Is(err, ErrMagic) {
		t.Fatalf("continuation: %v", err)
	}
}

func TestBridgeEncoding(t *testing.T) {
	b := EncodeBridge(TypeGetAddress, []byte{1, 2})
	if !bytes.Equal(b, hextest.Bytes(t, "001d 00000002 0102")) {
		t.Fatalf("% x", b)
	}
	typ, p, err := DecodeBridge(b)
	if err != nil || typ != TypeGetAddress || !bytes.Equal(p, []byte{1, 2}) {
		t.Fatal(typ, p, err)
	}
	if _, _, err := DecodeBridge(hextest.Bytes(t, "001d 00000003 0102")); !errors.Is(err, ErrFrame) {
		t.Fatalf("length mismatch: %v", err)
	}
}

// A message of several packets crosses a packet-preserving pipe intact.
func TestPacketLinkRoundTrip(t *testing.T) {
	a, b := transport.MemPipe()
	la, lb := NewPacketLink(a), NewPacketLink(b)
	defer la.Close()
	payload := bytes.Repeat([]byte{0x5a}, 500)
	ctx := t.Context()
	go func() { _ = la.Write(ctx, TypeTxAck, payload) }()
	typ, got, err := lb.Read(ctx)
	if err != nil || typ != TypeTxAck || !bytes.Equal(got, payload) {
		t.Fatal(typ, len(got), err)
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(Marshal(TxAck{Tx: TransactionType{Inputs: []TxInput{{PrevHash: []byte{1}, Amount: 5}}}}))
	f.Add(Marshal(Features{Vendor: "trezor.io", MajorVersion: 1, Capabilities: []uint32{1}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m TxAck
		if err := Unmarshal(b, &m); err != nil {
			return
		}
		var back TxAck
		if err := Unmarshal(Marshal(m), &back); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
	})
}

// FuzzDecoder: any sequence of packets either decodes, errs, or waits for
// more; a decoded message re-encodes to packets that decode the same.
func FuzzDecoder(f *testing.F) {
	p, _ := Encode(TypeFeatures, bytes.Repeat([]byte{7}, 70))
	f.Add(bytes.Join(p, nil))
	f.Add([]byte("?##\x00\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Decoder
		for len(b) > 0 {
			n := min(len(b), PacketSize)
			typ, payload, done, err := d.Add(b[:n])
			b = b[n:]
			if err != nil {
				d = Decoder{}
				continue
			}
			if done {
				again, err := Encode(typ, payload)
				if err != nil {
					t.Fatal(err)
				}
				var d2 Decoder
				for i, pk := range again {
					t2, p2, ok, err := d2.Add(pk)
					if err != nil || ok != (i == len(again)-1) || (ok && (t2 != typ || !bytes.Equal(p2, payload))) {
						t.Fatalf("re-encoding does not decode the same: %v", err)
					}
				}
			}
		}
	})
}
