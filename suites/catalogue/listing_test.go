package catalogue

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "regenerate the pinned catalogue (CATALOGUE.md)")

// pinnedPath is the pinned catalogue, at the repository root.
var pinnedPath = filepath.Join("..", "..", "CATALOGUE.md")

// TestPinnedCatalogue fails when the catalogue and CATALOGUE.md differ:
// a scenario added, removed or renamed, or an expected code, provenance or
// need changed, is a change to the checked-in listing that a reviewer sees.
func TestPinnedCatalogue(t *testing.T) {
	got := Listing()
	if *update {
		if err := os.WriteFile(pinnedPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(pinnedPath)
	if err != nil {
		t.Fatalf("reading the pinned catalogue: %v (generate it with go test ./suites/catalogue -run TestPinnedCatalogue -update)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Errorf("CATALOGUE.md line %d differs from the catalogue:\n  pinned: %s\n  code:   %s", i+1, w, g)
		}
	}
	t.Errorf("the catalogue no longer matches CATALOGUE.md: review the change, then regenerate it with go test ./suites/catalogue -run TestPinnedCatalogue -update")
}

// TestPinnedCatalogueCatchesAChange: the comparison fails when one
// expected code changes (the listing is not blind to it).
func TestPinnedCatalogueCatchesAChange(t *testing.T) {
	all := All()
	before := string(listing(all))
	changed := *all[0]
	changed.Code = "SomethingElse"
	if string(listing(append([]*Scenario{&changed}, all[1:]...))) == before {
		t.Errorf("changing %s's expected code does not change the listing", changed.ID)
	}
	if string(listing(all[1:])) == before {
		t.Errorf("removing %s does not change the listing", all[0].ID)
	}
}
