package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress"
	"github.com/hiresync/hiresync/signature"
	"github.com/hiresync/hiresync/testsuite"
)

// Row 1: the ingress's acknowledge latency and throughput against the
// same signal-with-start calls made directly.
const (
	ackPairs    = 6   // baseline/ingress round pairs per concurrency level
	ackPerRound = 250 // calls per round
	ackWarmUp   = 200 // calls per side before the first level, not counted
	// ackCandidates gives each round ackPerRound events: one start and six
	// signals per candidate, as a story's first seven events.
	ackCandidates = (ackPerRound + 6) / 7
)

var ackLevels = []int{1, 16, 64}

// Targets of row 1.
const (
	ackP50Max        = 1.10
	ackP99Max        = 1.25
	ackThroughputMin = 0.90
)

type ackSide struct {
	lat  []time.Duration
	n    int
	wall time.Duration
	cpu  []time.Duration // of the engine's processes and this one, as procs
	// others is the CPU time the rest of the machine (other jobs on it)
	// spent during the rounds.
	others time.Duration
}

func (s *ackSide) add(r round, cpu []time.Duration, others time.Duration) {
	s.others += others
	s.lat = append(s.lat, r.lat...)
	s.n += len(r.lat)
	s.wall += r.wall
	if s.cpu == nil {
		s.cpu = make([]time.Duration, len(cpu))
	}
	for i, d := range cpu {
		s.cpu[i] += d
	}
}

// cpuPerCall is CPU time per call in µs, per process.
func (s *ackSide) cpuPerCall() []float64 {
	out := make([]float64, len(s.cpu))
	for i, d := range s.cpu {
		out[i] = float64(d.Microseconds()) / float64(s.n)
	}
	return out
}

// engineCores is how many cores the engine's processes (the first n) kept
// busy on average over the side's rounds.
func (s *ackSide) engineCores(n int) float64 {
	var sum time.Duration
	for _, d := range s.cpu[:n] {
		sum += d
	}
	return sum.Seconds() / s.wall.Seconds()
}

func (s *ackSide) throughput() float64 { return float64(s.n) / s.wall.Seconds() }

func benchAck(t *testing.T, rep *report, kind engineKind) {
	eng := startEngine(t, rep, kind)
	s := testsuite.StartStack(t, eng.addr, testsuite.StackOptions{NoWorker: true})
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	direct := viaSDK(s.Temporal, s.TaskQueue)
	ps := eng.procs(proc{"bench process", os.Getpid()})
	self := len(ps.names) - 1
	failed := 0
	round := func(its []item, senders int, f sendFunc) (round, []time.Duration, time.Duration) {
		cpu0, busy0 := ps.cpu(), machineBusy()
		r := send(ctx, its, senders, f)
		cpu := since(cpu0, ps.cpu())
		others := machineBusy() - busy0
		for _, d := range cpu {
			others -= d
		}
		// A call that fails (Temporal stalling past the 5 s timeout) is
		// left out of the latencies and counted; more than one in a
		// hundred fails the row.
		if failed += r.errors; r.errors > len(its)/100 {
			t.Fatalf("%d of %d deliveries failed, the first: %v", r.errors, len(its), r.first)
		}
		return r, cpu, max(others, 0)
	}

	// Warm up both paths: connections, Temporal's caches, the search
	// attribute, the code paths.
	hc := httpClient(16)
	round(items(t, (ackWarmUp+6)/7, "warmsdk", ackWarmUp), 16, direct)
	round(items(t, (ackWarmUp+6)/7, "warmhttp", ackWarmUp), 16, viaHTTP(hc, s.WebhookURL, s.Sender.Keys))
	hc.CloseIdleConnections()

	missed := false
	// per level: p50, CPU per call of this process and of the engine
	// (ingress against direct), and the cores the engine kept busy
	var gaps, cpuGaps, engineGaps, cores []string
	for _, senders := range ackLevels {
		hc := httpClient(senders)
		viaIngress := viaHTTP(hc, s.WebhookURL, s.Sender.Keys)
		var base, ing ackSide
		for pair := range ackPairs {
			its := func(side string) []item {
				return items(t, ackCandidates, fmt.Sprintf("c%dp%d%s", senders, pair, side), ackPerRound)
			}
			b, i := its("sdk"), its("http")
			if pair%2 == 0 {
				base.add(round(b, senders, direct))
				ing.add(round(i, senders, viaIngress))
			} else {
				ing.add(round(i, senders, viaIngress))
				base.add(round(b, senders, direct))
			}
		}
		hc.CloseIdleConnections()

		bp50, bp99 := percentile(base.lat, 50), percentile(base.lat, 99)
		ip50, ip99 := percentile(ing.lat, 50), percentile(ing.lat, 99)
		r50 := float64(ip50) / float64(bp50)
		r99 := float64(ip99) / float64(bp99)
		rtp := ing.throughput() / base.throughput()
		t.Logf("%s, %d senders: ingress p50 %s p99 %s %.0f/s; direct p50 %s p99 %s %.0f/s",
			kind, senders, ms(ip50), ms(ip99), ing.throughput(), ms(bp50), ms(bp99), base.throughput())
		// Judged on the cluster, the engine production runs; the dev
		// server's row is for reading.
		judged := kind == pgCluster
		met := r50 <= ackP50Max && r99 <= ackP99Max && rtp >= ackThroughputMin
		missed = missed || judged && !met
		if senders == 1 {
			rep.setAckP50(kind, ip50)
		}
		gaps = append(gaps, fmt.Sprintf("%+.2f ms at %d", float64(ip50-bp50)/float64(time.Millisecond), senders))
		ic, bc := ing.cpuPerCall(), base.cpuPerCall()
		cpuGaps = append(cpuGaps, fmt.Sprintf("%.0f against %.0f µs at %d sender(s)", ic[self], bc[self], senders))
		var ie, be float64
		for i := range self {
			ie, be = ie+ic[i], be+bc[i]
		}
		engineGaps = append(engineGaps, fmt.Sprintf("%+d%%", int(math.Round(100*(ie/be-1)))))
		cores = append(cores, fmt.Sprintf("%.2f", ing.engineCores(self)))
		var per []string
		for i, name := range ps.names {
			if i == self {
				name += " (senders, ingress, client)"
			}
			per = append(per, fmt.Sprintf("%s %.0f / %.0f µs", name, ic[i], bc[i]))
		}
		t.Logf("%s, %d senders: CPU per call (ingress / direct): %s", kind, senders, strings.Join(per, ", "))
		notes := fmt.Sprintf("%d calls per side in %d interleaved pairs of rounds; other jobs on the machine kept %.2f cores busy during the ingress rounds, %.2f during the direct ones; CPU per call, ingress side / direct: %s",
			ing.n, ackPairs, ing.others.Seconds()/ing.wall.Seconds(), base.others.Seconds()/base.wall.Seconds(), strings.Join(per, ", "))
		if eng.notes != "" {
			notes += " (" + eng.notes + ")"
		}
		target, verdict := fmt.Sprintf("p50 ≤ %.2f ×, p99 ≤ %.2f ×, throughput ≥ %.2f ×", ackP50Max, ackP99Max, ackThroughputMin), yes(met)
		if !judged {
			target, verdict = "for reading (judged on the cluster)", "—"
		} else if !met {
			notes += "; " + ackMiss(r50, r99, rtp)
		}
		rep.add(row{
			ID:       "1",
			Temporal: string(kind),
			What:     fmt.Sprintf("ingress acknowledge, %d concurrent sender(s)", senders),
			Measured: fmt.Sprintf("p50 %s, p99 %s, %.0f acks/s", ms(ip50), ms(ip99), ing.throughput()),
			Baseline: fmt.Sprintf("SDK signal-with-start, no HTTP: p50 %s, p99 %s, %.0f calls/s", ms(bp50), ms(bp99), base.throughput()),
			Ratio:    fmt.Sprintf("p50 %.2f ×, p99 %.2f ×, throughput %.2f ×", r50, r99, rtp),
			Target:   target,
			Met:      verdict,
			Notes:    notes,
		})
	}
	if failed > 0 {
		rep.finding("**Row 1 (%s):** %d calls failed (timed out) and are left out of row 1's figures.", kind, failed)
	}
	if kind != pgCluster {
		return
	}
	if missed {
		rep.finding("**Row 1 (acknowledge, %s), missed.** The ingress side pays, per call, everything the direct side "+
			"does plus an HTTP round trip: the sender's client (in production ClarityHire's), the server, the handler. "+
			"Measured as CPU time of the bench process, which holds senders, ingress and SDK client, that was %s. The "+
			"CPU per call of %s differed by %s on the ingress side at 1, 16 and 64 senders. On this two-core machine "+
			"%s kept %s cores busy by itself during the ingress rounds, so the extra CPU comes out of what is left of "+
			"the same two cores and lowers calls per second, and queueing turns that into latency at 16 and 64 "+
			"senders. The p50 differences were %s sender(s): with one sender that is the HTTP hop itself (row 1b "+
			"measures it alone, a fraction of a millisecond), with more it is mostly queueing. A CPU profile of the "+
			"bench process during row 1 (`go test -cpuprofile`, 2026-11-30) puts the handler's own work (signature, "+
			"parse, log line, answer) at about 110 µs per call, net/http's server about as much again, and the SDK's "+
			"gzip of each signal-with-start request about 110 µs on both sides; the SDK call costs the same from "+
			"either side. The level and measure that miss move from run to run: in three runs of row 1 on the cluster "+
			"while this benchmark was being built (2026-12-06, 01:13–01:40), the 1-sender level missed in two, with "+
			"other jobs keeping 0.9–1.5 cores busy (p50 1.27 ×, p99 1.27 ×, throughput 0.82 ×; then p50 1.14 × and "+
			"throughput just under 0.90 ×) while 16 and 64 senders met; in the third, with other jobs keeping none "+
			"busy, 1 sender met and the 16-sender p99 (1.28 ×) and the 64-sender p50 (1.16 ×) missed. On two cores the cluster's own five processes, the senders and the "+
			"ingress queue for the same cores, and a few milliseconds of that queueing decide the ratio.",
			kind, strings.Join(cpuGaps, ", "), eng.label, strings.Join(engineGaps, ", "), eng.label,
			strings.Join(cores, ", "), strings.Join(gaps, ", "))
		return
	}
	rep.finding("**Row 1 (acknowledge, %s), met.** The ingress side pays, per call, everything the direct side does plus "+
		"an HTTP round trip (row 1b): the bench process's CPU per call, which holds senders, ingress and SDK client, "+
		"was %s; the CPU per call of %s differed by %s on the ingress side, and it kept %s cores busy "+
		"during the ingress rounds; the p50 differences were %s sender(s).",
		kind, strings.Join(cpuGaps, ", "), eng.label, strings.Join(engineGaps, ", "),
		strings.Join(cores, ", "), strings.Join(gaps, ", "))
}

// noTemporal stands in for Temporal in row 1b: it accepts every signal at
// once, so that what is left is the ingress's own cost.
type noTemporal struct{}

func (noTemporal) SignalWithStartWorkflow(context.Context, string, string, any, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (noTemporal) CheckHealth(context.Context, *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	return &client.CheckHealthResponse{}, nil
}

// benchAckAlone, row 1b, measures the ingress with noTemporal behind it:
// the HTTP round trip, signature, parse, log line and metrics, per request.
func benchAckAlone(t *testing.T, rep *report) {
	keys, err := signature.ParseSecrets(testsuite.TestSecret)
	if err != nil {
		t.Fatal(err)
	}
	in := ingress.New(ingress.Config{TaskQueue: "bench-no-temporal", Keys: keys}, noTemporal{},
		slog.New(slog.NewJSONHandler(io.Discard, nil)), prometheus.NewRegistry())
	srv := httptest.NewServer(in.Handler())
	defer srv.Close()
	var parts []string
	for _, senders := range []int{1, 16} {
		hc := httpClient(senders)
		r := send(context.Background(), items(t, 300, fmt.Sprintf("alone%d", senders), 2000), senders, viaHTTP(hc, srv.URL+hiresync.WebhookPath, keys))
		hc.CloseIdleConnections()
		if r.errors > 0 {
			t.Fatalf("%d deliveries failed, the first: %v", r.errors, r.first)
		}
		parts = append(parts, fmt.Sprintf("%d sender(s): p50 %s, p99 %s, %.0f req/s", senders,
			short(percentile(r.lat, 50)), short(percentile(r.lat, 99)), float64(len(r.lat))/r.wall.Seconds()))
	}
	rep.add(row{
		ID:       "1b",
		What:     "the ingress alone: a no-op Temporal client behind it",
		Measured: strings.Join(parts, "; "),
		Target:   "for reading row 1",
		Notes:    "2,000 requests per level over loopback, sender and ingress in one process",
	})
}

// short is a duration in µs below a millisecond, else in ms.
func short(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
	}
	return ms(d)
}

func ackMiss(r50, r99, rtp float64) string {
	var missed []string
	if r50 > ackP50Max {
		missed = append(missed, "p50")
	}
	if r99 > ackP99Max {
		missed = append(missed, "p99")
	}
	if rtp < ackThroughputMin {
		missed = append(missed, "throughput")
	}
	return "missed: " + strings.Join(missed, ", ")
}
