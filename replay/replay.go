// Package replay runs recorded CandidateWorkflow histories through this
// binary's workflow code with the SDK's replayer, and says for each whether
// it replays cleanly or where it stops: the first history event the code
// disagrees with (non-determinism) or the workflow task that panicked. The
// `hiresync replay` command and the replay tests over the recorded
// baseline histories both use it, so there is one replayer.
package replay

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/workflows"
)

// candidateWorkflow is the code replayed: workflows.CandidateWorkflow, but
// in this package's tests.
var candidateWorkflow any = workflows.CandidateWorkflow

// Replayer replays histories against workflows.CandidateWorkflow.
type Replayer struct {
	opts worker.WorkflowReplayerOptions
	log  log.Logger
}

// New returns a Replayer that decodes payloads with dc and fc (the worker's
// codec when HIRESYNC_PAYLOAD_KEY is set; nil for the SDK's defaults) and
// gives the SDK's replay logs to logger (nil: none).
func New(dc converter.DataConverter, fc converter.FailureConverter, logger log.Logger) *Replayer {
	if logger == nil {
		logger = nopLogger{}
	}
	return &Replayer{opts: worker.WorkflowReplayerOptions{DataConverter: dc, FailureConverter: fc}, log: logger}
}

// Result is what replaying one history found.
type Result struct {
	WorkflowID, RunID string
	// Events is how many events the history holds.
	Events int
	// Err is the replayer's error; nil when the history replays cleanly.
	Err error
	// Panic is true when the workflow code panicked rather than issued
	// other commands than the history holds.
	Panic bool
	// EventID is the history event where replay stopped (0 when it
	// replays cleanly or cannot be told). Expected is the command that
	// event records, which the code no longer issues there
	// ("ScheduleActivityTask PostSlackThread").
	EventID  int64
	Expected string
	// Command is what the code issued instead, when the SDK says
	// ("StartTimer 24").
	Command string
	// PanicAt is the line of hiresync's code that panicked, from the
	// panic's stack.
	PanicAt string
	// PendingTask is the last event of the run's last workflow task when
	// that task has not completed: scheduled or started, or failed (a run
	// stuck on it; FailedTask is true then). Replaying runs that task as
	// the worker's next attempt would; 0 when there is none.
	PendingTask int64
	FailedTask  bool
}

// OK reports whether the history replayed cleanly.
func (r Result) OK() bool { return r.Err == nil }

// String is the result's report line (two lines for a failure: the
// finding, then the SDK's own words).
func (r Result) String() string {
	name := r.WorkflowID
	if name == "" {
		name = "workflow"
	}
	if r.RunID != "" {
		name += " run " + r.RunID
	}
	name += fmt.Sprintf(" (%d events)", r.Events)
	if r.OK() {
		if r.FailedTask {
			return fmt.Sprintf("ok      %s: replays cleanly, the workflow task that failed at event %d too", name, r.PendingTask)
		}
		return "ok      " + name + ": replays cleanly"
	}
	var what string
	switch {
	case r.Panic && r.PendingTask > 0 && r.EventID == r.PendingTask:
		what = fmt.Sprintf("panic in the run's last workflow task (event %d", r.PendingTask)
		if r.FailedTask {
			what += ", where it failed"
		}
		what += ")"
		if r.PanicAt != "" {
			what += ", at " + r.PanicAt
		}
	case r.Panic:
		what = "panic"
		if r.EventID > 0 {
			what += fmt.Sprintf(" in the workflow task started at event %d", r.EventID)
		}
		if r.PanicAt != "" {
			what += ", at " + r.PanicAt
		}
	case r.EventID > 0:
		what = fmt.Sprintf("non-determinism at event %d: the history expects %s", r.EventID, r.Expected)
		if r.Command != "" {
			what += ", the code issues " + r.Command
		}
	default:
		what = "does not replay"
	}
	return "FAILED  " + name + ": " + what + "\n        " + shorten(r.Err.Error(), 400)
}

// Replay replays h, the history of one run of workflowID (both may be
// empty when not known, as for a file).
func (r *Replayer) Replay(workflowID, runID string, h *historypb.History) Result {
	res := Result{WorkflowID: workflowID, RunID: runID, Events: len(h.GetEvents())}
	if res.Err = r.replay(workflowID, runID, h); res.Err != nil {
		r.locate(&res, h.GetEvents())
	} else if probe, last, failed := withPendingTaskDone(h.GetEvents()); probe != nil {
		res.PendingTask, res.FailedTask = last, failed
		r.runPending(&res, probe)
	}
	if res.Err != nil && r.opts.DataConverter == nil && encrypted(h) {
		res.Err = fmt.Errorf("the history's payloads are encrypted and %s is not set: %w", codec.EnvVar, res.Err)
	}
	return res
}

// withPendingTaskDone is events with the run's last workflow task, when it
// has not completed, carried to a WorkflowTaskCompleted of its own, and the
// last event of that task as the history has it (and whether it failed).
// The SDK's replayer does not run a workflow task that the history does
// not complete: the history of a run stuck on a panicking task replays
// "cleanly" without it. Completed, the task is replayed, so a panic in it
// shows. nil when the run's last workflow task completed or the run closed.
func withPendingTaskDone(events []*historypb.HistoryEvent) (probe []*historypb.HistoryEvent, last int64, failed bool) {
	if len(events) == 0 {
		return nil, 0, false
	}
	var task *historypb.HistoryEvent // the last workflow task event
	for _, e := range events {
		switch e.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enums.EVENT_TYPE_WORKFLOW_TASK_STARTED,
			enums.EVENT_TYPE_WORKFLOW_TASK_FAILED, enums.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
			task = e
		case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			task = nil
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
			enums.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, enums.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
			enums.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			return nil, 0, false
		}
	}
	if task == nil {
		return nil, 0, false
	}
	start := events[0].GetWorkflowExecutionStartedEventAttributes()
	at := events[len(events)-1].GetEventTime()
	id := events[len(events)-1].GetEventId()
	probe = slices.Clone(events)
	add := func(typ enums.EventType, attrs func(*historypb.HistoryEvent)) int64 {
		id++
		e := &historypb.HistoryEvent{EventId: id, EventTime: at, EventType: typ}
		attrs(e)
		probe = append(probe, e)
		return id
	}
	scheduled, started := task.GetEventId(), task.GetEventId()
	switch task.GetEventType() {
	case enums.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		scheduled = task.GetWorkflowTaskStartedEventAttributes().GetScheduledEventId()
	case enums.EVENT_TYPE_WORKFLOW_TASK_FAILED, enums.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
		failed = task.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_FAILED
		scheduled = add(enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskScheduledEventAttributes{WorkflowTaskScheduledEventAttributes: &historypb.WorkflowTaskScheduledEventAttributes{
				TaskQueue: start.GetTaskQueue(), StartToCloseTimeout: start.GetWorkflowTaskTimeout(), Attempt: 1}}
		})
		fallthrough
	case enums.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
		started = add(enums.EVENT_TYPE_WORKFLOW_TASK_STARTED, func(e *historypb.HistoryEvent) {
			e.Attributes = &historypb.HistoryEvent_WorkflowTaskStartedEventAttributes{WorkflowTaskStartedEventAttributes: &historypb.WorkflowTaskStartedEventAttributes{
				ScheduledEventId: scheduled}}
		})
	}
	add(enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowTaskCompletedEventAttributes{WorkflowTaskCompletedEventAttributes: &historypb.WorkflowTaskCompletedEventAttributes{
			ScheduledEventId: scheduled, StartedEventId: started}}
	})
	return probe, task.GetEventId(), failed
}

// runPending replays probe, the history with its pending workflow task
// completed, and keeps a panic in that task. Any other error is the
// commands the task issues meeting no events, the history being one
// task short of them: the task ran.
func (r *Replayer) runPending(res *Result, probe []*historypb.HistoryEvent) {
	err := r.replay(res.WorkflowID, res.RunID, &historypb.History{Events: probe})
	if at, ok := panicAt(err); ok {
		res.Err, res.Panic, res.PanicAt, res.EventID = err, true, at, res.PendingTask
	}
}

// panicAt reports whether err is the workflow code's panic, and where in
// hiresync's code it was. The SDK's own non-determinism errors are panics
// inside it too, and are not.
func panicAt(err error) (string, bool) {
	var panicked interface{ StackTrace() string }
	if err == nil || !errors.As(err, &panicked) || strings.Contains(err.Error(), "[TMPRL1100]") {
		return "", false
	}
	return codeFrame(panicked.StackTrace()), true
}

// encrypted reports whether h's workflow input was written with the
// payload codec.
func encrypted(h *historypb.History) bool {
	if len(h.GetEvents()) == 0 {
		return false
	}
	for _, p := range h.GetEvents()[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads() {
		if string(p.GetMetadata()[converter.MetadataEncoding]) == codec.EncodingEncrypted {
			return true
		}
	}
	return false
}

// replay runs one history through a replayer of its own: a replayer that
// has seen a panicking history does not always replay the next one alike.
func (r *Replayer) replay(workflowID, runID string, h *historypb.History) error {
	rp, err := worker.NewWorkflowReplayerWithOptions(r.opts)
	if err != nil {
		return fmt.Errorf("workflow replayer: %w", err)
	}
	rp.RegisterWorkflowWithOptions(candidateWorkflow, workflow.RegisterOptions{Name: hiresync.WorkflowType})
	return rp.ReplayWorkflowHistoryWithOptions(r.log, h, worker.ReplayWorkflowHistoryOptions{
		OriginalExecution: workflow.Execution{ID: workflowID, RunID: runID},
	})
}

// The SDK's words for a mismatch (internal_task_handlers.go and the
// command state machines of go.temporal.io/sdk v1.51).
var (
	eventIDRE    = regexp.MustCompile(`\b(?:history event position|scheduleEventID:|scheduledEventID:|event ID:|eventID:|EventId:)\s*(\d+)`)
	activityIDRE = regexp.MustCompile(`ActivityId:([^,)]+)`)
	timerIDRE    = regexp.MustCompile(`TimerId:([^,)]+)`)
	nameRE       = regexp.MustCompile(`(?:ActivityType|WorkflowType):\(Name:([^,)]+)\)|MarkerName:([^,)]+)|TimerId:([^,)]+)`)
)

// locate finds where res's replay first goes wrong. The SDK reports the
// first error it meets while applying the whole history, which can be an
// event later than the first disagreement; so it replays prefixes of the
// history that each end where a workflow task starts (a history as a worker
// gets it: the tasks before are matched, the last one runs) to find the
// first task that fails, and reads that prefix's error. The SDK names the
// event it expected (by id, or by its activity or timer id) and the command
// it got; a panic names neither, and is put at the start of its task.
func (r *Replayer) locate(res *Result, events []*historypb.HistoryEvent) {
	var starts []int // index of each WorkflowTaskStarted event
	for i, e := range events {
		if e.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_STARTED {
			starts = append(starts, i)
		}
	}
	// Once a prefix fails every longer one does, so search.
	failing := len(starts) // only the whole history fails
	lo, hi := 0, len(starts)
	for lo < hi {
		mid := (lo + hi) / 2
		if err := r.replay(res.WorkflowID, res.RunID, &historypb.History{Events: events[:starts[mid]+1]}); err != nil {
			failing, hi = mid, mid
			res.Err = err
		} else {
			lo = mid + 1
		}
	}
	// The commands that differ are the previous task's: the events from
	// its WorkflowTaskCompleted up to the failing task's start.
	from, to := 0, len(events)
	if failing > 0 {
		from = starts[failing-1] + 1
	}
	if failing < len(starts) {
		to = starts[failing] + 1
	}
	batch := events[from:to]

	msg := res.Err.Error()
	var event, command string
	switch {
	case strings.Contains(msg, "history event is "):
		event = after(msg, "history event is ")
		event, command, _ = strings.Cut(event, ", replay command is ")
	case strings.Contains(msg, "missing replay command for "):
		event = after(msg, "missing replay command for ")
	case strings.Contains(msg, "extra replay command for "):
		command = after(msg, "extra replay command for ")
	}
	res.Command = summary(command)
	res.PanicAt, res.Panic = panicAt(res.Err)

	if m := eventIDRE.FindStringSubmatch(msg); m != nil {
		res.EventID, _ = strconv.ParseInt(m[1], 10, 64)
	} else if m := activityIDRE.FindStringSubmatch(event); m != nil && strings.HasPrefix(event, "ActivityTaskScheduled") {
		res.EventID = find(events, func(e *historypb.HistoryEvent) bool {
			return e.GetActivityTaskScheduledEventAttributes().GetActivityId() == m[1]
		})
	} else if m := timerIDRE.FindStringSubmatch(event); m != nil && strings.HasPrefix(event, "TimerStarted") {
		res.EventID = find(events, func(e *historypb.HistoryEvent) bool {
			return e.GetTimerStartedEventAttributes().GetTimerId() == m[1]
		})
	} else if res.Panic && failing > 0 {
		// A panic shows once its task is replayed, not while it is the
		// last: it is the task before too.
		res.EventID = events[starts[failing-1]].GetEventId()
	} else if typ := eventType(event); typ != "" {
		res.EventID = find(batch, func(e *historypb.HistoryEvent) bool { return e.GetEventType().String() == typ })
	} else {
		res.EventID = find(batch, func(e *historypb.HistoryEvent) bool {
			return e.GetEventType() == enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
		})
	}
	if i := slices.IndexFunc(events, func(e *historypb.HistoryEvent) bool { return e.GetEventId() == res.EventID }); i >= 0 {
		res.Expected = expected(events[i])
	}
}

// codeFrame is the first file:line of hiresync's own code in a goroutine
// stack, where a workflow panicked.
func codeFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, hiresyncModule+"/") && i+1 < len(lines) {
			file, _, _ := strings.Cut(strings.TrimSpace(lines[i+1]), " +")
			return filepath.Join(filepath.Base(filepath.Dir(file)), filepath.Base(file))
		}
	}
	return ""
}

// hiresyncModule is the module path that names hiresync's functions in a
// stack.
const hiresyncModule = "github.com/hiresync/hiresync"

func find(events []*historypb.HistoryEvent, match func(*historypb.HistoryEvent) bool) int64 {
	for _, e := range events {
		if match(e) {
			return e.GetEventId()
		}
	}
	return 0
}

// expected is the command an event records, by its type and what it is
// about: "ScheduleActivityTask PostSlackRoot", "StartTimer 24", or the
// event's own type for an event no command made.
func expected(e *historypb.HistoryEvent) string {
	switch e.GetEventType() {
	case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
		return "ScheduleActivityTask " + e.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
	case enums.EVENT_TYPE_TIMER_STARTED:
		return "StartTimer " + e.GetTimerStartedEventAttributes().GetTimerId()
	case enums.EVENT_TYPE_MARKER_RECORDED:
		return "RecordMarker " + e.GetMarkerRecordedEventAttributes().GetMarkerName()
	case enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
		return "UpsertWorkflowSearchAttributes"
	case enums.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED:
		return "ModifyWorkflowProperties"
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
		return "ContinueAsNewWorkflowExecution"
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
		return "CompleteWorkflowExecution"
	case enums.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
		return "FailWorkflowExecution"
	}
	return "the commands of " + e.GetEventType().String()
}

// summary shortens the SDK's rendering of a command, "ScheduleActivityTask:
// (ActivityId:25, ActivityType:(Name:PostSlackRoot), …)", to its type and
// name: "ScheduleActivityTask PostSlackRoot".
func summary(command string) string {
	if command == "" {
		return ""
	}
	typ, rest, _ := strings.Cut(command, ":")
	if m := nameRE.FindStringSubmatch(rest); m != nil {
		for _, name := range m[1:] {
			if name != "" {
				return typ + " " + name
			}
		}
	}
	return typ
}

func eventType(event string) string {
	typ, _, _ := strings.Cut(event, ":")
	return strings.TrimSpace(typ)
}

func after(s, sep string) string {
	_, rest, _ := strings.Cut(s, sep)
	return rest
}

func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// nopLogger drops the SDK's replay logs.
type nopLogger struct{}

func (nopLogger) Debug(string, ...any) {}
func (nopLogger) Info(string, ...any)  {}
func (nopLogger) Warn(string, ...any)  {}
func (nopLogger) Error(string, ...any) {}
