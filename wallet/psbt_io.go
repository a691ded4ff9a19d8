package wallet

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/wire"

	"codeberg.org/hardfolio/hardfolio/portfolio/store/atomicfile"
)

// MaxPSBTSize bounds what ReadPSBT accepts, in bytes (binary or base64).
// A PSBT carries the full previous transaction of each input, so it can be
// large, but not this large.
const MaxPSBTSize = 32 << 20

// ErrBadPSBT marks data that is not a valid PSBT (version 0).
var ErrBadPSBT = errors.New("not a valid PSBT")

// psbtMagic starts every binary PSBT.
var psbtMagic = []byte("psbt\xff")

// Format is how a PSBT is written.
type Format int

const (
	Base64 Format = iota // base64 text, as wallets and HWI exchange PSBTs
	Binary               // raw BIP 174 bytes (".psbt" files)
)

// ReadPSBT reads a PSBT in either form, binary or base64 text (surrounding
// white space allowed), and checks it: errors wrap ErrBadPSBT.
func ReadPSBT(r io.Reader) (*psbt.Packet, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxPSBTSize+1))
	if err != nil {
		return nil, err
	}
	return ParsePSBT(data)
}

// ParsePSBT is ReadPSBT on bytes.
func ParsePSBT(data []byte) (*psbt.Packet, error) {
	if len(data) > MaxPSBTSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBadPSBT, MaxPSBTSize)
	}
	raw := data
	if !bytes.HasPrefix(data, psbtMagic) {
		text := bytes.TrimSpace(data)
		raw = make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(raw, text)
		if err != nil {
			return nil, fmt.Errorf("%w: neither binary nor base64: %v", ErrBadPSBT, err)
		}
		raw = raw[:n]
	}
	p, err := parsePacket(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPSBT, err)
	}
	return p, nil
}

// parsePacket decodes binary PSBT bytes. The parser of the psbt package
// can panic on some malformed input; that is turned into an error.
func parsePacket(raw []byte) (p *psbt.Packet, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("malformed: %v", r)
		}
	}()
	p, err = psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		return nil, err
	}
	if err := checkGlobalTx(raw); err != nil {
		return nil, err
	}
	if err := checkPacket(p); err != nil {
		return nil, err
	}
	return p, nil
}

// checkGlobalTx checks that the unsigned transaction fills its value
// exactly: the parser of the psbt package ignores bytes left after it.
// raw has already been parsed, so its global map is well formed.
func checkGlobalTx(raw []byte) error {
	r := bytes.NewReader(raw[len(psbtMagic):])
	for {
		klen, err := wire.ReadVarInt(r, 0)
		if err != nil || klen == 0 {
			return nil
		}
		if klen > uint64(r.Len()) {
			return nil
		}
		key := make([]byte, klen)
		_, _ = io.ReadFull(r, key)
		value, err := wire.ReadVarBytes(r, 0, MaxPSBTSize, "PSBT value")
		if err != nil {
			return nil
		}
		if len(key) == 1 && key[0] == 0 {
			vr := bytes.NewReader(value)
			var tx wire.MsgTx
			if err := tx.DeserializeNoWitness(vr); err != nil {
				return fmt.Errorf("unsigned transaction: %v", err)
			}
			if vr.Len() != 0 {
				return fmt.Errorf("unsigned transaction is %d bytes shorter than its stated size", vr.Len())
			}
			return nil
		}
	}
}

// checkPacket applies the BIP 174 rules the parser leaves out.
func checkPacket(p *psbt.Packet) error {
	for i, in := range p.Inputs {
		op := p.UnsignedTx.TxIn[i].PreviousOutPoint
		if in.NonWitnessUtxo != nil && in.NonWitnessUtxo.TxHash() != op.Hash {
			return fmt.Errorf("input %d: NON_WITNESS_UTXO is not the transaction the input spends", i)
		}
	}
	return nil
}

// WritePSBT writes p in the given format.
func WritePSBT(w io.Writer, p *psbt.Packet, f Format) error {
	var b bytes.Buffer
	if err := p.Serialize(&b); err != nil {
		return err
	}
	if f == Base64 {
		_, err := io.WriteString(w, base64.StdEncoding.EncodeToString(b.Bytes()))
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ReadPSBTFile reads a PSBT file, binary or base64.
func ReadPSBTFile(path string) (*psbt.Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := ReadPSBT(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// WritePSBTFile writes p to path atomically (base64 text ends with a
// newline).
func WritePSBTFile(path string, p *psbt.Packet, f Format) error {
	var b bytes.Buffer
	if err := WritePSBT(&b, p, f); err != nil {
		return err
	}
	if f == Base64 {
		b.WriteByte('\n')
	}
	return atomicfile.Write(path, b.Bytes(), 0o600)
}

// SignedPSBTPath is where a signed copy of the PSBT file path goes when
// no other name is given: FILE.psbt becomes FILE.signed.psbt, any other
// name gets .signed.psbt appended. Signing never writes over the file it
// read.
func SignedPSBTPath(path string) string {
	if ext := filepath.Ext(path); ext == ".psbt" {
		return strings.TrimSuffix(path, ext) + ".signed.psbt"
	}
	return path + ".signed.psbt"
}
