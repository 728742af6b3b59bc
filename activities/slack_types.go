package activities

import (
	"time"

	"github.com/hiresync/hiresync"
)

// SlackRootRequest asks for an application's root message, posted once.
type SlackRootRequest struct {
	EventID     string `json:"event_id"`
	CandidateID string `json:"candidate_id"`
	JobID       string `json:"job_id"`
	// Channel is empty for a new thread: the activity routes the job.
	Channel string   `json:"channel,omitempty"`
	View    RootView `json:"view"`
	// Since is when hiresync received the event: the root cannot have been
	// posted earlier, so the look-up for an earlier post reads the channel
	// from then on. Zero (requests of older workflow code) reads the newest
	// messages only.
	Since time.Time `json:"since,omitzero"`
	// Fresh says the workflow has never asked for this post before: see
	// SlackReplyRequest.Fresh.
	Fresh bool `json:"fresh,omitempty"`
}

// RootView is what the root message shows.
type RootView struct {
	CandidateName string          `json:"candidate_name"`
	JobTitle      string          `json:"job_title,omitempty"`
	Source        string          `json:"source,omitempty"`
	Status        hiresync.Status `json:"status"`
	ProfileURL    string          `json:"profile_url,omitempty"`
}

// SlackReplyRequest asks for one reply in an application's thread.
type SlackReplyRequest struct {
	Channel  string         `json:"channel"`
	ThreadTS string         `json:"thread_ts"`
	Event    hiresync.Event `json:"event"`
	// Fresh says the workflow has never asked for this post before (it is
	// neither a re-drive nor in a run made by `temporal workflow reset`), so
	// the activity's first attempt posts without first looking for an
	// earlier post; a retry still looks. False, as in requests of older
	// workflow code, looks on every attempt.
	Fresh bool `json:"fresh,omitempty"`
}

// SlackUpdateRequest asks for the root message to show a new view.
type SlackUpdateRequest struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// EventID is the event that posted the root, kept in its metadata.
	EventID     string   `json:"event_id"`
	CandidateID string   `json:"candidate_id"`
	JobID       string   `json:"job_id"`
	View        RootView `json:"view"`
}

// SlackReplyAndRootRequest asks for a reply in the thread, then the root's
// new view: the two Slack writes of a status-changing event in one activity.
type SlackReplyAndRootRequest struct {
	Reply SlackReplyRequest  `json:"reply"`
	Root  SlackUpdateRequest `json:"root"`
}

// SlackReplyAndRootResult is the outcome of both writes. A root update that
// failed for good does not fail the activity (the reply stands): RootFailed
// says why, in the words the timeline uses for a failed activity.
type SlackReplyAndRootResult struct {
	Reply      SlackResult `json:"reply"`
	Root       SlackResult `json:"root"`
	RootFailed string      `json:"root_failed,omitempty"`
}

// SlackThreadRequest asks for several events of one application, in the
// order they arrived: its root first when the thread is new, then a reply
// for each other event, with the root's new view after the events that
// changed it. The workflow sends one when events waited while it was busy,
// instead of an activity per event.
type SlackThreadRequest struct {
	// Root is the new thread's root; nil when the thread exists.
	Root *SlackRootRequest `json:"root,omitempty"`
	// Channel and ThreadTS are the existing thread's (Root nil).
	Channel  string             `json:"channel,omitempty"`
	ThreadTS string             `json:"thread_ts,omitempty"`
	Replies  []SlackThreadReply `json:"replies"`
}

// SlackThreadReply is one event's reply in a SlackThreadRequest.
type SlackThreadReply struct {
	Event hiresync.Event `json:"event"`
	// Fresh is SlackReplyRequest.Fresh.
	Fresh bool `json:"fresh,omitempty"`
	// Root is the root's view after this event, when it changed; the
	// activity fills in the thread's channel and ts.
	Root *SlackUpdateRequest `json:"root,omitempty"`
}

// SlackThreadResult is the outcome of each write of a SlackThreadRequest,
// in its order. A write that failed for good does not fail the activity:
// RootFailed and each reply's ReplyFailed and RootFailed say why, and the
// replies after a root that failed are not tried.
type SlackThreadResult struct {
	Root       SlackResult              `json:"root"`
	RootFailed string                   `json:"root_failed,omitempty"`
	Replies    []SlackThreadReplyResult `json:"replies"`
	// Stopped says why the activity stopped early, at a failure that a
	// retry could fix (a 5xx, a timeout, a 429, an open breaker). The root,
	// when asked for, and the replies in Replies are done; the next write
	// failed and may have happened; the rest were not tried by this
	// attempt.
	Stopped string `json:"stopped,omitempty"`
	// Retry says this was not the activity's first attempt, so an earlier
	// one (on a worker that died) may have made any of the writes.
	Retry bool `json:"retry,omitempty"`
}

// Done is how many of the request's events (the root's, then the
// replies') are done: those before the one Stopped at.
func (r SlackThreadResult) Done(req SlackThreadRequest) int {
	n := len(r.Replies)
	if req.Root != nil && (r.Root.TS != "" || r.Root.Skipped != "" || r.RootFailed != "") {
		n++
	}
	return n
}

// SlackThreadReplyResult is one reply's outcome, and its root update's.
type SlackThreadReplyResult struct {
	SlackReplyAndRootResult
	ReplyFailed string `json:"reply_failed,omitempty"`
}

// SlackResult says where a message is, and whether it was found already
// posted (Adopted) rather than posted now, or skipped because Slack is off.
type SlackResult struct {
	Channel string `json:"channel,omitempty"`
	TS      string `json:"ts,omitempty"`
	Adopted bool   `json:"adopted,omitempty"`
	Skipped string `json:"skipped,omitempty"`
	// Note is something the timeline should say about a message posted,
	// such as a recruiter left unmentioned because Slack does not know
	// them.
	Note string `json:"note,omitempty"`
	// Nudges, on a root's result, are the job's quiet times by status from
	// the routes file: how the workflow learns them, deterministically,
	// once per application (nil: no nudges).
	Nudges map[string]time.Duration `json:"nudges,omitempty"`
}
