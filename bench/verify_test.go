package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Row 2: verify + parse of a 4 KiB delivery, the Go benchmarks of
// ingress/bench_test.go, against what acknowledging a delivery takes
// anyway: row 1's p50 at one sender on the cluster, measured in the same
// run. A bare HMAC of the same bytes is shown beside it for reading.
const (
	verifyBench  = "BenchmarkVerifyAndParse4KiB"
	hmacBench    = "BenchmarkHMAC4KiB"
	verifyRounds = 5
	// verifyMaxShare is row 2's target: verify + parse at most this share
	// of row 1's p50 at one sender.
	verifyMaxShare = 0.02
	// benchBodyBytes is the size of the event ingress/bench_test.go builds.
	benchBodyBytes = 4096.0
)

// benchResult is one benchmark line: ns/op and allocs/op.
type benchResult struct {
	ns     float64
	allocs int64
}

var (
	nsPerOp     = regexp.MustCompile(`([0-9.]+) ns/op`)
	cpuLine     = regexp.MustCompile(`(?m)^cpu: (.+)$`)
	allocsPerOp = regexp.MustCompile(`([0-9]+) allocs/op`)
)

func benchVerify(t *testing.T, rep *report) {
	root := moduleRoot(t)
	bin := buildIngressTests(t, root, "")
	v, h := alternate(t, rep, bin, verifyRounds)
	t.Logf("verify+parse %.0f ns/op %d allocs/op; hmac %.0f ns/op %d allocs/op", v.ns, v.allocs, h.ns, h.allocs)

	r := row{
		ID:       "2",
		What:     "verify + parse a 4 KiB event (`go test -bench`)",
		Measured: fmt.Sprintf("%.1f µs/op, %d allocs/op", v.ns/1e3, v.allocs),
		Target:   fmt.Sprintf("≤ %.0f %% of row 1's p50 at 1 sender on the cluster", 100*verifyMaxShare),
		Notes: fmt.Sprintf("medians of %d alternating 1 s runs; for reading, one HMAC-SHA256 of the same bytes: %.1f µs/op, %d allocs/op (verify + parse %.1f × that)",
			verifyRounds, h.ns/1e3, h.allocs, v.ns/h.ns),
	}
	p50, ok := rep.ackP50Of(pgCluster)
	if !ok {
		r.Baseline = "row 1 on the cluster did not run in this invocation"
		r.Met = "not judged"
		rep.add(r)
		return
	}
	share := v.ns / float64(p50.Nanoseconds())
	r.Baseline = fmt.Sprintf("row 1's p50 at 1 sender on the cluster: %s", ms(p50))
	r.Ratio = fmt.Sprintf("%.2f %%", 100*share)
	r.Met = yes(share <= verifyMaxShare)
	rep.add(r)
	if share > verifyMaxShare {
		rep.finding("**Row 2 (verify + parse), missed.** Verifying and parsing a 4 KiB delivery took %.1f µs, %.2f %% of "+
			"row 1's p50 at one sender (%s); encoding/json runs at about %.0f MB/s on this event, one HMAC-SHA256 at "+
			"%.0f MB/s.", v.ns/1e3, 100*share, ms(p50), benchBodyBytes/v.ns*1e3, benchBodyBytes/h.ns*1e3)
	}
}

// buildIngressTests builds the ingress package's test binary, with a
// GOEXPERIMENT when experiment is not empty.
func buildIngressTests(t *testing.T, root, experiment string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ingress.test")
	cmd := exec.Command(goCommand(), "test", "-c", "-o", bin, "./ingress/")
	cmd.Dir = root
	cmd.Env = os.Environ()
	if experiment != "" {
		cmd.Env = append(cmd.Env, "GOEXPERIMENT="+experiment)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test -c ./ingress/ (GOEXPERIMENT=%q): %v\n%s", experiment, err, out)
	}
	return bin
}

// alternate runs the two benchmarks one after the other, rounds times, and
// returns the median of each.
func alternate(t *testing.T, rep *report, bin string, rounds int) (verify, hmac benchResult) {
	t.Helper()
	var vs, hs []benchResult
	for i := range rounds {
		order := []string{verifyBench, hmacBench}
		if i%2 == 1 {
			order = []string{hmacBench, verifyBench}
		}
		for _, name := range order {
			r := runBenchmark(t, rep, bin, name)
			if name == verifyBench {
				vs = append(vs, r)
			} else {
				hs = append(hs, r)
			}
		}
	}
	return median(vs), median(hs)
}

func runBenchmark(t *testing.T, rep *report, bin, name string) benchResult {
	t.Helper()
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", "^"+name+"$", "-test.benchmem", "-test.benchtime", "1s", "-test.count", "1")
	cmd.Dir = t.TempDir()
	done := make(chan struct{})
	timer := time.AfterFunc(2*time.Minute, func() {
		select {
		case <-done:
		default:
			_ = cmd.Process.Kill()
		}
	})
	out, err := cmd.CombinedOutput()
	close(done)
	timer.Stop()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	if m := cpuLine.FindSubmatch(out); m != nil {
		rep.setCPUName(strings.TrimSpace(string(m[1])))
	}
	ns, allocs := nsPerOp.FindSubmatch(out), allocsPerOp.FindSubmatch(out)
	if ns == nil || allocs == nil {
		t.Fatalf("%s: no ns/op or allocs/op in\n%s", name, out)
	}
	var r benchResult
	r.ns, _ = strconv.ParseFloat(string(ns[1]), 64)
	r.allocs, _ = strconv.ParseInt(string(allocs[1]), 10, 64)
	return r
}

func median(rs []benchResult) benchResult {
	ns := make([]float64, len(rs))
	allocs := make([]int64, len(rs))
	for i, r := range rs {
		ns[i], allocs[i] = r.ns, r.allocs
	}
	slices.Sort(ns)
	slices.Sort(allocs)
	return benchResult{ns: ns[len(ns)/2], allocs: allocs[len(allocs)/2]}
}

// goCommand is $GO (the Makefile's), else go on PATH.
func goCommand() string {
	if p := os.Getenv("GO"); p != "" {
		return p
	}
	return "go"
}
