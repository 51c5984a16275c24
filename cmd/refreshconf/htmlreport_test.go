package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/goccy/go-yaml"

	"github.com/refreshconf/refreshconf/suites/catalogue"
	"github.com/refreshconf/refreshconf/suites/report"
)

// chromiumPath finds a headless-capable Chromium: $REFRESHCONF_CHROMIUM,
// else Debian's chromium (or another Chrome) on the PATH. Without one the
// test fails in CI (CI=true, or REFRESHCONF_REQUIRE_CHROMIUM set, as .ci/run
// does after installing the chromium package) and is skipped elsewhere,
// saying how to run it.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("REFRESHCONF_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const why = "no Chromium on the PATH: install Debian's chromium package (apt-get install chromium) or set REFRESHCONF_CHROMIUM to a Chrome binary, then the HTML report is tested in a real browser"
	if os.Getenv("CI") == "true" || os.Getenv("REFRESHCONF_REQUIRE_CHROMIUM") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
	return ""
}

// screenshotDir is where the browser test keeps its screenshots:
// $REFRESHCONF_SCREENSHOT_DIR (CI sets it under its report folder), else a
// test temporary folder.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("REFRESHCONF_SCREENSHOT_DIR")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser starts headless Chromium for the test; every action shares its
// deadline.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.DisableGPU,
		// The page is a local file the test just wrote; Chromium's
		// sandbox refuses to start as root (CI) and in most containers.
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return bctx
}

// eval evaluates a JavaScript expression in the page and decodes its
// result, failing the test on an error.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// do runs browser actions, failing the test on an error.
func do(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// screenshot saves a full-page PNG of the page as name in dir.
func screenshot(t *testing.T, ctx context.Context, dir, name string, full bool) {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// waitFor polls a JavaScript condition until it is true, failing the test
// after 15 seconds.
func waitFor(t *testing.T, ctx context.Context, js, what string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !eval[bool](t, ctx, js) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// choose picks value in the <select> sel, as a person would (the page
// hears a change event).
func choose(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	do(t, ctx, "choosing "+value+" in "+sel, chromedp.SetValue(sel, value))
	if !eval[bool](t, ctx, `document.querySelector(`+strconvQuote(sel)+`).dispatchEvent(new Event("change", {bubbles: true}))`) {
		t.Fatalf("the change event of %s was cancelled", sel)
	}
}

// strconvQuote quotes s as a JavaScript string.
func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// visibleRows are the scenario rows a person sees, as "ID state".
const visibleRows = `Array.from(document.querySelectorAll("#scenario-table tbody tr")).filter(r => r.offsetParent !== null).map(r => r.dataset.scenario + " " + r.dataset.state)`

// overflow lists what sticks out of the page width: the document's own
// horizontal scroll, and any element (every <details> opened) whose box
// or text runs past its container or the viewport.
const overflow = `(() => {
  document.querySelectorAll("details").forEach(d => d.open = true);
  const w = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > w) out.push("document scrollWidth " + document.documentElement.scrollWidth + " > clientWidth " + w);
  for (const el of document.body.querySelectorAll("*")) {
    if (el.offsetParent === null && el.tagName !== "BODY") continue;
    const r = el.getBoundingClientRect();
    if (r.right > w + 1) out.push(el.tagName + (el.id ? "#" + el.id : "") + " right edge " + Math.round(r.right) + " > " + w);
    else if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && getComputedStyle(el).overflowX === "visible") out.push(el.tagName + (el.id ? "#" + el.id : "") + " text " + el.scrollWidth + " wider than its box " + el.clientWidth);
    if (out.length >= 5) break;
  }
  document.querySelectorAll("details").forEach(d => d.open = false);
  return out;
})()`

// openReport loads an HTML report at a viewport width.
func openReport(t *testing.T, ctx context.Context, path string, width int64) {
	t.Helper()
	do(t, ctx, "opening "+path, chromedp.EmulateViewport(width, 900), chromedp.Navigate("file://"+path), chromedp.WaitVisible("#verdict"))
}

// TestHTMLReportInBrowser renders the HTML report of a successful run and
// of a failed run (the embedded target with defects) in headless Chromium
// and checks what a reviewer sees: the verdict badge, every catalogue
// scenario, the state filter and search hiding rows, a failure's link
// opening its detail with the forged token decoded, each exchange shown
// once, the profile collapsed, and nothing wider than the page.
func TestHTMLReportInBrowser(t *testing.T) {
	ctx := browser(t)
	shots := screenshotDir(t)

	okDir, badDir := t.TempDir(), t.TempDir()
	if res := runCLI(t, 3*time.Minute, nil, "run", "--report-dir", okDir, "--no-color", "--quiet-report-path"); res.Code != 0 {
		t.Fatalf("refreshconf run exited %d, want 0\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	if res := runCLI(t, 3*time.Minute, nil, "run", "--report-dir", badDir, "--no-color", "--quiet-report-path",
		"--defect", "accept-alg-none", "--defect", "no-www-authenticate"); res.Code != 1 {
		t.Fatalf("refreshconf run with defects exited %d, want 1\n%s\n%s", res.Code, res.Stdout, res.Stderr)
	}
	okHTML, badHTML := filepath.Join(okDir, report.FileHTML), filepath.Join(badDir, report.FileHTML)

	t.Run("success", func(t *testing.T) {
		openReport(t, ctx, okHTML, 1280)
		if got := eval[string](t, ctx, `document.getElementById("verdict").innerText`); got != "SUCCESS" {
			t.Errorf("verdict badge %q, want SUCCESS", got)
		}
		text := eval[string](t, ctx, `document.getElementById("scenario-table").innerText`)
		for _, s := range catalogue.All() {
			if !strings.Contains(text, s.ID) {
				t.Errorf("the scenario table does not show %s", s.ID)
			}
		}
		if rows := eval[[]string](t, ctx, visibleRows); len(rows) != len(catalogue.All()) {
			t.Errorf("%d scenario rows visible, want %d", len(rows), len(catalogue.All()))
		}
		// Hiding passed rows leaves nothing, and says so.
		choose(t, ctx, "#f-state", "!passed")
		if rows := eval[[]string](t, ctx, visibleRows); len(rows) != 0 {
			t.Errorf("%d rows visible with 'all but passed' on a successful run, first %q", len(rows), rows[0])
		}
		if !eval[bool](t, ctx, `document.getElementById("no-match").offsetParent !== null`) {
			t.Error("no 'No scenario matches' line when the filter hides every row")
		}
		openReport(t, ctx, okHTML, 1280)
		if o := eval[[]string](t, ctx, overflow); len(o) > 0 {
			t.Errorf("the success report overflows the page width:\n%s", strings.Join(o, "\n"))
		}
		screenshot(t, ctx, shots, "html-report-success.png", true)
	})

	t.Run("failure", func(t *testing.T) {
		openReport(t, ctx, badHTML, 1280)
		if got := eval[string](t, ctx, `document.getElementById("verdict").innerText`); got != "FAILURE" {
			t.Errorf("verdict badge %q, want FAILURE", got)
		}
		// Failures come first.
		rows := eval[[]string](t, ctx, visibleRows)
		if len(rows) == 0 || !strings.HasSuffix(rows[0], " failed") {
			t.Fatalf("the first row is %v, want a failed scenario first", rows[:min(3, len(rows))])
		}
		screenshot(t, ctx, shots, "html-report-failure.png", true)

		// The state chip filters: only failed rows stay, passed ones go.
		do(t, ctx, "clicking the 'failed' count", chromedp.Click(`.chip[data-state="failed"]`))
		rows = eval[[]string](t, ctx, visibleRows)
		if len(rows) == 0 {
			t.Fatal("the 'failed' filter hides every row")
		}
		if bad := slices.DeleteFunc(slices.Clone(rows), func(r string) bool { return strings.HasSuffix(r, " failed") }); len(bad) > 0 {
			t.Errorf("%d rows that did not fail are visible under the 'failed' filter, first %q", len(bad), bad[0])
		}
		want := fmt.Sprintf("%d of %d shown", len(rows), len(catalogue.All()))
		if got := eval[string](t, ctx, `document.getElementById("f-count").innerText`); got != want {
			t.Errorf("count line %q, want %q", got, want)
		}
		// The family filter and the search box narrow further.
		choose(t, ctx, "#f-family", "token")
		for _, r := range eval[[]string](t, ctx, visibleRows) {
			if !strings.HasPrefix(r, "TOK-") {
				t.Errorf("row %q is visible under family token", r)
			}
		}
		do(t, ctx, "typing a search", chromedp.SendKeys("#f-search", "tok-04"))
		if rows := eval[[]string](t, ctx, visibleRows); len(rows) != 1 || rows[0] != "TOK-04 failed" {
			t.Errorf("searching tok-04 shows %v, want [TOK-04 failed]", rows)
		}

		// A failure's link opens its detail and scrolls to it.
		openReport(t, ctx, badHTML, 1280)
		do(t, ctx, "clicking TOK-01", chromedp.Click(`#scenario-table a[href="#s-TOK-01"]`))
		// The page opens the detail on the hashchange event, which
		// follows the click asynchronously.
		waitFor(t, ctx, `document.getElementById("s-TOK-01").open`, "TOK-01's detail to open after a click on its link")
		var st struct {
			Open    bool    `json:"open"`
			Top     float64 `json:"top"`
			Height  float64 `json:"height"`
			Text    string  `json:"text"`
			Profile bool    `json:"profile"`
		}
		js := `(() => { const d = document.getElementById("s-TOK-01"); return {open: d.open, top: d.getBoundingClientRect().top, height: window.innerHeight, text: d.innerText, profile: document.querySelector("#profile details").open}; })()`
		raw := eval[json.RawMessage](t, ctx, js)
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		if !st.Open || st.Top < -1 || st.Top > st.Height/2 {
			t.Errorf("after clicking TOK-01 its detail is open=%v at top %.0f of a %.0f px viewport, want open at the top", st.Open, st.Top, st.Height)
		}
		for _, w := range []string{"HTTP status is 200", "forged token <jwt#", `"alg":"none"`, "signature: empty", "InvalidSignature (error invalid_grant)", "HTTP 200"} {
			if !strings.Contains(st.Text, w) {
				t.Errorf("TOK-01's detail does not show %q:\n%s", w, st.Text)
			}
		}
		if n := strings.Count(st.Text, "> POST "); n != 1 {
			t.Errorf("TOK-01's detail shows its exchange %d times, want once:\n%s", n, st.Text)
		}
		if st.Profile {
			t.Error("the profile is expanded; it must be collapsed at the bottom")
		}
		screenshot(t, ctx, shots, "html-report-failure-detail.png", false)

		for _, width := range []int64{1280, 760} {
			openReport(t, ctx, badHTML, width)
			if o := eval[[]string](t, ctx, overflow); len(o) > 0 {
				t.Errorf("at %d px the failure report overflows the page width:\n%s", width, strings.Join(o, "\n"))
			}
		}
		screenshot(t, ctx, shots, "html-report-failure-narrow.png", false)
	})
}

// A missing audit row and a violated invariant are reported with their
// own words, never as Gomega's dump of a value ("<*audit.TimeoutError |
// 0x...>", "<[]string | len:1, cap:1>").
func TestFailureMessagesAreReadable(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		args       []string
	}{
		{"missing audit row", "no audit row for marker", []string{"--defect", "drop-audit-row", "--audit-timeout", "1s", "--label-filter", "id:SEED-01"}},
		{"invariant", "invariant violated:\n  - 2 of 2 concurrent refreshes", []string{"--defect", "accept-reuse", "--label-filter", "id:ROT-02"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			res := runCLI(t, 2*time.Minute, nil, append([]string{"run", "--report-dir", dir, "--no-color", "--quiet-report-path"}, tc.args...)...)
			if res.Code != 1 {
				t.Fatalf("run exited %d, want 1\n%s\n%s", res.Code, res.Stdout, res.Stderr)
			}
			yml, err := os.ReadFile(filepath.Join(dir, report.FileYAML))
			if err != nil {
				t.Fatal(err)
			}
			html, err := os.ReadFile(filepath.Join(dir, report.FileHTML))
			if err != nil {
				t.Fatal(err)
			}
			for where, text := range map[string]string{"output": res.Stdout + res.Stderr, "YAML report": string(yml), "HTML report": string(html)} {
				if strings.Contains(text, "| 0x") || strings.Contains(text, "| len:") {
					t.Errorf("the %s dumps a Go value instead of saying what failed", where)
				}
			}
			var c struct {
				Failed []struct {
					Reason string `yaml:"reason"`
				} `yaml:"failed"`
			}
			if err := yaml.Unmarshal(yml, &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Failed) != 1 || !strings.Contains(c.Failed[0].Reason, tc.want) {
				t.Errorf("failed scenarios %+v, want one whose reason says %q", c.Failed, tc.want)
			}
		})
	}
}
