package report

import (
	"slices"
	"strings"
)

// stateRank orders states as States lists them (failures first); unknown
// states go last.
func stateRank(s string) int {
	for i, info := range States() {
		if string(info.State) == s {
			return i
		}
	}
	return len(States())
}

// sortScenarios orders scenarios by family (report order), then ID.
func sortScenarios(l []ScenarioResult) {
	slices.SortStableFunc(l, func(a, b ScenarioResult) int {
		if fa, fb := slices.Index(families, a.Family), slices.Index(families, b.Family); fa != fb {
			if fa < 0 || fb < 0 {
				return fb - fa // unknown families last
			}
			return fa - fb
		}
		return strings.Compare(a.ID, b.ID)
	})
}
