package descriptor

import "strings"

// The BIP 380 descriptor checksum: a BCH code over the descriptor's
// characters, written as 8 characters of the bech32 alphabet after a '#'.
//
// Each character of the descriptor is looked up in inputCharset, which lists
// the allowed characters as 3 groups of 32. Its position within its group is
// one 5-bit symbol; after every 3 characters one more symbol packs their 3
// group numbers (g0*9 + g1*3 + g2), and a final partial group is packed the
// same way. The symbols, followed by 8 zero symbols, are fed through
// polymod; the result XOR 1 is the checksum, 5 bits per character, most
// significant first. A descriptor with its checksum is valid when feeding
// all symbols, the checksum's included, gives 1.

const (
	inputCharset = "0123456789()[],'/*abcdefgh@:$%{}" +
		"IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~" +
		"ijklmnopqrstuvwxyzABCDEFGH`#\"\\ "
	checksumCharset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	checksumLen     = 8
)

// generator holds the BIP 380 generator constants of the BCH code.
var generator = [5]uint64{0xf5dee51989, 0xa9fdca3312, 0x1bab10e32d, 0x3706b1677a, 0x644d626ffd}

// charsetPos maps a byte to its position in inputCharset, or -1.
// checksumPos maps a byte to its value in checksumCharset, or -1.
var charsetPos, checksumPos [256]int16

func init() {
	for i := range charsetPos {
		charsetPos[i] = -1
		checksumPos[i] = -1
	}
	for i := 0; i < len(inputCharset); i++ {
		charsetPos[inputCharset[i]] = int16(i)
	}
	for i := 0; i < len(checksumCharset); i++ {
		checksumPos[checksumCharset[i]] = int16(i)
	}
}

// polymod feeds one 5-bit symbol into the checksum state c.
func polymod(c, symbol uint64) uint64 {
	top := c >> 35
	c = (c&0x7ffffffff)<<5 ^ symbol
	for i := range generator {
		if (top>>i)&1 == 1 {
			c ^= generator[i]
		}
	}
	return c
}

// expandState feeds the symbols of s into a fresh checksum state. It fails
// with the 0-based offset of the first character outside the descriptor
// character set.
func expandState(s string) (uint64, int, bool) {
	c := uint64(1)
	groups, n := uint64(0), 0
	for i := 0; i < len(s); i++ {
		pos := charsetPos[s[i]]
		if pos < 0 {
			return 0, i, false
		}
		c = polymod(c, uint64(pos&31))
		groups = groups*3 + uint64(pos>>5)
		n++
		if n == 3 {
			c = polymod(c, groups)
			groups, n = 0, 0
		}
	}
	if n > 0 {
		c = polymod(c, groups)
	}
	return c, 0, true
}

// Checksum returns the 8-character BIP 380 checksum of desc, a descriptor
// written without "#checksum". It fails with ErrSyntax, at its position,
// for a character outside the descriptor character set.
func Checksum(desc string) (string, error) {
	c, bad, ok := expandState(desc)
	if !ok {
		return "", errAt(bad, ErrSyntax, "character %q is not allowed in a descriptor", runeAt(desc, bad))
	}
	for range checksumLen {
		c = polymod(c, 0)
	}
	c ^= 1
	var out [checksumLen]byte
	for i := range out {
		out[i] = checksumCharset[(c>>(5*(7-i)))&31]
	}
	return string(out[:]), nil
}

// StripChecksum checks the "#checksum" suffix of desc when there is one and
// returns the descriptor without it. A descriptor without '#' is returned as
// is: the checksum is optional. Errors are ErrChecksum (more than one '#',
// a checksum that is not 8 characters of the bech32 alphabet, or a wrong
// one, in which case the message gives the expected checksum) or ErrSyntax
// for a character outside the descriptor character set.
func StripChecksum(desc string) (string, error) {
	hash := strings.IndexByte(desc, '#')
	if hash < 0 {
		return desc, nil
	}
	payload, sum := desc[:hash], desc[hash+1:]
	if j := strings.IndexByte(sum, '#'); j >= 0 {
		return "", errAt(hash+1+j, ErrChecksum, "more than one '#'")
	}
	if len(sum) != checksumLen {
		return "", errAt(hash, ErrChecksum, "checksum after '#' must be %d characters, not %d", checksumLen, len(sum))
	}
	want, err := Checksum(payload)
	if err != nil {
		return "", err
	}
	for i := 0; i < len(sum); i++ {
		if checksumPos[sum[i]] < 0 {
			return "", errAt(hash+1+i, ErrChecksum, "character %q is not in the checksum alphabet (expected checksum %s)", runeAt(sum, i), want)
		}
	}
	if sum != want {
		return "", errAt(hash+1, ErrChecksum, "checksum mismatch: got %s, expected %s", sum, want)
	}
	return payload, nil
}

// runeAt returns the character starting at byte offset i of s, for error
// messages (a lone invalid byte comes back as U+FFFD).
func runeAt(s string, i int) rune {
	for _, r := range s[i:] {
		return r
	}
	return 0
}
