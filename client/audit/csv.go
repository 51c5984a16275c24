package audit

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxCSVBytes caps the size of an export read by the CSV source.
const maxCSVBytes = 64 << 20

// csvColumn names a NetSuite Login Audit Trail column and where it goes.
type csvColumn struct {
	names    []string // accepted header names, lower case
	required bool
	set      func(*Entry, string)
}

// csvColumns are the columns the CSV source reads. The first name of each
// is NetSuite's.
var csvColumns = []csvColumn{
	{[]string{"date"}, true, nil}, // parsed separately
	{[]string{"user"}, true, func(e *Entry, v string) { e.User = v }},
	{[]string{"role"}, true, func(e *Entry, v string) { e.Role = v }},
	{[]string{"ip address"}, true, func(e *Entry, v string) { e.IPAddress = v }},
	{[]string{"request uri"}, true, func(e *Entry, v string) { e.RequestURI = v }},
	{[]string{"detail"}, true, func(e *Entry, v string) { e.Detail = v }},
	{[]string{"status"}, true, func(e *Entry, v string) { e.Status = v }},
	{[]string{"token-based application name", "token-based application"}, true, func(e *Entry, v string) { e.Application = v }},
	{[]string{"user agent"}, true, func(e *Entry, v string) { e.UserAgent = v }},
	{[]string{"email address", "email"}, false, func(e *Entry, v string) { e.Email = v }},
	{[]string{"account", "account id", "company"}, false, func(e *Entry, v string) { e.Account = v }},
}

// CSVSource reads a NetSuite Login Audit Trail CSV export (Setup >
// Users/Roles > View Login Audit Trail, advanced search with the Detail and
// Token-based Application Name columns added, exported as CSV).
//
// The header row must name Date, User, Role, IP Address, Request URI,
// Detail, Status, Token-based Application Name and User Agent (any case,
// any order, extra columns allowed, a UTF-8 BOM tolerated). Dates are
// NetSuite's default M/D/YYYY h:mm am/pm, "2006-01-02 15:04:05" or RFC 3339;
// dates without a zone are read in the source's location.
//
// An export has no row IDs and no cursor: every Fetch re-reads the file
// (which may be replaced by a newer export), gives each row a synthetic ID
// (a hash of its content plus its occurrence number, so identical duplicate
// rows stay distinct) and returns only rows not returned since the last
// Fetch with an empty cursor. Rows older than q.Since (with the date's
// precision as slack) are dropped and counted in Notes. A missing column, a
// short row or a bad date is an error naming the line.
type CSVSource struct {
	path string
	loc  *time.Location

	mu      sync.Mutex
	seen    map[string]struct{}
	tooOld  int
	oldDate time.Time
}

// NewCSV returns a source reading the export at path; dates without a zone
// are read in loc (time.Local when nil), which must be the time zone of the
// NetSuite user who exported it.
func NewCSV(path string, loc *time.Location) (*CSVSource, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("audit csv source: path is empty; set audit.path in the profile")
	}
	if loc == nil {
		loc = time.Local
	}
	return &CSVSource{path: path, loc: loc, seen: map[string]struct{}{}}, nil
}

// Name returns "csv <path>".
func (s *CSVSource) Name() string { return "csv " + s.path }

// Notes reports rows dropped because they were older than the date bound.
func (s *CSVSource) Notes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tooOld == 0 {
		return ""
	}
	return fmt.Sprintf("%s dropped %d matching row(s) older than the run start (newest %s, read in time zone %s); check the export's time zone and timeouts.clock_skew",
		s.Name(), s.tooOld, s.oldDate.Format(time.RFC3339), s.loc)
}

// Fetch re-reads the export and returns the rows not returned before.
func (s *CSVSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	if err := ctx.Err(); err != nil {
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	entries, err := s.read()
	if err != nil {
		return Batch{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Cursor == "" {
		s.seen = map[string]struct{}{}
	}
	s.tooOld, s.oldDate = 0, time.Time{}
	var out []Entry
	for _, r := range entries {
		if q.Contains != "" && !strings.Contains(r.e.UserAgent, q.Contains) {
			continue
		}
		if !newerThan(r.e.Date, r.prec, q.Since) {
			s.tooOld++
			if r.e.Date.After(s.oldDate) {
				s.oldDate = r.e.Date
			}
			continue
		}
		if _, dup := s.seen[r.e.ID]; dup {
			continue
		}
		s.seen[r.e.ID] = struct{}{}
		out = append(out, r.e)
	}
	return Batch{Entries: out, Cursor: "seen:" + strconv.Itoa(len(s.seen))}, nil
}

// csvEntry is a parsed row with its date precision.
type csvEntry struct {
	e    Entry
	prec time.Duration
}

// read parses the whole export.
func (s *CSVSource) read() ([]csvEntry, error) {
	f, err := os.Open(s.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: file does not exist; export the Login Audit Trail search as CSV to audit.path", s.Name())
		}
		return nil, fmt.Errorf("%s: %w", s.Name(), err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCSVBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading: %w", s.Name(), err)
	}
	if len(data) > maxCSVBytes {
		return nil, fmt.Errorf("%s: file larger than %d bytes; export only the run's time range", s.Name(), maxCSVBytes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s: file is empty; want a header row naming the Login Audit Trail columns", s.Name())
	}
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", s.Name(), err)
	}
	idx, err := s.columns(header)
	if err != nil {
		return nil, err
	}
	dateCol := idx[0]
	var out []csvEntry
	occ := map[string]int{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name(), err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		var e Entry
		for i, c := range csvColumns {
			col := idx[i]
			if col < 0 {
				continue
			}
			if col >= len(rec) {
				if !c.required {
					continue
				}
				return nil, fmt.Errorf("%s: line %d has %d fields, want at least %d (column %q is missing)", s.Name(), line, len(rec), col+1, header[col])
			}
			if c.set != nil {
				c.set(&e, strings.TrimSpace(rec[col]))
			}
		}
		t, prec, err := parseDate(rec[dateCol], s.loc)
		if err != nil {
			return nil, fmt.Errorf("%s: line %d, column %q: %w", s.Name(), line, header[dateCol], err)
		}
		e.Date = t
		e.Source = s.Name()
		k := strings.Join(entryKey(e), "\x00")
		occ[k]++
		e.ID = contentID(entryKey(e), occ[k])
		out = append(out, csvEntry{e: e, prec: prec})
	}
	return out, nil
}

// columns maps csvColumns to header positions (-1 when absent).
func (s *CSVSource) columns(header []string) ([]int, error) {
	pos := map[string]int{}
	for i, h := range header {
		k := strings.ToLower(strings.Join(strings.Fields(strings.Trim(h, "\ufeff\"")), " "))
		if _, dup := pos[k]; !dup {
			pos[k] = i
		}
	}
	idx := make([]int, len(csvColumns))
	var missing []string
	for i, c := range csvColumns {
		idx[i] = -1
		for _, n := range c.names {
			if p, ok := pos[n]; ok {
				idx[i] = p
				break
			}
		}
		if idx[i] < 0 && c.required {
			missing = append(missing, csvTitle(c.names[0]))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: missing column(s) %s (header has %s); in NetSuite's Login Audit Trail advanced search add them under Results, then export again",
			s.Name(), quoteList(missing), quoteList(header))
	}
	return idx, nil
}

// csvTitle returns NetSuite's spelling of a column name.
func csvTitle(n string) string {
	switch n {
	case "ip address":
		return "IP Address"
	case "request uri":
		return "Request URI"
	case "token-based application name":
		return "Token-based Application Name"
	}
	words := strings.Fields(n)
	for i, w := range words {
		words[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(words, " ")
}

// quoteList formats names as "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(truncate(n, 40))
	}
	return strings.Join(q, ", ")
}
