package stress

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"codeberg.org/hardfolio/hardfolio/portfolio"
)

// Kind is "historical" for a replay of the bundled history, "custody"
// for custody events alone (prices do not move), "hypothetical" for
// stated market shocks.
func Kind(s *Scenario) string {
	switch {
	case s.Replay():
		return "historical"
	case len(s.Moves) == 0:
		return "custody"
	}
	return "hypothetical"
}

// Share is part over whole to 12 places, zero when whole is not
// positive: the change of a result as a share of its day-0 value.
func Share(part, whole decimal.Decimal) decimal.Decimal {
	if whole.Sign() <= 0 {
		return decimal.Zero
	}
	return part.DivRound(whole, 12)
}

// Parameters states a scenario's parameters in words, one line each:
// the replay window, the moves and the custody events.
func Parameters(s *Scenario) []string {
	var out []string
	if s.Replay() {
		w := fmt.Sprintf("Replay of the bundled monthly history from %s to %s", s.From, s.To)
		if s.HomeAs != "" {
			w += "; your home currency follows " + s.HomeAs
		}
		out = append(out, w)
		if s.Missing != "" {
			out = append(out, "Bitcoin: "+s.Missing)
		}
	}
	for _, m := range s.Moves {
		out = append(out, "Move: "+MoveWords(m))
	}
	for i := range s.Events {
		out = append(out, "Event: "+EventWords(&s.Events[i]))
	}
	return out
}

// MoveWords states a move: "BTC −80% against everything not moved".
func MoveWords(m portfolio.Move) string {
	what := m.Asset
	switch {
	case m.Class != "":
		what = "all " + m.Class
	case m.Asset == portfolio.JurisdictionHome:
		what = "your home currency"
	}
	return fmt.Sprintf("%s %s%s", what, sign(m.Change), pct(m.Change.Abs()))
}

func sign(d decimal.Decimal) string {
	if d.IsNegative() {
		return "−"
	}
	return "+"
}

// EventWords states a custody event and whom it hits.
func EventWords(e *portfolio.CustodyEvent) string {
	var what string
	switch e.Kind {
	case portfolio.EventFreeze:
		what = "frozen for " + days(e.Days)
		if e.Indefinite {
			what = "frozen indefinitely"
		}
	case portfolio.EventLoss:
		what = pct(e.Share) + " lost"
		if e.Recovery.IsPositive() {
			what += fmt.Sprintf(", %s of it back after %s", pct(e.Recovery), days(e.RecoveryDays))
		}
	case portfolio.EventBailIn:
		what = fmt.Sprintf("bail-in: %s of deposits above the insurance cap cut", pct(e.Share))
		if e.Days > 0 {
			what += ", all deposits frozen for " + days(e.Days)
		}
	case portfolio.EventConfiscation:
		what = "bought back at the day-0 value"
		if e.Price.IsPositive() {
			what = fmt.Sprintf("bought back at %s %s a fine ounce (a BTC, a unit)", e.Price, e.PriceCurrency)
		}
		if e.Days > 0 {
			what += ", paid after " + days(e.Days)
		}
	default:
		what = string(e.Kind)
	}
	return scopeWords(e) + ": " + what
}

func scopeWords(e *portfolio.CustodyEvent) string {
	var parts []string
	if len(e.Assets) > 0 {
		s := make([]string, len(e.Assets))
		for i, k := range e.Assets {
			s[i] = string(k)
		}
		parts = append(parts, strings.Join(s, ", "))
	} else {
		parts = append(parts, "everything")
	}
	if len(e.CustodyKinds) > 0 {
		parts = append(parts, "at "+joinKinds(e.CustodyKinds))
	}
	if len(e.Custodians) > 0 {
		parts = append(parts, "with "+strings.Join(e.Custodians, ", "))
	}
	if len(e.Jurisdictions) > 0 {
		s := make([]string, len(e.Jurisdictions))
		for i, j := range e.Jurisdictions {
			switch j {
			case portfolio.JurisdictionHome:
				s[i] = "in your home country"
			case portfolio.JurisdictionForeign:
				s[i] = "abroad"
			default:
				s[i] = "in " + j
			}
		}
		parts = append(parts, strings.Join(s, " or "))
	}
	return strings.Join(parts, " ")
}
