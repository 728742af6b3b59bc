package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/proto"

	"github.com/hiresync/hiresync"
)

// Temporal actions, counted the way Temporal Cloud bills them
// (https://docs.temporal.io/cloud/actions): a signal, or one for a
// signal-with-start whether or not it starts the workflow; a workflow start
// by other means (continue-as-new included); each activity attempt (a retry
// is one more); a timer; a search-attribute upsert (one per command, those
// of TemporalChangeVersion alone exempt, the start's own attributes
// excluded); the markers of one workflow task together as one; a child
// workflow as two; an accepted update. Queries are billed too but leave no
// trace in a history: hiresync makes none per event, and the bench's own
// (to see when a candidate settled) are left out.
type actions struct {
	signals    int // each signal and each signal-with-start
	starts     int // starts not by signal-with-start: continue-as-new
	activities int // activities scheduled (first attempts)
	retries    int // further attempts
	timers     int
	upserts    int // billed upserts
	// versionUpserts are upserts of TemporalChangeVersion alone (exempt).
	versionUpserts int
	markerTasks    int // workflow tasks that recorded markers
	markers        int // markers, one by one (the server's metric counts these too)
	children       int // child workflows, two actions each
	updates        int
	// together is how many signals reached their workflow in a workflow
	// task with at least one other: events the workflow took together.
	together int
	runs     int
	// bytes is the histories' size as protobuf, what Temporal Cloud's
	// storage is measured in.
	bytes int
	// byType counts the activities scheduled by activity type, and
	// skipped those whose result said they had nothing to do ("skipped":
	// not configured), by type.
	byType, skipped map[string]int
}

func (a *actions) add(b actions) {
	a.signals += b.signals
	a.starts += b.starts
	a.activities += b.activities
	a.retries += b.retries
	a.timers += b.timers
	a.upserts += b.upserts
	a.versionUpserts += b.versionUpserts
	a.markerTasks += b.markerTasks
	a.markers += b.markers
	a.children += b.children
	a.updates += b.updates
	a.together += b.together
	a.runs += b.runs
	a.bytes += b.bytes
	a.byType = addCounts(a.byType, b.byType)
	a.skipped = addCounts(a.skipped, b.skipped)
}

func addCounts(dst, src map[string]int) map[string]int {
	if dst == nil {
		dst = map[string]int{}
	}
	for k, n := range src {
		dst[k] += n
	}
	return dst
}

// billed is what Temporal Cloud would bill for them.
func (a actions) billed() int {
	return a.signals + a.starts + a.activities + a.retries + a.timers + a.upserts + a.markerTasks + 2*a.children + a.updates
}

// measured is the actions' row figure: per event, in all, and what they
// are made of.
func (a actions) measured(events int) string {
	return fmt.Sprintf("%.2f per event (%d actions for %d events): %s",
		float64(a.billed())/float64(events), a.billed(), events, a.breakdown(events))
}

// breakdown says per event what the billed actions are made of.
func (a actions) breakdown(events int) string {
	per := func(n int) string { return fmt.Sprintf("%.2f", float64(n)/float64(events)) }
	parts := []string{
		per(a.signals) + " signals (signal-with-start)",
		per(a.activities) + " activities",
		per(a.retries) + " activity retries",
		per(a.upserts) + " search-attribute upserts",
		per(a.timers) + " timers",
		per(a.markerTasks) + " marker batches",
	}
	if a.starts > 0 {
		parts = append(parts, per(a.starts)+" continue-as-new starts")
	}
	if a.children > 0 {
		parts = append(parts, per(2*a.children)+" for child workflows")
	}
	if a.updates > 0 {
		parts = append(parts, per(a.updates)+" updates")
	}
	return strings.Join(parts, ", ")
}

// countHistory counts the actions of one run's history.
func countHistory(events []*historypb.HistoryEvent) actions {
	a := actions{runs: 1, byType: map[string]int{}, skipped: map[string]int{}}
	markerTasks := map[int64]bool{}
	typeOf := map[int64]string{} // activity type by its scheduled event id
	sinceTask := 0               // signals since the last workflow task started
	for i, e := range events {
		a.bytes += proto.Size(e)
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			// A signal-with-start's start is billed with its signal, the
			// event right after it.
			sws := i+1 < len(events) && events[i+1].GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED &&
				e.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId() == ""
			if !sws {
				a.starts++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a.signals++
			sinceTask++
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
			if sinceTask > 1 {
				a.together += sinceTask
			}
			sinceTask = 0
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a.activities++
			typeOf[e.GetEventId()] = e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
			a.byType[typeOf[e.GetEventId()]]++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			attrs := e.GetActivityTaskCompletedEventAttributes()
			var res struct {
				Skipped string `json:"skipped"`
			}
			if p := attrs.GetResult().GetPayloads(); len(p) == 1 && json.Unmarshal(p[0].GetData(), &res) == nil && res.Skipped != "" {
				a.skipped[typeOf[attrs.GetScheduledEventId()]]++
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a.retries += max(int(e.GetActivityTaskStartedEventAttributes().GetAttempt())-1, 0)
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			a.timers++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			fields := e.GetUpsertWorkflowSearchAttributesEventAttributes().GetSearchAttributes().GetIndexedFields()
			onlyVersion := len(fields) > 0
			for k := range fields {
				onlyVersion = onlyVersion && k == "TemporalChangeVersion"
			}
			if onlyVersion {
				a.versionUpserts++
			} else {
				a.upserts++
			}
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			a.markers++
			markerTasks[e.GetMarkerRecordedEventAttributes().GetWorkflowTaskCompletedEventId()] = true
		case enumspb.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
			a.children++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a.updates++
		}
	}
	a.markerTasks = len(markerTasks)
	return a
}

// countActions counts the actions in the histories of every candidate's
// workflow, each run of it (following continue-as-new back to the first).
func countActions(ctx context.Context, c client.Client, candidates []string) (actions, error) {
	var mu sync.Mutex
	var total actions
	var firstErr error
	next := make(chan string, len(candidates))
	for _, cand := range candidates {
		next <- cand
	}
	close(next)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for cand := range next {
				a, err := workflowActions(ctx, c, hiresync.WorkflowID(cand))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				total.add(a)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return total, firstErr
}

func workflowActions(ctx context.Context, c client.Client, wid string) (actions, error) {
	var total actions
	run := ""
	for {
		var events []*historypb.HistoryEvent
		it := c.GetWorkflowHistory(ctx, wid, run, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return total, fmt.Errorf("history of %s: %w", wid, err)
			}
			events = append(events, e)
		}
		total.add(countHistory(events))
		if len(events) == 0 {
			return total, nil
		}
		run = events[0].GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if run == "" {
			return total, nil
		}
	}
}

// candidatesOf lists the candidates of items, each once.
func candidatesOf(its []item) []string {
	var out []string
	seen := map[string]bool{}
	for _, it := range its {
		if c := it.ev.Data.Candidate.ID; !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// Metrics read from a Prometheus endpoint.

// scrape sums a metric's samples on a Prometheus text endpoint by the
// value of one label, keeping only the samples whose labels hold all of
// match; nil when the endpoint does not answer.
func scrape(url, metric, by string, match map[string]string) map[string]float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		labels := map[string]string{}
		rest := line[len(metric):]
		if strings.HasPrefix(rest, "{") {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			for _, kv := range splitLabels(rest[1:end]) {
				k, v, _ := strings.Cut(kv, "=")
				labels[k] = strings.Trim(v, `"`)
			}
			rest = rest[end+1:]
		}
		ok := true
		for k, v := range match {
			ok = ok && labels[k] == v
		}
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		out[labels[by]] += v
	}
	return out
}

// splitLabels splits `a="x",b="y,z"` at the commas between labels.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// diff is after less before, key by key; nil when either reading failed.
func diff(before, after map[string]float64) map[string]float64 {
	if before == nil || after == nil {
		return nil
	}
	out := map[string]float64{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// actionMetric reads the Temporal frontend's `action` counter for the
// default namespace, by action_type, once it holds still: the server's
// metrics (tally) reach the Prometheus endpoint once a second, so a reading
// right after a run may miss its last second. It reads until two readings
// 1.5 s apart agree (at most ten seconds).
func actionMetric(url string) map[string]float64 {
	if url == "" {
		return nil
	}
	read := func() map[string]float64 {
		return scrape(url, "action", "action_type", map[string]string{"namespace": "default"})
	}
	last := read()
	for range 6 {
		if last == nil {
			return nil
		}
		time.Sleep(1500 * time.Millisecond) // the server's reporting interval and a margin, not a wait for an outcome
		now := read()
		if maps.Equal(now, last) {
			return now
		}
		last = now
	}
	return last
}

// crossCheck compares the frontend's `action` counter over a run with
// what the histories hold, kind by kind, and returns the comparison and the
// metric's billable total (its kinds but queries and single markers, less
// the histories' exempt upserts).
// The metric counts each upsert (TemporalChangeVersion's too) and the
// bench's queries; those are set beside the histories' own figures, not
// left out silently.
func crossCheck(metric map[string]float64, a actions) (line string, billed float64) {
	if metric == nil {
		return "the frontend's metrics did not answer", 0
	}
	type kind struct {
		name    string
		keys    []string
		history int
	}
	kinds := []kind{
		{"signals", []string{"grpc_SignalWithStartWorkflowExecution", "grpc_SignalWorkflowExecution"}, a.signals},
		{"activities", []string{"command_ScheduleActivityTask"}, a.activities},
		{"retries", []string{"activity_retry"}, a.retries},
		{"timers", []string{"command_StartTimer"}, a.timers},
		{"upserts (TemporalChangeVersion's included)", []string{"command_UpsertWorkflowSearchAttributes"}, a.upserts + a.versionUpserts},
		{"marker batches", []string{"command_BatchMarkers"}, a.markerTasks},
		{"continue-as-new", []string{"command_ContinueAsNewWorkflowExecution"}, a.starts},
	}
	var parts []string
	seen := map[string]bool{"grpc_QueryWorkflow": true, "command_RecordMarker": true}
	for _, k := range kinds {
		var m float64
		for _, key := range k.keys {
			m += metric[key]
			seen[key] = true
		}
		if m == 0 && k.history == 0 {
			continue
		}
		billed += m
		parts = append(parts, fmt.Sprintf("%s %.0f / %d", k.name, m, k.history))
	}
	var others []string
	for key, v := range metric {
		if !seen[key] {
			billed += v
			others = append(others, fmt.Sprintf("%s %.0f", key, v))
		}
	}
	slices.Sort(others)
	if len(others) > 0 {
		parts = append(parts, "other kinds in the metric: "+strings.Join(others, ", "))
	}
	line = fmt.Sprintf("metric / histories: %s; the metric also counted %.0f queries (the bench's own)",
		strings.Join(parts, "; "), metric["grpc_QueryWorkflow"])
	// Billed as the histories count it: less the exempt upserts, which the
	// metric cannot tell apart.
	return line, billed - float64(a.versionUpserts)
}

// perCandidate says what the histories hold per candidate, and what the
// target leaves for the workflow's own work beside its signals.
func perCandidate(a actions, events, candidates int, target float64) string {
	per := func(n int) float64 { return float64(n) / float64(candidates) }
	own := a.billed() - a.signals
	out := fmt.Sprintf("Per candidate (%.1f events) the histories hold %.2f signals, one per delivery and billed whatever the "+
		"workflow does with it, and %.2f actions of the workflow's own: %.2f activities, %.2f activity retries, %.2f "+
		"search-attribute upserts, %.2f timers, %.2f workflow tasks that recorded markers (%.2f "+
		"markers in all; Temporal Cloud bills the markers of one workflow task as one action, as the frontend's "+
		"`command_BatchMarkers` counts them). At %.1f per event the target leaves %.2f actions per candidate for the "+
		"workflow's own work beside the signals; it used %.2f.",
		float64(events)/float64(candidates), per(a.signals), per(own), per(a.activities), per(a.retries), per(a.upserts),
		per(a.timers), per(a.markerTasks), per(a.markers), target, target*float64(events)/float64(candidates)-per(a.signals), per(own))
	if a.markerTasks > 0 {
		out += fmt.Sprintf(" The markers are `workflow.GetVersion`'s (or side effects'): without them it would be %.2f per event.",
			float64(a.billed()-a.markerTasks)/float64(events))
	}
	if len(a.byType) > 0 {
		var kinds []string
		for k, n := range a.byType {
			kinds = append(kinds, fmt.Sprintf("%s %.2f", k, per(n)))
		}
		slices.Sort(kinds)
		out += " Activities per candidate by type: " + strings.Join(kinds, ", ") + "."
	}
	if a.timers > a.runs {
		out += fmt.Sprintf(" The workflow starts %.2f timers per run (the run's maximum age, continue-as-new's deadline, "+
			"and the retention window).", float64(a.timers)/float64(a.runs))
	}
	if l := levers(a, events, candidates); l != "" {
		out += " " + l
	}
	if a.versionUpserts > 0 {
		out += fmt.Sprintf(" The %d upserts of `TemporalChangeVersion` that `workflow.GetVersion` makes are exempt and not counted.", a.versionUpserts)
	}
	return out
}

// levers says, from the same histories, what would bring the actions per
// event down, and why the workflow does not do it (yet).
func levers(a actions, events, candidates int) string {
	perEvent := func(n int) float64 { return float64(n) / float64(events) }
	loops, timers := a.leverable()
	var out []string
	if loops > 0 {
		out = append(out, fmt.Sprintf("%.2f activities per candidate were a hire's hand-off or provisioning message that only "+
			"reported it is not configured (no `HIRESYNC_HANDOFF_URL`, no `provisioning_channel` in the routes): without them "+
			"%.2f per event. They run anyway because a workflow may not read the worker's configuration (its commands would "+
			"change with it, and replay with them); it learns it from an activity, and learnt before the hire (with the root "+
			"post, as a job's nudges are) it can be out of date when the hire comes: a hand-off configured after a candidate "+
			"applied would then be skipped, the one thing the hand-off promises never to do.",
			float64(loops)/float64(candidates), perEvent(a.billed()-loops)))
	}
	if timers > 0 {
		out = append(out, fmt.Sprintf("One timer per run, a single deadline for both the run's age and the retention "+
			"window, would give %.2f per event. Since `v1.0.0` that change to the workflow's commands needs a "+
			"`workflow.GetVersion` gate, asked once per run (docs/operations.md, \"Upgrading hiresync\"), and the gate's "+
			"marker is one billed action per run for as long as the gate lives: the timer it saves. It pays from the "+
			"gate's retirement on (`HIRESYNC_RUN_MAX_AGE` after the deploy), or at once beside another gated change, "+
			"whose marker it shares (the markers of one workflow task are one action).", perEvent(a.billed()-timers)))
	}
	if loops > 0 && timers > 0 {
		out = append(out, fmt.Sprintf("Both: %.2f per event.", perEvent(a.billed()-loops-timers)))
	}
	return strings.Join(out, " ")
}

// leverable are the actions levers names: the hire's hand-off and
// provisioning activities that only reported they are not configured, and
// the timers beyond one per run.
func (a actions) leverable() (loops, timers int) {
	return a.skipped["SendHireHandoff"] + a.skipped["PostHireNotice"], max(a.timers-a.runs, 0)
}
