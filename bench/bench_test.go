package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The environment of a benchmark run.
const (
	// envRun switches the benchmarks on: they take minutes and load the
	// machine, so `go test ./...` skips them.
	envRun = "HIRESYNC_BENCH"
	// envOut is where the report goes; BENCHMARKS.md at the module root
	// when unset.
	envOut = "HIRESYNC_BENCH_OUT"
	// envRows picks rows by number ("1,4"), for working on one of them;
	// all when unset.
	envRows = "HIRESYNC_BENCH_ROWS"
)

// benchmark is one section of the run: it measures, and adds its rows and
// findings to the report.
type benchmark struct {
	id   string
	name string
	run  func(t *testing.T, r *report)
}

var benchmarks = []benchmark{
	{"1", "ingress_ack", benchAck},
	{"2", "verify_parse", benchVerify},
	{"3", "hubspot_burst", benchHubSpot},
	{"4", "slack_drain", benchSlack},
	{"5", "end_to_end", benchEndToEnd}, // and row 6, memory
}

// TestBench runs every benchmark, one after the other, and writes the
// report, also when one of them failed (its row then says so).
func TestBench(t *testing.T) {
	if os.Getenv(envRun) != "1" {
		t.Skipf("the benchmarks run with %s=1 (make bench)", envRun)
	}
	root := moduleRoot(t)
	out := os.Getenv(envOut)
	if out == "" {
		out = filepath.Join(root, "BENCHMARKS.md")
	}
	r := newReport()
	for _, b := range benchmarks {
		if !selected(b.id) {
			continue
		}
		began, rows := time.Now(), r.count()
		if !t.Run(b.name, func(t *testing.T) { b.run(t, r) }) {
			what := b.name
			if r.count() > rows {
				what += " (rows above are from the failed run)"
			}
			r.add(row{ID: b.id, What: what, Measured: "not measured: the run failed (see the test log)", Met: "**no**"})
		}
		t.Logf("%s took %s", b.name, time.Since(began).Round(time.Second))
	}
	md := r.markdown()
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s:\n%s", out, r.table())
}

func selected(id string) bool {
	only := os.Getenv(envRows)
	if only == "" {
		return true
	}
	for _, s := range strings.Split(only, ",") {
		if strings.TrimSpace(s) == id {
			return true
		}
	}
	return false
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
