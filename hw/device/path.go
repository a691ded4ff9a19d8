package device

import (
	"fmt"
	"strconv"
	"strings"
)

// Hardened is the bit that marks a hardened derivation step.
const Hardened uint32 = 0x80000000

// ParsePath reads a BIP 32 path such as "m/84h/0h/0h" or "84'/0'/0'/0/5":
// hardened steps end in h, H or ', and the leading "m/" is optional.
func ParsePath(s string) ([]uint32, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "m"), "/")
	if s == "" {
		return nil, nil
	}
	var path []uint32
	for _, step := range strings.Split(s, "/") {
		h := uint32(0)
		if n := len(step); n > 0 && (step[n-1] == 'h' || step[n-1] == 'H' || step[n-1] == '\'') {
			h, step = Hardened, step[:n-1]
		}
		v, err := strconv.ParseUint(step, 10, 31)
		if err != nil || (len(step) > 1 && step[0] == '0') {
			return nil, fmt.Errorf("invalid path step %q in %q", step, s)
		}
		path = append(path, uint32(v)|h)
	}
	return path, nil
}

// FormatPath writes a path as "m/84h/0h/0h".
func FormatPath(path []uint32) string {
	var b strings.Builder
	b.WriteString("m")
	for _, p := range path {
		b.WriteString("/" + strconv.FormatUint(uint64(p&^Hardened), 10))
		if p&Hardened != 0 {
			b.WriteString("h")
		}
	}
	return b.String()
}
