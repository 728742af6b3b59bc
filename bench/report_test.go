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
	b.WriteString("What does hiresync cost per event, in Temporal actions (what Temporal Cloud bills) and in CPU, how soon\n")
	b.WriteString("does a channel see a new applicant, how fast does the ingress acknowledge a webhook, and will it get us\n")
	b.WriteString("rate-limited? Each figure is set beside a baseline measured in the same run, on the same machine, so\n")
	b.WriteString("that the noise of a shared machine cancels out as far as it can. Written by `make bench`; do not edit\n")
	b.WriteString("by hand.\n\n")

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
	b.WriteString("# rows 1 and 5 (with 6) run on both engines, 5b and 7 on the cluster: the dev server's rows alone, or the cluster's\n")
	b.WriteString("# (" + clusterDir + ", ports offset by " + strconv.Itoa(clusterPortOffset) + ", frontend 127.0.0.1:" + strconv.Itoa(7233+clusterPortOffset) + "):\n")
	b.WriteString("HIRESYNC_BENCH=1 HIRESYNC_BENCH_ROWS=1,5 HIRESYNC_BENCH_TEMPORAL=dev go test -count=1 -timeout " + benchTimeout + " -run '^TestBench$' -v ./bench/\n")
	b.WriteString("HIRESYNC_BENCH=1 HIRESYNC_BENCH_ROWS=1,5,7 HIRESYNC_BENCH_TEMPORAL=cluster go test -count=1 -timeout " + benchTimeout + " -run '^TestBench$' -v ./bench/\n")
	b.WriteString("# row 2's benchmark on its own (its target needs row 1 on the cluster in the same run):\n")
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
			"and worker services each a process, on deploy/temporal/hiresync.yaml; frontend on 127.0.0.1:%d, its "+
			"Prometheus metrics on 127.0.0.1:%d), created fresh in %s", v, 7233+clusterPortOffset, clusterMetricsPort, clusterDir))
	}
	if len(parts) == 0 {
		return "none (no row that needs it ran)"
	}
	return strings.Join(parts, "; and ") + "; one started for each row that needs it and stopped after it"
}

// methods says how each row is measured.
const methods = `## How each figure is measured

Rows 1 and 5 need Temporal and run twice, once on each engine of the Temporal column: the CLI's dev
server (in memory, one process), and a cluster as production runs it (` + "`scripts/cluster.sh`" + `: PostgreSQL, the
schema, and Temporal's frontend, history, matching and worker services as four processes). Rows 5b and 7
run on the cluster alone. Each run gets an engine of its own, started before it and stopped after it; the
cluster is made anew each time (a new PostgreSQL instance, schema and namespace). Measurement and
baseline of a row always run on the same engine. Targets are judged on the cluster, the engine production
runs; the dev server's rows are for reading. A process's CPU time is read from ` + "`/proc/<pid>/stat`" + `: the dev
server's process; the cluster's four service processes summed, and PostgreSQL's server with its backends
(living children read directly, ended ones as charged to the server).

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
   ` + "`ingress.ParseEvent`" + `) in ` + "`ingress/bench_test.go`" + `, on an ` + "`interview.completed`" + ` with a panel of three and
   written feedback (a field hiresync ignores) making up 4 KiB; the test binary is built once and run five
   times for one second, alternating with ` + "`BenchmarkHMAC4KiB`" + ` (one HMAC-SHA256 over the same bytes, for
   reading); the figures are the medians. The target compares it with row 1's p50 at one sender on the
   cluster in the same run: what acknowledging a delivery takes anyway.
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
   requests per 10 s): 500 candidates' generated stories on the dev server, 300 on the cluster (7 events
   each: submitted, test, result, interview scheduled and completed, stage change, an ending), posted by 32
   concurrent senders (each candidate's events in order through one sender, as ClarityHire sends them, its
   next event some ten to sixteen deliveries after the last on its sender; a delivery that fails is tried
   again, up to ten times in all, after 0.5 s or after the 5 s the ingress's 503 asks in Retry-After, as
   ClarityHire does), timed from the first post until every event of every candidate is in its timeline
   with its Slack and HubSpot actions done (the bench waits for the Slack double to hold every post, then
   queries the timelines of the candidates not yet settled). The baseline sends the same events with
   signal-with-start to a workflow that only receives its candidate's signals and completes, on its own task
   queue and worker (with hiresync's worker options) in the bench process, timed until every baseline
   workflow completed; it runs before and after hiresync and the two are averaged. Ten candidates go
   through both first as a warm-up. After the run the stack's checker compares timelines, Slack and HubSpot
   with what the events call for. Events per second are for reading. On the cluster two more rows judge the
   run:
   - **Temporal actions per event with events spaced** as real candidates' are, days apart: after row 5's
     run, 100 more candidates' full stories through the ingress, each candidate's next event sent only once its
     workflow is idle again (no workflow task and no activity pending, as ` + "`DescribeWorkflowExecution`" + ` says), so
     that no two events are taken together. Row 5's own run is counted too, for reading: there some of a
     candidate's events reach the workflow while it still works on the one before, and are taken together.
     Actions are counted the way Temporal Cloud bills them
     (https://docs.temporal.io/cloud/actions): one per signal-with-start, whether or not it starts the
     workflow (the start's search attributes are free); one per activity attempt, retries included; one per
     timer; one per search-attribute upsert (those of ` + "`TemporalChangeVersion`" + ` alone, which
     ` + "`workflow.GetVersion`" + ` makes, are exempt); the markers of one workflow task together as one; a
     continue-as-new start, a child workflow (two), an accepted update when there are any. They are counted
     in the histories of every candidate of the run, each run of a workflow followed back through
     continue-as-new, and cross-checked with the Temporal frontend's own ` + "`action`" + ` counter
     (Prometheus, on 127.0.0.1:7250 plus the cluster's port offset; scripts/cluster.sh) read before and after
     each run, kind by kind (the server publishes it once a second: a reading is taken once two readings 1.5 s
     apart agree). Queries are billed too but leave no history: hiresync makes none per
     event, and the bench's own (to see when candidates settled) show in the metric and are left out.
   - **CPU time per 1,000 events** of the cluster's Temporal services and PostgreSQL plus hiresync's worker
     and ingress, against the baseline's: the same engine processes plus the bench process during the
     baseline runs (it holds the baseline's SDK client, playing the ingress's part, and its do-nothing
     worker, besides the senders' loop). The worker's SDK metrics (` + "`temporal_sticky_cache_miss`" + `, read
     from its /metrics before and after the run) say whether it replayed histories.
   The machine's busy time from ` + "`/proc/stat`" + `, less the measured processes', says how many cores other jobs
   kept busy meanwhile. Each timed run is bounded: 5 minutes on the dev server, 12 on the cluster.
5b. **Backlog** (cluster). 150 candidates' stories sent the same way while no worker runs, as a deploy or an
   outage leaves them, then the worker started and timed from its start until every action is done; its
   baseline leaves the same signals waiting for the do-nothing workflow's worker, started then. A
   candidate's waiting events are taken together (up to ten: one Slack activity per application, one
   HubSpot write). Its actions per event are counted as in row 5, in every candidate's history, and
   cross-checked with the frontend's counter from the first delivery until the backlog was drained.
6. **Memory.** VmHWM (peak resident set) of the ingress and worker processes of row 5, read from
   ` + "`/proc/<pid>/status`" + ` after the run (warm-up included).
7. **Freshness** (cluster). The worker and ingress processes with a routes file sending ten jobs to ten
   channels; 120 new candidates' ` + "`application.submitted`" + ` deliveries, spread over the ten jobs, sent at a
   steady 2 a second for 60 s (each in its own goroutine, so a slow answer does not hold up the next), after
   ten as a warm-up. The figure is the time from the sender reading the ingress's 202 to the root post's ts
   in the Slack double (its clock when it stored the post). Beside it, alternating with it a quarter of a
   second apart (4 deliveries a second in all), 120 direct signal-with-starts of the do-nothing workflow,
   each completing on its first event, timed from the call's answer to the first
   ` + "`WorkflowTaskCompleted`" + ` event's time in its history: what Temporal alone takes to hand a new
   workflow to a worker and take its answer. Same machine, same clock.
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
