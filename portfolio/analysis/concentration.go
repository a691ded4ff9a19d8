package analysis

import (
	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Concentration is the allocation along one dimension with its
// Herfindahl-Hirschman index, HHI = Σ wᵢ² over the groups' shares, and
// the effective number of groups, 1/HHI: 1 when everything is in one
// group, n when n groups hold equal shares.
type Concentration struct {
	Dimension  portfolio.Dimension
	Slices     []portfolio.Slice // largest first; values add up to the net worth
	Herfindahl float64
	Effective  float64 // 0 when nothing has a value
}

// ConcentrationDimensions are the dimensions Concentrations measures, in
// order.
var ConcentrationDimensions = []portfolio.Dimension{
	portfolio.ByClass, portfolio.ByAsset, portfolio.ByCustodyKind,
	portfolio.ByCustodian, portfolio.ByJurisdiction, portfolio.ByCurrency,
}

// Concentrations measures v along every ConcentrationDimensions entry.
// Unpriced holdings have no value and so no weight.
func Concentrations(v *portfolio.Valuation) []Concentration {
	out := make([]Concentration, 0, len(ConcentrationDimensions))
	for _, d := range ConcentrationDimensions {
		c := Concentration{Dimension: d, Slices: v.Allocation(d)}
		c.Herfindahl, c.Effective = herfindahl(c.Slices)
		out = append(out, c)
	}
	return out
}

func herfindahl(slices []portfolio.Slice) (hhi, effective float64) {
	for _, s := range slices {
		w := s.Weight.InexactFloat64()
		hhi += w * w
	}
	if hhi > 0 {
		effective = 1 / hhi
	}
	return hhi, effective
}
