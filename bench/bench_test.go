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
	// all when unset. Row 1 takes 1b with it.
	envRows = "HIRESYNC_BENCH_ROWS"
	// envTemporal picks the engine of the rows that need Temporal: "dev"
	// (the dev server) or "cluster" (the PostgreSQL cluster); both when
	// unset.
	envTemporal = "HIRESYNC_BENCH_TEMPORAL"
)

// benchmark is one section of the run: it measures, and adds its rows and
// findings to the report. The rows that need Temporal are run once on each
// engine, each run on a Temporal of its own.
type benchmark struct {
	id     string
	name   string
	engine engineKind // noEngine for a row without Temporal
	run    func(t *testing.T, r *report, e engineKind)
}

var benchmarks = []benchmark{
	{"1", "ingress_ack", devServer, benchAck},
	{"1", "ingress_ack_cluster", pgCluster, benchAck},
	{"1b", "ingress_alone", noEngine, without(benchAckAlone)},
	{"2", "verify_parse", noEngine, without(benchVerify)},
	{"3", "hubspot_burst", noEngine, without(benchHubSpot)},
	{"4", "slack_drain", noEngine, without(benchSlack)},
	{"5", "end_to_end", devServer, benchEndToEnd}, // and row 6, memory
	{"5", "end_to_end_cluster", pgCluster, benchEndToEnd},
	{"5b", "backlog_cluster", pgCluster, benchBacklog},
	{"7", "freshness_cluster", pgCluster, benchFreshness},
}

// without adapts a benchmark that runs on no Temporal.
func without(f func(t *testing.T, r *report)) func(*testing.T, *report, engineKind) {
	return func(t *testing.T, r *report, _ engineKind) { f(t, r) }
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
		if !selected(b.id) || !engineSelected(b.engine) {
			continue
		}
		began, rows := time.Now(), r.count()
		if !t.Run(b.name, func(t *testing.T) { b.run(t, r, b.engine) }) {
			what := b.name
			if r.count() > rows {
				what += " (rows above are from the failed run)"
			}
			r.add(row{ID: b.id, Temporal: string(b.engine), What: what, Measured: "not measured: the run failed (see the test log)", Met: "**no**"})
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
		if s = strings.TrimSpace(s); s == id || s+"b" == id {
			return true
		}
	}
	return false
}

func engineSelected(e engineKind) bool {
	switch os.Getenv(envTemporal) {
	case "dev":
		return e != pgCluster
	case "cluster":
		return e != devServer
	default:
		return true
	}
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
