package audit

import (
	"bytes"
	"context"
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

// maxJSONLRead caps how much of a log file one Fetch reads; the rest is
// read by the next Fetch.
const maxJSONLRead = 8 << 20

// maxJSONLLine is the longest line accepted; a longer line is skipped.
const maxJSONLLine = 1 << 20

// JSONLSource reads a log file of JSON objects, one per line, as it grows.
//
// The cursor is the byte offset after the last complete line read. A
// partial last line (no trailing newline yet) is left for the next Fetch.
// When the file is replaced (rotation) or shrinks below the offset
// (truncation), reading restarts at offset 0. Lines that are not JSON
// objects or whose fields have the wrong types are skipped and counted
// (see Notes): a log file may hold other records too. Dates without a zone
// are read as UTC. Entries without an ID field keep an empty ID.
type JSONLSource struct {
	path       string
	fields     fieldMap
	classifier *Classifier

	mu       sync.Mutex
	info     os.FileInfo // file read last time, for rotation detection
	skipped  int
	lastSkip string
}

// NewJSONL returns a source reading path, whose objects use the row shape
// of the reference target's audit JSON.
func NewJSONL(path string) (*JSONLSource, error) { return NewJSONLWithFields(path, nil) }

// NewJSONLWithFields is NewJSONL with a field map: keys are row-shape field
// names (FieldDetail, FieldUserAgent, ...), values the keys used in the log
// (dot-separated for nested objects), e.g. {"detail": "audit.code"}.
func NewJSONLWithFields(path string, fields map[string]string) (*JSONLSource, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("audit jsonl source: path is empty; set audit.path in the profile")
	}
	fm, err := newFieldMap(fields)
	if err != nil {
		return nil, fmt.Errorf("audit jsonl source: %w", err)
	}
	return &JSONLSource{path: path, fields: fm}, nil
}

// NewJSONLClassified is NewJSONLWithFields whose rows take their Detail,
// Status and Reason from c (see Classifier.Object); a nil c classifies
// nothing.
func NewJSONLClassified(path string, fields map[string]string, c *Classifier) (*JSONLSource, error) {
	s, err := NewJSONLWithFields(path, fields)
	if err != nil {
		return nil, err
	}
	s.classifier = c
	return s, nil
}

// Name returns "jsonl <path>".
func (s *JSONLSource) Name() string { return "jsonl " + s.path }

// Notes reports skipped lines.
func (s *JSONLSource) Notes() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.skipped == 0 {
		return ""
	}
	return fmt.Sprintf("%s skipped %d unparsable line(s), last: %s", s.Name(), s.skipped, s.lastSkip)
}

// Skipped returns how many lines were skipped so far.
func (s *JSONLSource) Skipped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.skipped
}

// Fetch reads the lines appended since q.Cursor.
func (s *JSONLSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	if err := ctx.Err(); err != nil {
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	var off int64
	if q.Cursor != "" {
		n, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || n < 0 {
			return Batch{}, fmt.Errorf("%s: cursor %q is not a byte offset", s.Name(), q.Cursor)
		}
		off = n
	}
	f, err := os.Open(s.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Batch{}, fmt.Errorf("%s: file does not exist (yet); check audit.path and that the target writes its audit log there", s.Name())
		}
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.info != nil && !os.SameFile(s.info, info) {
		off = 0 // rotated: a new file at the same path
	}
	if info.Size() < off {
		off = 0 // truncated
	}
	s.info = info

	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return Batch{}, fmt.Errorf("%s: seeking to offset %d: %w", s.Name(), off, err)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxJSONLRead))
	if err != nil {
		return Batch{}, fmt.Errorf("%s: reading: %w", s.Name(), err)
	}
	var out []Entry
	pos := 0
	for {
		nl := bytes.IndexByte(data[pos:], '\n')
		if nl < 0 {
			rest := len(data) - pos
			if rest > maxJSONLLine {
				s.skip(off+int64(pos), fmt.Sprintf("line longer than %d bytes", maxJSONLLine))
				pos = len(data)
			}
			break // partial last line: wait for its newline
		}
		line := bytes.TrimSpace(data[pos : pos+nl])
		lineOff := off + int64(pos)
		pos += nl + 1
		if len(line) == 0 {
			continue
		}
		obj, err := decodeObject(line)
		if err != nil {
			s.skip(lineOff, err.Error())
			continue
		}
		e, _, err := entryFromObject(obj, s.fields, time.UTC)
		if err != nil {
			s.skip(lineOff, err.Error())
			continue
		}
		if q.Contains != "" && !strings.Contains(e.UserAgent, q.Contains) {
			continue
		}
		if s.classifier != nil {
			s.classifier.apply(&e, obj)
		}
		e.Source = s.Name()
		out = append(out, e)
	}
	return Batch{Entries: out, Cursor: strconv.FormatInt(off+int64(pos), 10)}, nil
}

// skip records a skipped line; s.mu is held.
func (s *JSONLSource) skip(off int64, why string) {
	s.skipped++
	s.lastSkip = fmt.Sprintf("at byte %d: %s", off, truncate(redactText(why), 160))
}
