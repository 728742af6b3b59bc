package workflows

import "github.com/hiresync/hiresync"

// applyStatus moves the application's (and the candidate's) status to the
// event's, unless the event is older than the one that set the current
// status: a late delivery never moves a status back. It reports whether the
// application's status changed.
func (c *candidate) applyStatus(a *hiresync.ApplicationState, ev hiresync.Event) bool {
	status, closes, ok := ev.Status()
	if a == nil || !ok {
		return false
	}
	if a.Status != "" && ev.CreatedAt.Before(a.StatusAt) {
		return false
	}
	if c.Stage == "" || !ev.CreatedAt.Before(c.StageAt) {
		c.Stage, c.StageAt = status, ev.CreatedAt
	}
	changed := a.Status != status
	a.Status, a.StatusAt, a.Closed = status, ev.CreatedAt, closes
	return changed
}
