package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/slackpost"
)

// Router picks the Slack channel of a job, and lists every channel it
// routes to (config.Routes).
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

const slackOff = "Slack is off (SLACK_BOT_TOKEN unset)"

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
	p := post{channel: channel, eventID: req.EventID, since: req.Since, fresh: req.Fresh}
	// A root that may exist from a run before a reset or a re-drive may be
	// in the channel the routes named then: look in every routed channel,
	// so that a routes change never splits a thread.
	if req.Channel == "" && !req.Fresh {
		p.alsoIn = slices.DeleteFunc(a.Routes.Channels(), func(ch string) bool { return ch == channel })
	}
	m := slackpost.Root(rootView(req.View, req.EventID, req.CandidateID, req.JobID))
	p.send = func(ctx context.Context) (string, error) { return a.Slack.PostRoot(ctx, channel, m) }
	res, err := a.postOnce(ctx, p)
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
	res, err := a.postOnce(ctx, post{
		channel: req.Channel, threadTS: req.ThreadTS, eventID: req.Event.ID, fresh: req.Fresh,
		send: func(ctx context.Context) (string, error) { return a.Slack.Reply(ctx, req.Channel, req.ThreadTS, m) },
	})
	res.Note = note
	return res, err
}

// UpdateSlackRoot shows the application's new status on its root message.
// An update is idempotent, so it is simply repeated on retry. The workflow
// updates a root with a reply (PostSlackReplyAndUpdateRoot, PostSlackThread).
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
		out.Stopped, out.Retry = hiresync.FailureDetail(err), attemptOf(ctx) > 1
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

// rootView is what slackpost renders: the workflow's view with the status's
// label and the metadata of the event that posted the root.
func rootView(v RootView, eventID, candidateID, jobID string) slackpost.RootView {
	return slackpost.RootView{
		CandidateName: v.CandidateName,
		JobTitle:      v.JobTitle,
		JobID:         jobID,
		Source:        v.Source,
		Status:        v.Status.Label(),
		ProfileURL:    v.ProfileURL,
		EventID:       eventID,
		CandidateID:   candidateID,
	}
}

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
