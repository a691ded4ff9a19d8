package wallets

import (
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrModules returns the QR code of text as rows of modules, true for
// dark, without a quiet zone. Bech32 addresses are written in upper case
// in a bitcoin: URI (BIP 21 allows it), which the encoder packs in its
// denser alphanumeric mode and so fits a smaller code.
func qrModules(text string) ([][]bool, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// bitcoinURI is the BIP 21 URI of an address, upper case when the address
// is bech32.
func bitcoinURI(addr string) string {
	lower := strings.ToLower(addr)
	for _, hrp := range []string{"bc1", "tb1", "bcrt1"} {
		if strings.HasPrefix(lower, hrp) {
			return "BITCOIN:" + strings.ToUpper(addr)
		}
	}
	return "bitcoin:" + addr
}

// qrSize is the width and height in cells of a code of n modules with a
// quiet zone of quiet modules on each side: one cell per module across,
// two modules per cell down.
func qrSize(n, quiet int) (w, h int) {
	m := n + 2*quiet
	return m, (m + 1) / 2
}

// drawQR draws modules with half blocks, two rows of modules per line,
// with a quiet zone of quiet modules. lightBlocks draws the light modules
// as blocks (for light text on a dark background) and the dark ones as
// spaces; otherwise the other way round. The characters alone carry the
// code, so it needs no colour.
func drawQR(mods [][]bool, quiet int, lightBlocks bool) []string {
	n := len(mods)
	size := n + 2*quiet
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		return mods[y][x]
	}
	// ink tells whether a module is drawn as a block.
	ink := func(x, y int) bool {
		if y >= size {
			// Below the code: the background, whatever it is.
			return false
		}
		return dark(x, y) != lightBlocks
	}
	lines := make([]string, 0, (size+1)/2)
	var b strings.Builder
	for y := 0; y < size; y += 2 {
		b.Reset()
		for x := 0; x < size; x++ {
			top, bottom := ink(x, y), ink(x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}
