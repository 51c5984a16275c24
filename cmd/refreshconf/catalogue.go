package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/onsi/ginkgo/v2/types"
	"github.com/spf13/cobra"

	"github.com/refreshconf/refreshconf/suites/catalogue"
)

// catalogueRow is one scenario as `refreshconf catalogue` prints it.
type catalogueRow struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Family string `json:"family"`
	Level  string `json:"level"`
	Code   string `json:"code"`
	Seed   int    `json:"seed_row,omitempty"`
	// Provenance says where the expected code comes from: documented (a
	// seed row or a NetSuite table, cited) or reference (the reference
	// target's own choice), with the accepted alternatives and why.
	Provenance string   `json:"provenance"`
	Accept     []string `json:"accept,omitempty"`
	Needs      []string `json:"needs"`
	Source     string   `json:"source"`
	Labels     []string `json:"labels"`
}

func newCatalogueCmd() *cobra.Command {
	var format, labelFilter string
	cmd := &cobra.Command{
		Use:   "catalogue [--format table|markdown|json] [--label-filter EXPR]",
		Short: "Print every scenario: ID, family, level, audit code, fixtures needed and source",
		Long: `Catalogue prints every scenario of the catalogue. With --label-filter it
prints only the scenarios a run with the same Ginkgo label filter would
select (a preview of 'refreshconf run --label-filter EXPR').`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := catalogue.Validate(); err != nil {
				return err
			}
			rows, err := filterRows(catalogueRows(), labelFilter)
			if err != nil {
				return err
			}
			switch format {
			case "table":
				if err := writeCatalogueTable(cmd.OutOrStdout(), rows); err != nil {
					return err
				}
				if labelFilter != "" {
					_, err := fmt.Fprintf(cmd.OutOrStdout(), "selected by --label-filter %q: %d of %d scenarios\n", labelFilter, len(rows), len(catalogue.All()))
					return err
				}
				return nil
			case "markdown", "md":
				return writeCatalogueMarkdown(cmd.OutOrStdout(), rows)
			case "json":
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			return usageError{fmt.Errorf("--format %q: want table, markdown or json", format)}
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, markdown or json")
	cmd.Flags().StringVar(&labelFilter, "label-filter", "", "print only the scenarios Ginkgo label filter `EXPR` selects, e.g. 'family:seed', 'code:InvalidSignature && level:core'")
	return cmd
}

// filterRows keeps the rows whose labels Ginkgo's label filter expr
// selects (all rows for an empty expr).
func filterRows(rows []catalogueRow, expr string) ([]catalogueRow, error) {
	if expr == "" {
		return rows, nil
	}
	match, err := types.ParseLabelFilter(expr)
	if err != nil {
		return nil, usageError{fmt.Errorf("--label-filter %q: %w", expr, err)}
	}
	var out []catalogueRow
	for _, r := range rows {
		if match(r.Labels) {
			out = append(out, r)
		}
	}
	return out, nil
}

func catalogueRows() []catalogueRow {
	var rows []catalogueRow
	for _, s := range catalogue.All() {
		code := string(s.Code)
		if code == "" {
			code = "Success"
		}
		needs := make([]string, len(s.Needs))
		for i, n := range s.Needs {
			needs[i] = n.String()
		}
		var accept []string
		for _, c := range s.Accept {
			accept = append(accept, string(c))
		}
		rows = append(rows, catalogueRow{ID: s.ID, Name: s.Name, Family: string(s.Family), Level: string(s.Level), Code: code, Seed: s.SeedRow, Needs: needs, Source: s.Source, Labels: s.Labels(), Provenance: s.CodeProvenance(), Accept: accept})
	}
	return rows
}

func writeCatalogueTable(w io.Writer, rows []catalogueRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFAMILY\tLEVEL\tCODE\tPROVENANCE\tNEEDS\tSCENARIO")
	for _, r := range rows {
		code := strings.Join(append([]string{r.Code}, r.Accept...), "|")
		prov, _, _ := strings.Cut(r.Provenance, ":")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Family, r.Level, code, prov, strings.Join(r.Needs, ","), r.Name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d scenarios\n", len(rows))
	return err
}

func writeCatalogueMarkdown(w io.Writer, rows []catalogueRow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# refreshconf catalogue (%d scenarios)\n\n", len(rows))
	b.WriteString("| ID | Family | Level | Audit code | Code provenance | Seed row | Needs | Scenario | Source |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		seed := ""
		if r.Seed > 0 {
			seed = fmt.Sprint(r.Seed)
		}
		code := strings.Join(append([]string{r.Code}, r.Accept...), "` or `")
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s | %s | %s | %s |\n", r.ID, r.Family, r.Level, code, strings.ReplaceAll(r.Provenance, "|", `\|`), seed,
			strings.Join(r.Needs, ", "), strings.ReplaceAll(r.Name, "|", `\|`), strings.ReplaceAll(r.Source, "|", `\|`))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
