package bench

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// row is one line of the results table.
type row struct {
	ID string
	// Temporal is the engine the row ran on, empty for none.
	Temporal string
	What     string
	Measured string
	Baseline string
	Ratio    string
	Target   string
	Met      string
	Notes    string
}

// report gathers the rows and the findings of a run.
type report struct {
	mu        sync.Mutex
	started   time.Time
	loadStart string
	rows      []row
	findings  []string
	// cpuName is the processor as Go's benchmarks name it (row 2).
	cpuName string
	// engines are the Temporal engines the rows ran on, with what the
	// cluster runs (its versions).
	engines map[engineKind]string
	// done holds the findings already written, of those written once.
	done map[string]bool
	// ackP50 is row 1's p50 at one sender, per engine: row 2's target is
	// a share of the cluster's.
	ackP50 map[engineKind]time.Duration
}

func (r *report) setAckP50(e engineKind, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ackP50[e] = d
}

func (r *report) ackP50Of(e engineKind) (time.Duration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.ackP50[e]
	return d, ok
}

// used records that a row ran on the engine.
func (r *report) used(e engineKind, versions string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.engines[e] = versions
}

// first says whether key is asked for the first time: a finding that holds
// for every engine is written once.
func (r *report) first(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done[key] {
		return false
	}
	r.done[key] = true
	return true
}

func (r *report) setCPUName(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cpuName = name
}

func newReport() *report {
	return &report{started: time.Now().UTC(), loadStart: loadAverage(), engines: map[engineKind]string{}, done: map[string]bool{}, ackP50: map[engineKind]time.Duration{}}
}

func (r *report) add(rw row) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rows = append(r.rows, rw)
}

func (r *report) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.rows)
}

// finding adds a paragraph to the report's findings: what a profile or a
// comparison showed, and what was done about it.
func (r *report) finding(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.findings = append(r.findings, fmt.Sprintf(format, args...))
}

// table is the results table in Markdown.
func (r *report) table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	b.WriteString("| # | Temporal | what | measured | baseline (same run) | ratio | target | met | notes |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, rw := range r.rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			cell(rw.ID), cell(rw.Temporal), cell(rw.What), cell(rw.Measured), cell(rw.Baseline), cell(rw.Ratio), cell(rw.Target), cell(rw.Met), cell(rw.Notes))
	}
	return b.String()
}

func cell(s string) string {
	if s == "" {
		return "—"
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}

// markdown is the whole BENCHMARKS.md.
func (r *report) markdown() string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\n")
	b.WriteString("How fast does hiresync acknowledge a webhook, how many events an hour does it carry, and will it get us\n")
	b.WriteString("rate-limited? Each figure below is a ratio against a baseline measured in the same run, on the same\n")
	b.WriteString("machine, so that the noise of a shared machine cancels out as far as it can. Written by `make bench`;\n")
	b.WriteString("do not edit by hand.\n\n")

	fmt.Fprintf(&b, "Run on %s (UTC), %s.\n\n", r.started.Format("2006-01-02 15:04"), time.Since(r.started).Round(time.Second))
	b.WriteString("## Machine\n\n| | |\n|---|---|\n")
	r.mu.Lock()
	cpu := cpuModel()
	if r.cpuName != "" && r.cpuName != cpu {
		cpu += fmt.Sprintf(" (`model name` in /proc/cpuinfo; Go's benchmarks call it %s)", r.cpuName)
	}
	temporal := r.temporalLine()
	r.mu.Unlock()
	fmt.Fprintf(&b, "| CPU | %s |\n", cpu)
	fmt.Fprintf(&b, "| `nproc` | %d |\n", runtime.NumCPU())
	fmt.Fprintf(&b, "| memory | %s |\n", memTotal())
	fmt.Fprintf(&b, "| Go | %s %s/%s |\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "| load average (1, 5, 15 min) at start / end | %s / %s |\n", r.loadStart, loadAverage())
	fmt.Fprintf(&b, "| Temporal | %s |\n\n", temporal)
	b.WriteString("The machine is shared: other test runs may be using its cores at the same time. Baselines are\n")
	b.WriteString("interleaved with the measurements (A/B/A/B) for that reason.\n\n")

	b.WriteString("## Commands\n\n```sh\nmake bench\n")
	b.WriteString("# which is: make build tools cluster-tools, then\n")
	b.WriteString("HIRESYNC_BENCH=1 go test -count=1 -timeout " + benchTimeout + " -run '^TestBench$' -v ./bench/\n")
	b.WriteString("# rows 1, 5 and 6 run on both engines: the dev server's rows alone, or the cluster's\n")
	b.WriteString("# (" + clusterDir + ", ports offset by " + strconv.Itoa(clusterPortOffset) + ", frontend 127.0.0.1:" + strconv.Itoa(7233+clusterPortOffset) + "):\n")
	b.WriteString("HIRESYNC_BENCH=1 HIRESYNC_BENCH_ROWS=1,5 HIRESYNC_BENCH_TEMPORAL=dev go test -count=1 -timeout " + benchTimeout + " -run '^TestBench$' -v ./bench/\n")
	b.WriteString("HIRESYNC_BENCH=1 HIRESYNC_BENCH_ROWS=1,5 HIRESYNC_BENCH_TEMPORAL=cluster go test -count=1 -timeout " + benchTimeout + " -run '^TestBench$' -v ./bench/\n")
	b.WriteString("# row 2 on its own, as a plain Go benchmark:\n")
	b.WriteString("go test -run '^$' -bench '^Benchmark(VerifyAndParse|HMAC)4KiB$' -benchmem ./ingress/\n```\n\n")

	b.WriteString("## Results\n\n")
	b.WriteString(r.table())
	b.WriteString("\n")
	b.WriteString(methods)

	r.mu.Lock()
	findings := slices.Clone(r.findings)
	r.mu.Unlock()
	if len(findings) > 0 {
		b.WriteString("\n## Findings\n\n")
		for _, f := range findings {
			b.WriteString(f)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// benchTimeout is the Makefile's -timeout of `make bench`.
const benchTimeout = "40m"

// temporalLine is the machine table's line on the engines that ran; r.mu
// held.
func (r *report) temporalLine() string {
	var parts []string
	if _, ok := r.engines[devServer]; ok {
		parts = append(parts, "the CLI's dev server (`bin/temporal server start-dev`, in memory)")
	}
	if v, ok := r.engines[pgCluster]; ok {
		parts = append(parts, fmt.Sprintf("a PostgreSQL cluster (`scripts/cluster.sh`: %s, its frontend, history, matching "+
			"and worker services each a process, on deploy/temporal/hiresync.yaml; frontend on 127.0.0.1:%d), "+
			"created fresh in %s", v, 7233+clusterPortOffset, clusterDir))
	}
	if len(parts) == 0 {
		return "none (no row that needs it ran)"
	}
	return strings.Join(parts, "; and ") + "; one started for each row that needs it and stopped after it"
}

// methods says how each row is measured.
const methods = `## How each figure is measured

Rows 1, 5 and 6 need Temporal and run twice, once on each engine of the Temporal column: the CLI's dev
server (in memory, one process), and a cluster as production runs it (` + "`scripts/cluster.sh`" + `: PostgreSQL, the
schema, and Temporal's frontend, history, matching and worker services as four processes). Each run gets
an engine of its own, started before it and stopped after it; the cluster is made anew each time (a new
PostgreSQL instance, schema and namespace). Measurement and baseline of a row always run on the same
engine, so each ratio compares like with like; the targets are the same for both. A process's CPU time is
read from ` + "`/proc/<pid>/stat`" + `: the dev server's process; the cluster's four service processes summed,
and PostgreSQL's server with its backends (living children read directly, ended ones as charged to the
server).

1. **Acknowledge.** The real ingress handler (gin, signature check, parse, signal-with-start) on a loopback
   HTTP server, in front of Temporal with no worker, so workflows only gather signals. Senders post
   signed generated story events over keep-alive connections (one idle connection per sender) at 1, 16 and
   64 concurrent senders; the latency is from sending the request to reading the whole 202, signing
   excluded. The baseline makes the same signal-with-start calls (same workflow id, options, signal and
   argument) directly with the same SDK client. Each concurrency level runs six pairs of rounds of 250
   calls each, baseline and ingress alternating (A/B, B/A, A/B, …), each round on fresh candidates (one start
   and six signals per candidate); percentiles are over the 1,500 calls of each side, throughput is calls
   over the rounds' summed wall time. Row 1b puts a Temporal client that answers at once behind the same
   handler, to show the ingress's own cost.
2. **Verify + parse.** ` + "`BenchmarkVerifyAndParse4KiB`" + ` (Standard Webhooks signature and timestamp check, then
   ` + "`ingress.ParseEvent`" + `) against ` + "`BenchmarkHMAC4KiB`" + ` (one HMAC-SHA256 over the same 4,096 bytes), both in
   ` + "`ingress/bench_test.go`" + `. The event is an ` + "`interview.completed`" + ` with a panel of three and written feedback
   (a field hiresync ignores) making up 4 KiB. The test binary is built once and the two benchmarks are run
   alternately, five times each for one second; the figures are the medians. When the target is missed,
   row 2b builds the same benchmarks with ` + "`GOEXPERIMENT=jsonv2`" + ` for comparison (the first run compiles
   the dependencies once more with the experiment, about three minutes on this machine; cached after).
3. **HubSpot burst.** 1,000 concurrent ` + "`Syncer.Sync`" + ` calls of a candidate's first event (read the lifecycle stage,
   then upsert the contact with ` + "`lifecyclestage=other`" + `), through one client, batcher and limiter, as a worker
   holds them, against the HubSpot double. Time-scaled by ten: the double enforces 100 requests per rolling
   second and the client is configured for the same, in place of HubSpot's 100 per 10 s. Calls are counted
   by the double (reads included); the baseline is one call per contact.
4. **Slack drain.** 300 root posts at once, 100 into each of three channels, through one ` + "`slackpost.Poster`" + `
   (as a worker holds it), against the Slack double enforcing a strict per-channel rate (burst 1).
   Time-scaled by ten: 10 posts a second per channel on both sides, in place of Slack's one. A caller told
   to wait (429 or paused channel) waits as Temporal would and tries again. The bound is posts ÷ (channels ×
   rate) = 10 s.
5. **End to end.** ` + "`hiresync ingress`" + ` and ` + "`hiresync worker`" + ` as separate processes (the built binary) against
   Temporal and the doubles with no effective limit (Slack 1,000 posts/s per channel, HubSpot 100,000
   requests per 10 s), 500 candidates' generated stories (3,500 events: submitted, test, result, interview
   scheduled and completed, stage change, an ending) posted by 32 concurrent senders (each candidate's
   events in order through one sender, as ClarityHire sends them; a delivery that fails is tried again, up
   to five times in all, after 0.5 s or after the 5 s the ingress's 503 asks in Retry-After, as ClarityHire
   does), timed from the first post until every event of every candidate is in its timeline with its Slack
   and HubSpot actions done (the bench waits for the Slack double to hold every post, then queries the
   timelines of the candidates not yet settled). The
   baseline sends the same events with signal-with-start to a workflow that only receives its candidate's
   signals and completes, on its own task queue and worker (with hiresync's worker options) in the bench
   process, timed until every baseline workflow completed; it runs before and after hiresync and the two are
   averaged. Ten candidates go through both first as a warm-up. After the run the stack's checker compares
   timelines, Slack and HubSpot with what the events call for, and each process's CPU time during each run
   is read from ` + "`/proc/<pid>/stat`" + ` (see Findings); the machine's busy time from ` + "`/proc/stat`" + `, less
   those processes', says how many cores other jobs on the machine kept busy meanwhile. Each timed run is bounded: 5 minutes on the dev server,
   12 on the cluster.
   Row 5b (dev server only) sends 150 candidates' stories the same way while no worker runs, as a deploy or
   an outage leaves them, then starts the worker and times it from its start until every action is done;
   its baseline leaves the same signals waiting for the do-nothing workflow's worker, started then. A
   candidate's waiting events are taken together (up to ten: one Slack activity per application, one
   HubSpot write), which row 5's senders, each candidate's next event some 16 sends later on its sender, rarely leave
   for it to do; 5b shows what it buys. Its activities per event are counted in ten candidates' histories.
6. **Memory.** VmHWM (peak resident set) of the ingress and worker processes of row 5, read from
   ` + "`/proc/<pid>/status`" + ` after the run (warm-up included).
`

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// memTotal is MemTotal of /proc/meminfo, in GiB.
func memTotal() string {
	kb := procField("/proc/meminfo", "MemTotal")
	if kb == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], ", ")
}

// procField reads a "Name:   123 kB" line of a /proc file, in kB.
func procField(path, name string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != name {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		return n
	}
	return 0
}

// Formatting helpers for the table.

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func ratio(x float64) string { return fmt.Sprintf("%.2f ×", x) }

func yes(ok bool) string {
	if ok {
		return "**yes**"
	}
	return "**no**"
}

func mib(kb int64) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }
