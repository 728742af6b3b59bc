package activities

import (
	"context"
	"time"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// recruiterFor is the Slack user id to mention in the reply to e: the
// job's recruiter for a test result, none for other events. A recruiter
// Slack cannot resolve is not an error: note says so for the timeline, in
// words without the email. Only a failure a retry could fix is an error.
func (a *Activities) recruiterFor(ctx context.Context, e hiresync.Event) (id, note string, err error) {
	switch e.Type {
	case hiresync.TestCompleted, hiresync.TestPassed, hiresync.TestFailed:
		return a.resolveRecruiter(ctx, e.JobID())
	}
	return "", "", nil
}

// resolveRecruiter is the job's recruiter as a Slack user id, or why there
// is none.
func (a *Activities) resolveRecruiter(ctx context.Context, jobID string) (id, note string, err error) {
	configured := a.Routes.Recruiter(jobID)
	if configured == "" {
		return "", "", nil
	}
	if a.Recruiters == nil {
		if slackpost.Mention(configured) != "" {
			return configured, "", nil
		}
		return "", "recruiter not mentioned: the worker does not resolve emails", nil
	}
	r, err := a.Recruiters.Resolve(ctx, configured)
	if err != nil {
		return "", "", slackError("look up the recruiter", err)
	}
	if r.Unresolved != "" {
		return "", "recruiter not mentioned: " + r.Unresolved, nil
	}
	return r.UserID, "", nil
}

// SlackNudgeRequest asks for a nudge in an application's thread: the
// application has been quiet for Quiet since the event Since.
type SlackNudgeRequest struct {
	Channel  string `json:"channel"`
	ThreadTS string `json:"thread_ts"`
	// NudgeID is the nudge's own id (slackpost.NudgeID), in its metadata.
	NudgeID     string        `json:"nudge_id"`
	CandidateID string        `json:"candidate_id"`
	JobID       string        `json:"job_id"`
	Quiet       time.Duration `json:"quiet"`
	Reminder    bool          `json:"reminder,omitempty"`
	// Since is the application's last event, trimmed to what the nudge
	// says of it (type, test, interview, stage change).
	Since hiresync.Event `json:"since"`
	// Fresh is SlackReplyRequest.Fresh.
	Fresh bool `json:"fresh,omitempty"`
}

// PostSlackNudge posts a nudge in the application's thread, mentioning the
// job's recruiter, unless that nudge is already there.
func (a *Activities) PostSlackNudge(ctx context.Context, req SlackNudgeRequest) (SlackResult, error) {
	if a.Slack == nil {
		return SlackResult{Skipped: slackOff}, nil
	}
	recruiter, note, err := a.resolveRecruiter(ctx, req.JobID)
	if err != nil {
		return SlackResult{}, err
	}
	m := slackpost.Nudge(slackpost.NudgeView{
		NudgeID: req.NudgeID, CandidateID: req.CandidateID, JobID: req.JobID,
		Recruiter: recruiter, Quiet: req.Quiet, Reminder: req.Reminder, Since: req.Since,
	})
	res, err := a.postOnce(ctx, post{
		channel: req.Channel, threadTS: req.ThreadTS, eventID: req.NudgeID, fresh: req.Fresh,
		send: func(ctx context.Context) (string, error) { return a.Slack.Reply(ctx, req.Channel, req.ThreadTS, m) },
	})
	res.Note = note
	return res, err
}

// HireNoticeRequest asks for the provisioning channel's message about a
// hire: name, job and start date, never an email or phone number.
type HireNoticeRequest struct {
	// EventID is the hire event's; the message's own id is
	// slackpost.HireNoticeID of it.
	EventID       string `json:"event_id"`
	CandidateID   string `json:"candidate_id"`
	JobID         string `json:"job_id,omitempty"`
	CandidateName string `json:"candidate_name"`
	Title         string `json:"title,omitempty"`
	Department    string `json:"department,omitempty"`
	StartDate     string `json:"start_date,omitempty"`
	// Since is when hiresync received the hire: the message cannot be
	// older, so the look-up for an earlier post reads from then on.
	Since time.Time `json:"since,omitzero"`
	Fresh bool      `json:"fresh,omitempty"`
}

// NewHireNoticeRequest is the request for the hire event e.
func NewHireNoticeRequest(e hiresync.Event, fresh bool) HireNoticeRequest {
	v := slackpost.NewHireView(e)
	return HireNoticeRequest{
		EventID: e.ID, CandidateID: v.CandidateID, JobID: v.JobID, CandidateName: v.CandidateName,
		Title: v.Title, Department: v.Department, StartDate: v.StartDate, Since: e.ReceivedAt, Fresh: fresh,
	}
}

// PostHireNotice posts the hire's one message in the provisioning channel
// (provisioning_channel in HIRESYNC_ROUTES), unless it is already there;
// without such a channel it says so.
func (a *Activities) PostHireNotice(ctx context.Context, req HireNoticeRequest) (SlackResult, error) {
	if a.Slack == nil {
		return SlackResult{Skipped: slackOff}, nil
	}
	channel := a.Routes.Provisioning()
	if channel == "" {
		return SlackResult{Skipped: "no provisioning_channel in HIRESYNC_ROUTES"}, nil
	}
	id := slackpost.HireNoticeID(req.EventID)
	m := slackpost.HireNotice(slackpost.HireView{
		NoticeID: id, CandidateID: req.CandidateID, JobID: req.JobID, CandidateName: req.CandidateName,
		Title: req.Title, Department: req.Department, StartDate: req.StartDate,
	})
	return a.postOnce(ctx, post{
		channel: channel, eventID: id, since: req.Since, fresh: req.Fresh,
		send: func(ctx context.Context) (string, error) { return a.Slack.PostRoot(ctx, channel, m) },
	})
}
