package workflows

import "github.com/hiresync/hiresync"

// applyStatus moves the application's (and the candidate's) status to the
// event's, unless the event is older than the one that set the current
// status: a late delivery never moves a status back. It reports whether the
// application's status changed.
func (c *candidate) applyStatus(app *hiresync.ApplicationState, ev hiresync.Event) bool {
	status, closes, ok := ev.Status()
	if app == nil || !ok {
		return false
	}
	if app.Status != "" && ev.CreatedAt.Before(app.StatusAt) {
		return false
	}
	if c.Stage == "" || !ev.CreatedAt.Before(c.StageAt) {
		c.Stage, c.StageAt = status, ev.CreatedAt
	}
	changed := app.Status != status
	app.Status, app.StatusAt, app.Closed = status, ev.CreatedAt, closes
	return changed
}
