package activities

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
)

// post is one Slack message to post once.
type post struct {
	channel, threadTS, eventID string
	// since, when known, is the earliest the message can have been posted:
	// the look-up then reads the whole channel from then on.
	since time.Time
	// fresh is the request's Fresh: the workflow never asked for it before.
	fresh bool
	// alsoIn are more channels where an earlier post may be, looked in once
	// each when channel has none.
	alsoIn []string
	// send posts the message and returns its ts.
	send func(context.Context) (string, error)
}

// postOnce looks for a message carrying this event id before posting, so a
// retry after a lost response, a worker crash or a workflow reset adopts the
// message already there instead of posting it twice.
//
// A fresh request's first attempt posts without looking: nothing can be
// there yet, and the look-ups (conversations.history and .replies) are
// Slack's Tier 3 methods, about 50 calls a minute per workspace, fewer than
// one a second per channel of posts would need.
//
// Two rules keep a retry from missing a post that an earlier attempt still
// has in flight. An attempt stops postMargin before its deadline, so it has
// given up on its own requests before Temporal, at the deadline, schedules
// the next attempt. And a retry that finds nothing waits repostSettle and
// looks once more before posting: long enough for Slack to store a request
// that reached it just as the earlier attempt gave up.
func (a *Activities) postOnce(ctx context.Context, p post) (SlackResult, error) {
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-postMargin))
		defer cancel()
	}
	if retry := attemptOf(ctx) > 1; !p.fresh || retry {
		at, ts, err := a.findEarlier(ctx, p, retry)
		if err != nil {
			return SlackResult{}, err
		}
		if ts != "" {
			activity.GetLogger(ctx).Info("message already posted; adopting it", "event_id", p.eventID, "channel", at)
			return SlackResult{Channel: at, TS: ts, Adopted: true}, nil
		}
	}
	ts, err := p.send(ctx)
	if err != nil {
		return SlackResult{}, slackError("post", err)
	}
	return SlackResult{Channel: p.channel, TS: ts}, nil
}

// findEarlier looks for a message carrying the post's event id in its
// channel; a retry that finds none waits repostSettle and looks there once
// more; then it looks once in each of alsoIn. It returns where the message
// is and its ts, or an empty ts.
func (a *Activities) findEarlier(ctx context.Context, p post, retry bool) (string, string, error) {
	find := func(channel string) (string, bool, error) {
		return a.Slack.FindPostedSince(ctx, channel, p.threadTS, p.eventID, p.since)
	}
	ts, found, err := find(p.channel)
	if err == nil && !found && retry {
		select {
		case <-ctx.Done():
			return "", "", slackError("wait before looking again", ctx.Err())
		case <-time.After(repostSettle):
		}
		ts, found, err = find(p.channel)
	}
	at := p.channel
	for i := 0; err == nil && !found && i < len(p.alsoIn); i++ {
		at = p.alsoIn[i]
		ts, found, err = find(at)
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
