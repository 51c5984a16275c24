package framework

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/refreshconf/refreshconf/fixtures/profile"
	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// deviationsFile is the file --known-deviations reads: the same list as a
// profile's known_deviations.
type deviationsFile struct {
	KnownDeviations []profile.KnownDeviation `yaml:"known_deviations"`
}

// LoadDeviations reads a known-deviations file:
//
//	known_deviations:
//	  - id: ROT-02
//	    reason: "concurrent reuse not detected (ticket AUTH-123)"
//
// Unknown keys, an unknown scenario ID, a duplicate or a missing reason are
// errors naming the entry.
func LoadDeviations(path string) ([]profile.KnownDeviation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--known-deviations %s: %w", path, err)
	}
	var f deviationsFile
	if err := yaml.UnmarshalWithOptions(b, &f, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("--known-deviations %s: %w (want known_deviations: [{id: ID, reason: WHY}, ...])", path, err)
	}
	if err := checkDeviations("--known-deviations "+path, f.KnownDeviations); err != nil {
		return nil, err
	}
	return f.KnownDeviations, nil
}

// checkDeviations refuses a known deviation that names no scenario of the
// catalogue, is declared twice or gives no reason.
func checkDeviations(where string, ds []profile.KnownDeviation) error {
	idx := catalogue.Index()
	seen := map[string]bool{}
	var errs []error
	for i, d := range ds {
		switch {
		case idx[d.ID] == nil:
			errs = append(errs, fmt.Errorf("%s: known_deviations[%d]: %q is not a scenario ID (see refreshconf catalogue)", where, i, d.ID))
		case seen[d.ID]:
			errs = append(errs, fmt.Errorf("%s: known_deviations[%d]: %s is declared twice", where, i, d.ID))
		case strings.TrimSpace(d.Reason) == "":
			errs = append(errs, fmt.Errorf("%s: known_deviations[%d]: %s has no reason: say why it is known to fail (a ticket, a decision)", where, i, d.ID))
		}
		seen[d.ID] = true
	}
	return errors.Join(errs...)
}

// deviations returns the known deviations of a run by scenario ID: the
// profile's and those of the --known-deviations file.
func deviations(p *profile.Profile, cfg Config) (map[string]string, error) {
	out := map[string]string{}
	for _, d := range p.KnownDeviations {
		out[d.ID] = d.Reason
	}
	if cfg.KnownDeviations == "" {
		return out, nil
	}
	ds, err := LoadDeviations(cfg.KnownDeviations)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		out[d.ID] = d.Reason
	}
	return out, nil
}
