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
// temporary folder when none is configured) and returns it.
func writeReports(r types.Report, cfg Config) (string, error) {
	dir := cfg.ReportDir
	if dir == "" {
		d, err := os.MkdirTemp("", "refreshconf-report-"+time.Now().Format("20060102-150405")+"-")
		if err != nil {
			return "", fmt.Errorf("creating a report folder: %w", err)
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("report folder %q: %w", dir, err)
	}
	if _, err := report.WriteAll(abs, r, true); err != nil {
		return "", err
	}
	return abs, nil
}
