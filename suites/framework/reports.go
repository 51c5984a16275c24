package framework

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/refreshconf/refreshconf/suites/report"
)

// writeReports writes every report of r into the configured folder (a new
// temporary folder when none is configured) and returns the folder and
// the conformance report.
func writeReports(r types.Report, cfg Config) (string, *report.Conformance, error) {
	dir := cfg.ReportDir
	if dir == "" {
		d, err := os.MkdirTemp("", "refreshconf-report-"+time.Now().Format("20060102-150405")+"-")
		if err != nil {
			return "", nil, fmt.Errorf("creating a report folder: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", nil, fmt.Errorf("report folder %q: %w", dir, err)
	}
	c, err := report.WriteAll(abs, r, true)
	if err != nil {
		return "", nil, err
	}
	return abs, c, nil
}
