package catalogue

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/refreshconf/refreshconf/fixtures/codes"
	"github.com/refreshconf/refreshconf/fixtures/profile"
)

// seedFile is a verbatim copy of the normative seed table (NetSuite's
// "Refresh Token Request Error Messages in the Login Audit Trail").
const seedFile = "testdata/refresh-token-audit-errors.txt"

// seedRow is one row of the seed table as its text gives it.
type seedRow struct {
	N                   int
	Problem, Resolution string
	Code                string // the Detail value, literally as written
}

// codeLine is a Detail value: a CamelCase word of at least two humps
// (which the header words "Problem" and "Resolution" and the bullets are not).
var codeLine = regexp.MustCompile(`^[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+$`)

// parseSeed reads the seed table's rows: after the header's "Resolution",
// each Detail line closes the problem text above it and opens the
// resolution paragraph below it; a "Warning:" block belongs to neither.
func parseSeed(path string) ([]seedRow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		rows    []seedRow
		problem []string
		inTable bool
		wantRes bool // the next paragraph is the last row's resolution
		warning bool // inside a Warning: block (its heading and paragraph)
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "•"))
		switch {
		case line == "":
			continue
		case !inTable:
			inTable = line == "Resolution"
		case line == "Related Topics":
			return rows, sc.Err()
		case wantRes:
			rows[len(rows)-1].Resolution, wantRes = line, false
		case line == "Warning:":
			warning = true
		case warning:
			warning = false
		case codeLine.MatchString(line):
			rows = append(rows, seedRow{N: len(rows) + 1, Problem: strings.Join(problem, " "), Code: line})
			problem, wantRes = nil, true
		default:
			problem = append(problem, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: no \"Related Topics\" after the table", path)
}

// seedCause names, per row, words that must appear both in the row's own
// text (problem or resolution) and in the name of the scenario that
// crafts it: the scenario crafts what the row describes.
var seedCause = map[int][]string{
	1: {"expired"}, 2: {"role"}, 3: {"signature"}, 4: {"integration"}, 5: {"scope", "match"},
	6: {"authorization code grant"}, 7: {"empty", "scope"}, 8: {"inactive"}, 9: {"client secret"},
	10: {"grant type"}, 11: {"access token"}, 12: {"feature"}, 13: {"blocked"},
}

// TestSeedFidelity reads the verbatim seed table and checks every row
// against the catalogue: the core seed scenario of that row expects,
// literally, the code the row's text gives (a string comparison with the
// text, so a misspelt constant in fixtures/codes fails here); the scenario
// cites the row and crafts the row's cause; fixtures/codes cites the row.
func TestSeedFidelity(t *testing.T) {
	rows, err := parseSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 {
		t.Fatalf("%s: parsed %d rows, want the seed's 13: %+v", seedFile, len(rows), rows)
	}
	byRow := map[int]*Scenario{}
	for _, s := range All() {
		if s.SeedRow > 0 {
			if byRow[s.SeedRow] != nil {
				t.Errorf("seed row %d is crafted by %s and %s", s.SeedRow, byRow[s.SeedRow].ID, s.ID)
			}
			byRow[s.SeedRow] = s
		}
	}
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "_", " ") }
	for _, r := range rows {
		s := byRow[r.N]
		if s == nil {
			t.Errorf("seed row %d (%s: %q) has no scenario", r.N, r.Code, r.Problem)
			continue
		}
		if string(s.Code) != r.Code {
			t.Errorf("seed row %d says %q, but %s expects %q (a misspelt code in fixtures/codes?)", r.N, r.Code, s.ID, string(s.Code))
		}
		if s.Level != Core || s.Family != FamilySeed {
			t.Errorf("%s: seed rows are core scenarios of family seed, got %s/%s", s.ID, s.Family, s.Level)
		}
		if !strings.Contains(s.Source, fmt.Sprintf("seed row %d", r.N)) {
			t.Errorf("%s: Source %q does not cite seed row %d", s.ID, s.Source, r.N)
		}
		if !strings.Contains(s.Name, r.Code) {
			t.Errorf("%s: name %q does not name the row's code %s", s.ID, s.Name, r.Code)
		}
		for _, w := range seedCause[r.N] {
			if !strings.Contains(norm(r.Problem+" "+r.Resolution), w) {
				t.Errorf("seed row %d's text does not mention %q (fix seedCause): %q / %q", r.N, w, r.Problem, r.Resolution)
			}
			if !strings.Contains(norm(s.Name), w) {
				t.Errorf("%s %q does not craft seed row %d's cause %q (%q)", s.ID, s.Name, r.N, w, r.Problem)
			}
		}
		info, ok := codes.Lookup(codes.Code(r.Code))
		switch {
		case !ok:
			t.Errorf("seed row %d's code %q is not in fixtures/codes", r.N, r.Code)
		case info.Origin != codes.OriginSeed || !strings.Contains(info.Cite, fmt.Sprint(r.N)):
			t.Errorf("fixtures/codes %s: origin %s, cite %q; want seed, citing row %d", r.Code, info.Origin, info.Cite, r.N)
		}
		if !strings.HasPrefix(Provenance(codes.Code(r.Code)), "documented: "+r.Code) {
			t.Errorf("seed row %d: provenance %q, want documented", r.N, Provenance(codes.Code(r.Code)))
		}
	}
}

// TestParseSeedRows pins the parser on the table's shape: bulleted
// problems, a Warning block, the two EntityOrRoleDisabled rows.
func TestParseSeedRows(t *testing.T) {
	rows, err := parseSeed(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 13 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, c := range []struct {
		n             int
		code, problem string
	}{
		{1, "RefreshTokenExpired", "The access token is expired."},
		{2, "EntityOrRoleDisabled", "At least one of the following is invalid: Entity Contact Role"},
		{4, "InvalidIntegration", "The integration application ID is invalid."},
		{8, "EntityOrRoleDisabled", "Role or entity is inactive."},
		{13, "IntegrationBlocked", "The integration record is blocked."},
	} {
		r := rows[c.n-1]
		if r.Code != c.code || r.Problem != c.problem {
			t.Errorf("row %d = %q %q, want %q %q", c.n, r.Code, r.Problem, c.code, c.problem)
		}
	}
}

// TestCraftedSlots: every pre-made token slot stands in for the signing
// key of exactly one scenario that needs the key.
func TestCraftedSlots(t *testing.T) {
	used := map[string]string{}
	for id, slot := range craftedSlots {
		s, ok := ByID(id)
		if !ok || !slices.Contains(s.Needs, SigningKey) {
			t.Errorf("slot %s: scenario %s does not exist or does not need the signing key", slot, id)
		}
		if prev, dup := used[slot]; dup {
			t.Errorf("slot %s serves %s and %s", slot, prev, id)
		}
		used[slot] = id
	}
	for _, slot := range profile.CraftedSlots() {
		if used[slot] == "" {
			t.Errorf("slot %s serves no scenario", slot)
		}
	}
}
