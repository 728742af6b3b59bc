// Package activities is the only room that talks to Slack and HubSpot. Its
// Activities struct holds the clients, breakers and limiters of one worker;
// its methods are the Temporal activities the candidate workflow runs.
package activities

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync/activities/hubspot"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// Error types of the application errors the activities return. Permanent
// ones are not retried; the workflow records them and moves on.
const (
	ErrSlackPermanent     = "SlackPermanent"
	ErrSlackRateLimited   = "SlackRateLimited"
	ErrSlackUnavailable   = "SlackUnavailable"
	ErrHubSpotPermanent   = "HubSpotPermanent"
	ErrHubSpotRateLimited = "HubSpotRateLimited"
	ErrHubSpotUnavailable = "HubSpotUnavailable"
)

// openBreakerDelay is how long Temporal waits before retrying an activity
// that found its downstream's breaker open.
const openBreakerDelay = 15 * time.Second

// Router picks the Slack channel of a job, and lists every channel it
// routes to; it names the job's recruiter and quiet times, and the
// provisioning channel (config.Routes).
type Router interface {
	Channel(jobID string) string
	Channels() []string
	Recruiter(jobID string) string
	NudgesFor(jobID string) map[string]time.Duration
	Provisioning() string
}

// Slack is what the activities need of a Slack client (slackpost.Poster).
type Slack interface {
	PostRoot(ctx context.Context, channel string, m slackpost.Message) (string, error)
	Reply(ctx context.Context, channel, threadTS string, m slackpost.Message) (string, error)
	Update(ctx context.Context, channel, ts string, m slackpost.Message) error
	FindPostedSince(ctx context.Context, channel, threadTS, eventID string, since time.Time) (string, bool, error)
}

// Contacts is what the activities need of HubSpot (hubspot.Syncer).
type Contacts interface {
	Sync(ctx context.Context, ch hubspot.Change) (hubspot.Outcome, error)
}

// Activities are the candidate workflow's activities. A nil Slack or
// HubSpot means that downstream is off; its activities then say so.
type Activities struct {
	Slack   Slack
	Routes  Router
	HubSpot Contacts
	// Recruiters resolves the recruiters the routes name by email; nil
	// uses user ids only.
	Recruiters *slackpost.Recruiters
}

const (
	slackOff   = "Slack is off (SLACK_BOT_TOKEN unset)"
	hubspotOff = "HubSpot is off (HUBSPOT_ACCESS_TOKEN unset)"
)

// PostSlackRoot posts an application's root message in its job's channel,
// unless a message for this event is already there.
func (a *Activities) PostSlackRoot(ctx context.Context, req SlackRootRequest) (SlackResult, error) {
	if a.Slack == nil {
		return SlackResult{Skipped: slackOff}, nil
	}
	channel := req.Channel
	if channel == "" {
		channel = a.Routes.Channel(req.JobID)
	}
	if channel == "" {
		return SlackResult{}, temporal.NewNonRetryableApplicationError(
			"no Slack channel for job "+req.JobID+" and no default_channel in HIRESYNC_ROUTES", ErrSlackPermanent, nil)
	}
	// A root that may exist from a run before a reset or a re-drive may be
	// in the channel the routes named then: look in every routed channel,
	// so that a routes change never splits a thread.
	var alsoIn []string
	if req.Channel == "" && !req.Fresh {
		alsoIn = slices.DeleteFunc(a.Routes.Channels(), func(ch string) bool { return ch == channel })
	}
	m := slackpost.Root(rootView(req.View, req.EventID, req.CandidateID, req.JobID))
	res, err := a.postOnce(ctx, channel, "", req.EventID, req.Since, req.Fresh, alsoIn, func(ctx context.Context) (string, error) {
		return a.Slack.PostRoot(ctx, channel, m)
	})
	// The thread's nudges come with it: the workflow keeps them with the
	// application (see SlackResult.Nudges).
	res.Nudges = a.Routes.NudgesFor(req.JobID)
	return res, err
}

// PostSlackReply posts one event as a reply in its application's thread,
// unless that reply is already there.
func (a *Activities) PostSlackReply(ctx context.Context, req SlackReplyRequest) (SlackResult, error) {
	if a.Slack == nil {
		return SlackResult{Skipped: slackOff}, nil
	}
	recruiter, note, err := a.recruiterFor(ctx, req.Event)
	if err != nil {
		return SlackResult{}, err
	}
	m := slackpost.ReplyMentioning(req.Event, recruiter)
	res, err := a.postOnce(ctx, req.Channel, req.ThreadTS, req.Event.ID, time.Time{}, req.Fresh, nil, func(ctx context.Context) (string, error) {
		return a.Slack.Reply(ctx, req.Channel, req.ThreadTS, m)
	})
	res.Note = note
	return res, err
}

// UpdateSlackRoot shows the application's new status on its root message.
// An update is idempotent, so it is simply repeated on retry.
func (a *Activities) UpdateSlackRoot(ctx context.Context, req SlackUpdateRequest) (SlackResult, error) {
	if a.Slack == nil {
		return SlackResult{Skipped: slackOff}, nil
	}
	m := slackpost.Root(rootView(req.View, req.EventID, req.CandidateID, req.JobID))
	if err := a.Slack.Update(ctx, req.Channel, req.TS, m); err != nil {
		return SlackResult{}, slackError("update root", err)
	}
	return SlackResult{Channel: req.Channel, TS: req.TS}, nil
}

// PostSlackReplyAndUpdateRoot posts the reply, then shows the root's new
// view. A retry repeats both: the reply is found already posted and adopted,
// the update is idempotent. Only a permanent failure of the update is kept in
// the result; any other failure fails the activity, to be retried.
func (a *Activities) PostSlackReplyAndUpdateRoot(ctx context.Context, req SlackReplyAndRootRequest) (SlackReplyAndRootResult, error) {
	reply, err := a.PostSlackReply(ctx, req.Reply)
	if err != nil {
		return SlackReplyAndRootResult{}, err
	}
	root, err := a.UpdateSlackRoot(ctx, req.Root)
	failed, err := permanent(err)
	if err != nil {
		return SlackReplyAndRootResult{}, err
	}
	return SlackReplyAndRootResult{Reply: reply, Root: root, RootFailed: failed}, nil
}

// PostSlackThread posts several events of one application in the order
// they arrived: the root when the thread is new, then each reply, with the
// root's update after an event that changed it. A write that fails for good
// is kept in the result and the next one goes on, except that the replies
// after a failed root are not tried. At a failure that a retry could fix it
// stops and says so (SlackThreadResult.Stopped): the workflow then posts the
// rest one activity each, retried as usual. Retrying the whole would repeat
// the writes already made, each with a look-up, and under a high failure
// rate might never get through them all.
func (a *Activities) PostSlackThread(ctx context.Context, req SlackThreadRequest) (SlackThreadResult, error) {
	var out SlackThreadResult
	stop := func(err error) (SlackThreadResult, error) {
		if ctx.Err() != nil {
			return SlackThreadResult{}, err // past its deadline: nobody waits for a result
		}
		activity.GetLogger(ctx).Warn("stopped posting the thread; the rest goes one post at a time", "done", out.Done(req), "error", err)
		out.Stopped, out.Retry = describe(err), attemptOf(ctx) > 1
		return out, nil
	}
	channel, thread := req.Channel, req.ThreadTS
	if req.Root != nil {
		root, err := a.PostSlackRoot(ctx, *req.Root)
		failed, err := permanent(err)
		if err != nil {
			return stop(err)
		}
		if failed != "" {
			out.RootFailed = failed
			for range req.Replies {
				out.Replies = append(out.Replies, SlackThreadReplyResult{ReplyFailed: "not tried: the root was not posted"})
			}
			return out, nil
		}
		out.Root = root
		channel, thread = root.Channel, root.TS
	}
	for _, r := range req.Replies {
		reply := SlackReplyRequest{Channel: channel, ThreadTS: thread, Event: r.Event, Fresh: r.Fresh}
		var res SlackThreadReplyResult
		var err error
		if r.Root == nil {
			res.Reply, err = a.PostSlackReply(ctx, reply)
		} else {
			upd := *r.Root
			upd.Channel, upd.TS = channel, thread
			res.SlackReplyAndRootResult, err = a.PostSlackReplyAndUpdateRoot(ctx, SlackReplyAndRootRequest{Reply: reply, Root: upd})
		}
		if res.ReplyFailed, err = permanent(err); err != nil {
			return stop(err)
		}
		out.Replies = append(out.Replies, res)
	}
	return out, nil
}

// permanent splits an activity's error: a permanent failure is described
// in the words the timeline uses, any other is returned to fail the
// activity.
func permanent(err error) (string, error) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.NonRetryable() {
		return describe(err), nil
	}
	return "", err
}

// describe is an activity error in the words the timeline uses: its type
// and message.
func describe(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type() + ": " + appErr.Message()
	}
	return err.Error()
}

// postOnce looks for a message carrying this event id before posting, so a
// retry after a lost response, a worker crash or a workflow reset adopts the
// message already there instead of posting it twice. since, when known, is
// the earliest the message can have been posted: the look-up then reads the
// whole channel from then on.
//
// A fresh request's first attempt posts without looking: nothing can be
// there yet, and the look-ups (conversations.history and .replies) are
// Slack's Tier 3 methods, about 50 calls a minute per workspace, fewer than
// one a second per channel of posts would need. alsoIn are more channels
// where an earlier post may be, looked in once each when channel has none.
//
// Two rules keep a retry from missing a post that an earlier attempt still
// has in flight. An attempt stops postMargin before its deadline, so it has
// given up on its own requests before Temporal, at the deadline, schedules
// the next attempt. And a retry that finds nothing waits repostSettle and
// looks once more before posting: long enough for Slack to store a request
// that reached it just as the earlier attempt gave up.
func (a *Activities) postOnce(ctx context.Context, channel, threadTS, eventID string, since time.Time, fresh bool,
	alsoIn []string, post func(context.Context) (string, error)) (SlackResult, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-postMargin))
		defer cancel()
	}
	if retry := attemptOf(ctx) > 1; !fresh || retry {
		at, ts, err := a.findEarlier(ctx, channel, alsoIn, threadTS, eventID, since, retry)
		if err != nil {
			return SlackResult{}, err
		}
		if ts != "" {
			activity.GetLogger(ctx).Info("message already posted; adopting it", "event_id", eventID, "channel", at)
			return SlackResult{Channel: at, TS: ts, Adopted: true}, nil
		}
	}
	ts, err := post(ctx)
	if err != nil {
		return SlackResult{}, slackError("post", err)
	}
	return SlackResult{Channel: channel, TS: ts}, nil
}

// findEarlier looks for a message carrying the event id in channel; a retry
// that finds none waits repostSettle and looks there once more; then it
// looks once in each of alsoIn. It returns where the message is and its ts,
// or an empty ts.
func (a *Activities) findEarlier(ctx context.Context, channel string, alsoIn []string, threadTS, eventID string,
	since time.Time, retry bool) (string, string, error) {
	ts, found, err := a.Slack.FindPostedSince(ctx, channel, threadTS, eventID, since)
	if err == nil && !found && retry {
		select {
		case <-ctx.Done():
			return "", "", slackError("wait before looking again", ctx.Err())
		case <-time.After(repostSettle):
		}
		ts, found, err = a.Slack.FindPostedSince(ctx, channel, threadTS, eventID, since)
	}
	at := channel
	for i := 0; err == nil && !found && i < len(alsoIn); i++ {
		at = alsoIn[i]
		ts, found, err = a.Slack.FindPostedSince(ctx, at, threadTS, eventID, since)
	}
	if err != nil {
		return "", "", slackError("look for an earlier post", err)
	}
	if !found {
		return "", "", nil
	}
	return at, ts, nil
}

// postMargin is how long before its deadline a posting attempt gives up
// (the Slack activities' attempts last 15 s).
const postMargin = 3 * time.Second

// repostSettle is how long a retried post waits before its second look.
var repostSettle = 2 * time.Second

// attemptOf is the activity's attempt number (a variable for tests).
var attemptOf = func(ctx context.Context) int32 { return activity.GetInfo(ctx).Attempt }

// slackError classifies a Slack failure for Temporal's retry policy.
func slackError(what string, err error) error {
	var rl *slackpost.RateLimitedError
	var perm *slackpost.PermanentError
	switch {
	case errors.As(err, &rl):
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("%s: rate limited", what), ErrSlackRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter})
	case errors.As(err, &perm):
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %s", what, perm.Code), ErrSlackPermanent, nil)
	case errors.Is(err, slackpost.ErrUnavailable):
		return temporal.NewApplicationErrorWithOptions(what+": Slack circuit breaker is open", ErrSlackUnavailable,
			temporal.ApplicationErrorOptions{NextRetryDelay: openBreakerDelay})
	}
	return fmt.Errorf("slack %s: %w", what, err)
}

// SyncContact writes one event's change to the candidate's HubSpot contact.
func (a *Activities) SyncContact(ctx context.Context, ch ContactChange) (ContactResult, error) {
	if a.HubSpot == nil {
		return ContactResult{Skipped: hubspotOff}, nil
	}
	out, err := a.HubSpot.Sync(ctx, a.hubspotChange(ch))
	if err != nil {
		return ContactResult{}, hubspotError(err)
	}
	return ContactResult{
		LifecycleBefore: out.LifecycleBefore,
		LifecycleAfter:  out.LifecycleAfter,
		Created:         out.Created,
		Written:         len(out.Written),
	}, nil
}

// rootView is what slackpost renders: the workflow's view with labels and
// the metadata of the event that posted the root.
func rootView(v RootView, eventID, candidateID, jobID string) slackpost.RootView {
	return slackpost.RootView{
		CandidateName: v.CandidateName,
		JobTitle:      v.JobTitle,
		JobID:         jobID,
		Source:        v.Source,
		Status:        StatusLabel(v.Status),
		ProfileURL:    v.ProfileURL,
		EventID:       eventID,
		CandidateID:   candidateID,
	}
}

// StatusLabel is how an application status reads in Slack.
func StatusLabel(status string) string {
	switch status {
	case "":
		return "In process"
	case "applied":
		return "Applied"
	case "test_passed":
		return "Test passed"
	case "test_failed":
		return "Test failed"
	case "hired":
		return "Hired"
	case "rejected":
		return "Rejected"
	case "withdrawn":
		return "Withdrawn"
	}
	return "Stage: " + strings.ReplaceAll(status, "_", " ")
}

// hubspotChange maps the product's terms to HubSpot properties.
func (a *Activities) hubspotChange(ch ContactChange) hubspot.Change {
	props := map[string]string{}
	set := func(name, v string) {
		if v != "" {
			props[name] = v
		}
	}
	set(hubspot.PropertyFirstName, ch.FirstName)
	set(hubspot.PropertyLastName, ch.LastName)
	set(hubspot.PropertyCandidateID, ch.CandidateID)
	set(hubspot.PropertySourceJob, ch.SourceJob)
	set(hubspot.PropertyProfileURL, ch.ProfileURL)
	set(hubspot.PropertyStage, ch.Stage)
	set(hubspot.PropertyTalentPool, ch.TalentPool)
	c := hubspot.Change{Email: ch.Email, Properties: props}
	switch ch.Lifecycle {
	case LifecycleIfEmpty:
		c.Lifecycle = hubspot.InitialStage
	case LifecycleHired:
		c.Lifecycle = hubspot.HireStage
	}
	return c
}

// emailPattern finds email addresses in downstream error messages.
var emailPattern = regexp.MustCompile(`[^\s"'<>()\[\],;:]+@[^\s"'<>()\[\],;:]+`)

func hubspotError(err error) error {
	var rl *hubspot.RateLimitedError
	switch {
	case errors.As(err, &rl):
		return temporal.NewApplicationErrorWithOptions("upsert contact: rate limited", ErrHubSpotRateLimited,
			temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter})
	case hubspot.IsPermanent(err):
		// HubSpot's message can quote the email: keep it out of history and logs.
		msg := emailPattern.ReplaceAllString(err.Error(), "[email]")
		return temporal.NewNonRetryableApplicationError("upsert contact: "+msg, ErrHubSpotPermanent, nil)
	case errors.Is(err, hubspot.ErrUnavailable):
		return temporal.NewApplicationErrorWithOptions("upsert contact: HubSpot circuit breaker is open", ErrHubSpotUnavailable,
			temporal.ApplicationErrorOptions{NextRetryDelay: openBreakerDelay})
	}
	return fmt.Errorf("hubspot upsert contact: %w", err)
}
