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

// Row 2: verify + parse of a 4 KiB delivery against a bare HMAC of it, the
// Go benchmarks of ingress/bench_test.go.
const (
	verifyBench  = "BenchmarkVerifyAndParse4KiB"
	hmacBench    = "BenchmarkHMAC4KiB"
	verifyRounds = 5
	// Targets of row 2.
	verifyMaxRatio  = 5.0
	verifyMaxAllocs = 40
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
	r := v.ns / h.ns
	met := r <= verifyMaxRatio && v.allocs <= verifyMaxAllocs
	t.Logf("verify+parse %.0f ns/op %d allocs/op; hmac %.0f ns/op %d allocs/op; %.2f ×", v.ns, v.allocs, h.ns, h.allocs, r)

	notes := fmt.Sprintf("medians of %d alternating 1 s runs", verifyRounds)
	if !met {
		notes += "; missed: see Findings"
	}
	rep.add(row{
		ID:       "2",
		What:     "verify + parse a 4 KiB event (`go test -bench`)",
		Measured: fmt.Sprintf("%.1f µs/op, %d allocs/op", v.ns/1e3, v.allocs),
		Baseline: fmt.Sprintf("HMAC-SHA256 of the same bytes: %.1f µs/op, %d allocs/op", h.ns/1e3, h.allocs),
		Ratio:    ratio(r),
		Target:   fmt.Sprintf("≤ %.0f ×, ≤ %d allocs/op", verifyMaxRatio, verifyMaxAllocs),
		Met:      yes(met),
		Notes:    notes,
	})
	if met {
		return
	}

	// What would meet it: the same code with encoding/json's v2
	// implementation underneath (GOEXPERIMENT=jsonv2 in Go 1.26).
	v2bin := buildIngressTests(t, root, "jsonv2")
	v2, h2 := alternate(t, rep, v2bin, 3)
	r2 := v2.ns / h2.ns
	t.Logf("with GOEXPERIMENT=jsonv2: verify+parse %.0f ns/op %d allocs/op; hmac %.0f ns/op; %.2f ×", v2.ns, v2.allocs, h2.ns, r2)
	rep.add(row{
		ID:       "2b",
		What:     "the same, built with `GOEXPERIMENT=jsonv2` (not how hiresync is built)",
		Measured: fmt.Sprintf("%.1f µs/op, %d allocs/op", v2.ns/1e3, v2.allocs),
		Baseline: fmt.Sprintf("%.1f µs/op, %d allocs/op", h2.ns/1e3, h2.allocs),
		Ratio:    ratio(r2),
		Target:   "for comparison only",
		Met:      fmt.Sprintf("(would be %s)", yes(r2 <= verifyMaxRatio && v2.allocs <= verifyMaxAllocs)),
		Notes:    "medians of 3 alternating 1 s runs",
	})
	rep.finding("**Row 2 (verify + parse).** A CPU profile of `BenchmarkVerifyAndParse4KiB` (taken while building "+
		"this benchmark) puts 77%% of its time in `encoding/json` inside `ingress.ParseEvent`, 48%% in `checkValid` "+
		"alone: encoding/json (v1) scans the whole body once to validate it and again to decode it, and so runs at "+
		"about %.0f MB/s on this event, where HMAC-SHA256 with the CPU's SHA extensions runs at %.0f MB/s. The "+
		"signature check is 14%% of the time. No change to the signature check can bring the pair under 5 × the "+
		"HMAC. Of the %d allocations about 10 are the signature check's (a new HMAC with its two SHA-256 states, the "+
		"decoded signature, `strings.Fields`), the rest the event's decoded strings and structs. The same code built "+
		"with `GOEXPERIMENT=jsonv2` (encoding/json on its v2 implementation, experimental in Go 1.26) measures "+
		"%.2f × and %d allocations in this run (row 2b). The fix is in `ingress/envelope.go`'s decoding "+
		"(encoding/json/v2 once it is stable, or a build with the experiment after checking that its error "+
		"messages still read well) and, for allocations, a pool of keyed HMACs in `ingress/signature`; both are "+
		"outside what this change may edit, so row 2 stays missed. In absolute terms it is %.0f µs of CPU per 4 KiB "+
		"delivery, against milliseconds for the signal-with-start the ingress then waits for (row 1).",
		benchBodyBytes/v.ns*1e3, benchBodyBytes/h.ns*1e3, v.allocs, r2, v2.allocs, v.ns/1e3)
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
