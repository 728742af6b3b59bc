package replay

import (
	"context"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync"
)

// LoadFile reads a history exported with `temporal workflow show -o json`
// (the History message as protojson), as the SDK reads it.
func LoadFile(path string) (*historypb.History, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		return nil, fmt.Errorf("read history %s: %w", path, err)
	}
	if len(h.GetEvents()) == 0 {
		return nil, fmt.Errorf("read history %s: no events (is it `temporal workflow show -o json` output?)", path)
	}
	return h, nil
}

// Fetch reads one run's whole history from Temporal (runID empty: the
// latest run).
func Fetch(ctx context.Context, c client.Client, workflowID, runID string) (*historypb.History, error) {
	iter := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	h := &historypb.History{}
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", workflowID, err)
		}
		h.Events = append(h.Events, e)
	}
	return h, nil
}

// Query selects workflows by a visibility query, for Replayer.ReplayQuery.
type Query struct {
	// Query is a visibility query, e.g. `ExecutionStatus="Running"`; a
	// query that names no WorkflowType is narrowed to CandidateWorkflow.
	Query string
	// Limit bounds how many workflows are replayed.
	Limit int
	// PerSecond paces the calls to Temporal (a list page or a history).
	PerSecond float64
	// Progress, when set, is called after each workflow with how many were
	// replayed, how many failed, and how many the query counts (bounded by
	// Limit).
	Progress func(done, failed, total int)
}

// ReplayQuery replays every workflow q lists, up to q.Limit, paced, and
// hands each result to report as it comes. It returns how many failed.
func (r *Replayer) ReplayQuery(ctx context.Context, c client.Client, q Query, report func(Result)) (failed int, err error) {
	query := q.Query
	if !strings.Contains(query, "WorkflowType") {
		query = fmt.Sprintf("WorkflowType=%q AND (%s)", hiresync.WorkflowType, query)
	}
	limiter := rate.NewLimiter(rate.Limit(q.PerSecond), 1)
	if err := limiter.Wait(ctx); err != nil {
		return 0, err
	}
	count, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", query, err)
	}
	total := min(int(count.GetCount()), q.Limit)
	done := 0
	var token []byte
	for done < q.Limit {
		if err := limiter.Wait(ctx); err != nil {
			return failed, err
		}
		page, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: query, PageSize: int32(min(q.Limit-done, 100)), NextPageToken: token,
		})
		if err != nil {
			return failed, fmt.Errorf("list %s: %w", query, err)
		}
		for _, w := range page.GetExecutions() {
			if done == q.Limit {
				break
			}
			if err := limiter.Wait(ctx); err != nil {
				return failed, err
			}
			wid, rid := w.GetExecution().GetWorkflowId(), w.GetExecution().GetRunId()
			h, err := Fetch(ctx, c, wid, rid)
			if err != nil {
				return failed, err
			}
			res := r.Replay(wid, rid, h)
			if !res.OK() {
				failed++
			}
			done++
			report(res)
			if q.Progress != nil {
				q.Progress(done, failed, max(total, done))
			}
		}
		token = page.GetNextPageToken()
		if len(token) == 0 {
			break
		}
	}
	return failed, nil
}
