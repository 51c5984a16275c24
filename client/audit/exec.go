package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/refreshconf/refreshconf/internal/procgroup"
)

// Defaults and limits of the exec source.
const (
	DefaultExecTimeout = 15 * time.Second
	maxExecOutput      = 16 << 20
	maxExecStderr      = 64 << 10
)

// Environment variables the exec source sets for its command.
const (
	EnvMarker = "REFRESHCONF_MARKER" // substring the User-Agent must contain
	EnvSince  = "REFRESHCONF_SINCE"  // RFC 3339 lower bound on the row date (empty: none)
)

// ExecSource runs a command (without a shell) on every Fetch with
// REFRESHCONF_MARKER=<q.Contains> and REFRESHCONF_SINCE=<q.Since, RFC 3339>
// in its environment, and reads its standard output as JSON lines, one
// row-shaped object per line (blank lines ignored). A line that is not a
// row-shaped object is an error naming the line: the command's output is
// under the operator's control. A non-zero exit is an error with the exit
// code and the start of its standard error (redacted).
//
// The command need not filter: rows without the marker or older than Since
// are dropped here. It has no cursor: rows are de-duplicated by ID (by a
// synthetic content-hash ID when the command prints none) across Fetches until a Fetch
// with an empty cursor.
type ExecSource struct {
	argv       []string
	timeout    time.Duration
	fields     fieldMap
	classifier *Classifier

	mu   sync.Mutex
	seen map[string]struct{}
}

// NewExec returns a source running argv (argv[0] is looked up in PATH
// unless it contains a path separator). timeout bounds one run; 0 means
// DefaultExecTimeout.
func NewExec(argv []string, timeout time.Duration) (*ExecSource, error) {
	if len(argv) == 0 || strings.TrimSpace(argv[0]) == "" {
		return nil, errors.New("audit exec source: command is empty; set audit.command in the profile, e.g. [\"./audit-rows.sh\"]")
	}
	if timeout < 0 {
		return nil, errors.New("audit exec source: timeout must not be negative")
	}
	if timeout == 0 {
		timeout = DefaultExecTimeout
	}
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, fmt.Errorf("audit exec source: command %q not found or not executable; fix audit.command: %w", argv[0], errors.Unwrap(err))
	}
	return &ExecSource{
		argv:    append([]string(nil), argv...),
		timeout: timeout,
		fields:  mustFieldMap(),
		seen:    map[string]struct{}{},
	}, nil
}

// NewExecClassified is NewExec whose output lines use the keys of fields
// (see NewJSONLWithFields) and take their Detail, Status and Reason from c
// (nil: no classification).
func NewExecClassified(argv []string, timeout time.Duration, fields map[string]string, c *Classifier) (*ExecSource, error) {
	s, err := NewExec(argv, timeout)
	if err != nil {
		return nil, err
	}
	if s.fields, err = newFieldMap(fields); err != nil {
		return nil, fmt.Errorf("audit exec source: %w", err)
	}
	s.classifier = c
	return s, nil
}

// mustFieldMap returns the default field map.
func mustFieldMap() fieldMap {
	fm, _ := newFieldMap(nil) // cannot fail without custom fields
	return fm
}

// Name returns "exec <program>" (arguments are not shown: they may hold
// secrets).
func (s *ExecSource) Name() string { return "exec " + s.argv[0] }

// limitedBuffer collects up to max bytes and remembers whether more came.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

// Write implements io.Writer; it never fails so the command is not killed
// by a broken pipe.
func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); room < len(p) {
		b.overflow = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// Fetch runs the command once.
func (s *ExecSource) Fetch(ctx context.Context, q Query) (Batch, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.argv[0], s.argv[1:]...)
	since := ""
	if !q.Since.IsZero() {
		since = q.Since.UTC().Format(time.RFC3339Nano)
	}
	cmd.Env = append(os.Environ(), EnvMarker+"="+q.Contains, EnvSince+"="+since)
	stdout := &limitedBuffer{max: maxExecOutput}
	stderr := &limitedBuffer{max: maxExecStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	procgroup.Set(cmd)
	cmd.WaitDelay = time.Second // do not hang on pipes held by grandchildren
	err := cmd.Run()
	procgroup.Kill(cmd) // children it left behind
	if ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Batch{}, fmt.Errorf("%s: did not finish within %s (killed); make it faster or raise timeouts.request", s.Name(), s.timeout)
		}
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), ctx.Err())
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return Batch{}, fmt.Errorf("%s: exit code %d: %s", s.Name(), ee.ExitCode(), snippet(stderr.buf.Bytes()))
		}
		if errors.Is(err, exec.ErrWaitDelay) {
			return Batch{}, fmt.Errorf("%s: a child process kept its output open after it exited; redirect background processes' output", s.Name())
		}
		return Batch{}, fmt.Errorf("%s: %w", s.Name(), err)
	}
	if stdout.overflow {
		return Batch{}, fmt.Errorf("%s: output larger than %d bytes; print only rows containing $%s", s.Name(), maxExecOutput, EnvMarker)
	}

	var rows []Entry
	var precs []time.Duration
	for i, line := range bytes.Split(stdout.buf.Bytes(), []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		obj, err := decodeObject(line)
		if err != nil {
			return Batch{}, fmt.Errorf("%s: output line %d: %w (want one JSON object per line)", s.Name(), i+1, err)
		}
		e, prec, err := entryFromObject(obj, s.fields, time.UTC)
		if err != nil {
			return Batch{}, fmt.Errorf("%s: output line %d: %w", s.Name(), i+1, err)
		}
		if s.classifier != nil {
			s.classifier.apply(&e, obj)
		}
		e.Source = s.Name()
		rows = append(rows, e)
		precs = append(precs, prec)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if q.Cursor == "" {
		s.seen = map[string]struct{}{}
	}
	occ := map[string]int{}
	var out []Entry
	for i, e := range rows {
		if q.Contains != "" && !strings.Contains(e.UserAgent, q.Contains) {
			continue
		}
		if !newerThan(e.Date, precs[i], q.Since) {
			continue
		}
		key := "id:" + e.ID
		if e.ID == "" {
			k := strings.Join(entryKey(e), "\x00")
			occ[k]++
			e.ID = contentID(entryKey(e), occ[k])
			key = e.ID
		}
		if _, dup := s.seen[key]; dup {
			continue
		}
		s.seen[key] = struct{}{}
		out = append(out, e)
	}
	return Batch{Entries: out, Cursor: "seen:" + strconv.Itoa(len(s.seen))}, nil
}
