// Package slackpost is hiresync's Slack client: it posts a root message per
// application and threads replies under it, updates roots, and finds out
// after a timeout whether a post already happened (by the message metadata
// every post carries). It holds the per-channel rate limit and the circuit
// breaker for Slack, classifies Slack's errors (rate-limited, permanent,
// retryable) without knowing Temporal, and renders events into Block Kit
// messages with no email address or phone number in them.
package slackpost

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
	"github.com/sony/gobreaker/v2"
	"golang.org/x/time/rate"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/activities/breaker"
)

// MetadataEventType is the event_type of the metadata on every message
// hiresync posts (PRODUCT.md, "Slack").
const MetadataEventType = "clarityhire_event"

// Defaults for Config's zero values.
const (
	DefaultPostRate        = rate.Limit(1)
	DefaultPostBurst       = 1
	DefaultBreakerFailures = 5
	DefaultBreakerOpenFor  = 30 * time.Second
	DefaultRetryAfter      = 30 * time.Second
	DefaultHTTPTimeout     = 15 * time.Second
	DefaultPageSize        = 200
	DefaultMaxPages        = 5
	// SincePages bounds FindPostedSince's search: 100 pages of PageSize
	// messages posted since the event was received.
	SincePages = 100
)

// sinceSkew is how far before an event's receipt FindPostedSince reads, for
// the difference between hiresync's clock and Slack's.
const sinceSkew = 10 * time.Minute

const (
	breakerName            = "slack"
	metadataEventIDKey     = "event_id"
	metadataCandidateIDKey = "candidate_id"
	metadataJobIDKey       = "job_id"
	metadataKindKey        = "kind"
	errCodeMissingChannel  = "missing_channel"
	errCodeMissingThreadTS = "missing_thread_ts"
	errCodeMissingEventID  = "missing_event_id"
	errCodeInvalidID       = "invalid_id"
)

// Message is one Slack message: its mrkdwn text (the whole message when there
// are no blocks, the notification fallback when there are), its blocks, and
// the ids that go into its metadata. Render builds them; Text is sent as it
// is, so escape anything untrusted.
type Message struct {
	Text        string
	Blocks      slack.Blocks
	EventID     string
	CandidateID string
	JobID       string
	// Kind is KindNudge or KindHire for a message that is not an event's
	// own; its EventID is then an id of its own (NudgeID, HireNoticeID).
	Kind string
}

// Kinds of message that are not an event's own (PRODUCT.md, "Slack").
const (
	KindNudge = "nudge"
	KindHire  = "hire"
)

// Config configures a Poster. Only Token is required.
type Config struct {
	// Token is the bot token (SLACK_BOT_TOKEN).
	Token string
	// APIURL is Slack's Web API base URL (SLACK_API_URL); default slack.APIURL.
	APIURL string
	// HTTPClient makes the calls; default an http.Client with a 15 s timeout.
	HTTPClient *http.Client
	// PostRate and PostBurst limit posts and updates per channel, shared by
	// every caller of the Poster; default 1 a second, burst 1 (Slack's
	// limit). With a burst of 1 a channel's calls go one at a time, each
	// a full 1/PostRate after the previous call's answer, so that Slack
	// never receives two closer together however delays vary; a larger
	// burst is a token bucket on the send times. rate.Inf turns the limit
	// off.
	PostRate  rate.Limit
	PostBurst int
	// BreakerFailures is how many failures in a row open the breaker
	// (default 5); BreakerOpenFor how long it stays open before a trial call
	// (default 30 s).
	BreakerFailures uint32
	BreakerOpenFor  time.Duration
	// DefaultRetryAfter is the wait reported for a 429 without Retry-After
	// (default 30 s).
	DefaultRetryAfter time.Duration
	// PageSize and MaxPages bound FindPosted's search: at most MaxPages pages
	// of PageSize messages (default 5 of 200, the newest 1000 messages).
	PageSize int
	MaxPages int
	// Logger, if set, hears of breaker state changes.
	Logger *slog.Logger
	// Observe, if set, is told of every Slack call the Poster makes or
	// refuses: the Web API method (MethodPostMessage…) and the result
	// (ResultOK, ResultRateLimited…), for metrics. It must not block.
	Observe func(method, result string)
	// OnStateChange, if set, is told of every change of the breaker's
	// state, for metrics.
	OnStateChange func(from, to gobreaker.State)
}

// Poster posts to Slack for hiresync. It is safe for concurrent use, and
// meant to be shared by all activities of a worker: its rate limits and
// breaker are per Poster.
type Poster struct {
	api               *slack.Client
	breaker           *gobreaker.CircuitBreaker[struct{}]
	postRate          rate.Limit
	postBurst         int
	defaultRetryAfter time.Duration
	pageSize          int
	maxPages          int
	observer          func(method, result string)

	mu       sync.Mutex
	channels map[string]*channelTurn
}

// channelTurn is a channel's pacing, and until when Slack told us to leave
// the channel alone (after a 429). A channel is paced either by its slot
// and next (burst 1) or by its limiter (a larger burst, or no limit).
type channelTurn struct {
	// slot is held by the call in progress; next is when the following
	// call may go, the previous call's answer plus the interval. The slot
	// guards next.
	slot    chan struct{}
	next    time.Time
	limiter *rate.Limiter
	// pausedUntil is guarded by Poster.mu.
	pausedUntil time.Time
}

// New builds a Poster from cfg.
func New(cfg Config) (*Poster, error) {
	if cfg.Token == "" {
		return nil, errors.New("new slack poster: no token")
	}
	apiURL := cmp.Or(cfg.APIURL, slack.APIURL)
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	failures := cmp.Or(cfg.BreakerFailures, DefaultBreakerFailures)
	logger, onStateChange := cfg.Logger, cfg.OnStateChange
	p := &Poster{
		api:               slack.New(cfg.Token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(httpClient)),
		postRate:          cmp.Or(cfg.PostRate, DefaultPostRate),
		postBurst:         cmp.Or(cfg.PostBurst, DefaultPostBurst),
		defaultRetryAfter: cmp.Or(cfg.DefaultRetryAfter, DefaultRetryAfter),
		pageSize:          cmp.Or(cfg.PageSize, DefaultPageSize),
		maxPages:          cmp.Or(cfg.MaxPages, DefaultMaxPages),
		observer:          cfg.Observe,
		channels:          make(map[string]*channelTurn),
	}
	p.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         breakerName,
		Timeout:      cmp.Or(cfg.BreakerOpenFor, DefaultBreakerOpenFor),
		ReadyToTrip:  breaker.ReadyToTrip(failures),
		Interval:     breaker.Window,
		BucketPeriod: breaker.Bucket,
		IsSuccessful: breakerSuccess,
		IsExcluded:   breakerExcluded,
		OnStateChange: func(name string, from, to gobreaker.State) {
			if logger != nil {
				logger.Warn("circuit breaker state changed", "breaker", name, "from", from.String(), "to", to.String())
			}
			if onStateChange != nil {
				onStateChange(from, to)
			}
		},
	})
	return p, nil
}

// BreakerState is the state of the Poster's circuit breaker, for health
// checks and tests.
func (p *Poster) BreakerState() gobreaker.State { return p.breaker.State() }

// PostRoot posts an application's root message into channel and returns its
// ts.
func (p *Poster) PostRoot(ctx context.Context, channel string, m Message) (string, error) {
	ts, err := p.post(ctx, channel, "", m)
	if err != nil {
		return "", fmt.Errorf("post root message to %s: %w", channel, err)
	}
	return ts, nil
}

// Reply posts m in the thread of threadTS and returns the reply's ts.
func (p *Poster) Reply(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	if threadTS == "" {
		return "", fmt.Errorf("post reply to %s: %w", channel, &PermanentError{Code: errCodeMissingThreadTS})
	}
	ts, err := p.post(ctx, channel, threadTS, m)
	if err != nil {
		return "", fmt.Errorf("post reply to %s in thread %s: %w", channel, threadTS, err)
	}
	return ts, nil
}

// Update replaces the text, blocks and metadata of the message ts. Updates
// share the channel's rate limit with posts. Keep m.EventID the id of the
// event that posted the message, so that FindPosted still finds it; an
// update is idempotent and needs no finding.
func (p *Poster) Update(ctx context.Context, channel, ts string, m Message) error {
	err := p.send(ctx, MethodUpdate, channel, m, func() error {
		_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, m.options()...)
		return err
	})
	if err != nil {
		return fmt.Errorf("update message %s in %s: %w", ts, channel, err)
	}
	return nil
}

func (p *Poster) post(ctx context.Context, channel, threadTS string, m Message) (string, error) {
	opts := m.options()
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	var ts string
	err := p.send(ctx, MethodPostMessage, channel, m, func() error {
		_, t, err := p.api.PostMessageContext(ctx, channel, opts...)
		ts = t
		return err
	})
	return ts, err
}

// send does one write into channel with method: checks the message, fails
// fast while the breaker is open or Slack asked us to wait, waits the
// channel's turn, then calls through the breaker.
func (p *Poster) send(ctx context.Context, method, channel string, m Message, call func() error) error {
	var err error
	switch {
	case channel == "":
		err = &PermanentError{Code: errCodeMissingChannel}
	case m.EventID == "":
		err = &PermanentError{Code: errCodeMissingEventID}
	case !idsValid(m):
		err = &PermanentError{Code: errCodeInvalidID}
	case p.breaker.State() == gobreaker.StateOpen:
		err = unavailable(gobreaker.ErrOpenState)
	}
	if err != nil {
		p.observe(method, result(ctx, err))
		return err
	}
	done, err := p.waitTurn(ctx, channel)
	if err != nil {
		// No call was made: the channel is paused after a 429, or the
		// caller's context ends before the channel's turn comes.
		if _, paused := IsRateLimited(err); paused {
			p.observe(method, ResultPaused)
		} else {
			p.observe(method, ResultCanceled)
		}
		return err
	}
	err = p.do(ctx, method, call)
	if wait, limited := IsRateLimited(err); limited {
		p.pause(channel, wait)
	}
	done()
	return err
}

// waitTurn waits, within ctx, for the channel's turn; while the channel is
// paused after a 429 it fails at once with the time left. On success the
// caller makes its call and then calls done.
//
// With a burst of 1 the turn is the channel's slot, taken once the
// previous call was answered and a full interval has passed since. Pacing
// by the send times alone (a token bucket) lets a call that left late,
// or was slow on the way, arrive less than an interval before the next
// one, which left on time: a strict limit answers that with a 429, and
// the whole channel then waits a second or more.
func (p *Poster) waitTurn(ctx context.Context, channel string) (done func(), err error) {
	p.mu.Lock()
	turn, ok := p.channels[channel]
	if !ok {
		turn = &channelTurn{}
		if p.postBurst == 1 && p.postRate != rate.Inf && p.postRate > 0 {
			turn.slot = make(chan struct{}, 1)
		} else {
			turn.limiter = rate.NewLimiter(p.postRate, p.postBurst)
		}
		p.channels[channel] = turn
	}
	p.mu.Unlock()

	if turn.slot == nil {
		if left := p.pausedFor(turn); left > 0 {
			return nil, &RateLimitedError{RetryAfter: left}
		}
		if err := turn.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("wait for the channel's rate limit: %w", err)
		}
		return func() {}, nil
	}

	select {
	case turn.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the channel's turn: %w", ctx.Err())
	}
	// The previous call may have been answered 429: look at the pause
	// only now.
	if left := p.pausedFor(turn); left > 0 {
		<-turn.slot
		return nil, &RateLimitedError{RetryAfter: left}
	}
	if wait := time.Until(turn.next); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-turn.slot
			return nil, fmt.Errorf("wait for the channel's rate limit: %w", ctx.Err())
		}
	}
	interval := time.Duration(float64(time.Second) / float64(p.postRate))
	return func() {
		turn.next = time.Now().Add(interval)
		<-turn.slot
	}, nil
}

// pausedFor is how long the channel is still paused after a 429.
func (p *Poster) pausedFor(turn *channelTurn) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return time.Until(turn.pausedUntil)
}

// pause keeps every caller off channel for d, so that a 429 is waited out
// rather than hammered.
func (p *Poster) pause(channel string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if turn, ok := p.channels[channel]; ok {
		turn.pausedUntil = time.Now().Add(d)
	}
}

// do makes one Slack call of method through the breaker, classifies its
// error and observes the result.
func (p *Poster) do(ctx context.Context, method string, call func() error) error {
	_, err := p.breaker.Execute(func() (struct{}, error) {
		return struct{}{}, classify(call(), p.defaultRetryAfter)
	})
	err = unavailable(err)
	p.observe(method, result(ctx, err))
	return err
}

// FindPosted looks for a message hiresync posted for eventID: among the
// channel's recent top-level messages when threadTS is empty, else among the
// thread's messages. It reads at most MaxPages pages, newest first for the
// channel: roots are posted shortly before they are looked for.
func (p *Poster) FindPosted(ctx context.Context, channel, threadTS, eventID string) (string, bool, error) {
	return p.FindPostedSince(ctx, channel, threadTS, eventID, time.Time{})
}

// FindPostedSince is FindPosted for a message that cannot have been posted
// before since (for a root: when hiresync received its event). It reads the
// channel's top-level messages from sinceSkew before since on, however many
// pages that takes (up to SincePages), so that a busy channel or a reset
// days later does not push the message out of reach. A zero since, or a
// thread, is FindPosted's search.
func (p *Poster) FindPostedSince(ctx context.Context, channel, threadTS, eventID string, since time.Time) (string, bool, error) {
	if eventID == "" {
		return "", false, fmt.Errorf("find posted message in %s: %w", channel, &PermanentError{Code: errCodeMissingEventID})
	}
	if !hiresync.ValidID(eventID) {
		// No message can carry it (see idsValid), and the id is not put in
		// the error: it broke the rules that make an id safe to print.
		return "", false, fmt.Errorf("find posted message in %s: %w", channel, &PermanentError{Code: errCodeInvalidID})
	}
	pages, oldest := p.maxPages, ""
	if !since.IsZero() && threadTS == "" {
		pages, oldest = SincePages, strconv.FormatInt(since.Add(-sinceSkew).Unix(), 10)+".000000"
	}
	cursor := ""
	for range pages {
		var msgs []slack.Message
		var next string
		method := MethodConversationsHistory
		if threadTS != "" {
			method = MethodConversationsReplies
		}
		err := p.do(ctx, method, func() error {
			var err error
			msgs, next, err = p.page(ctx, channel, threadTS, cursor, oldest)
			return err
		})
		if err != nil {
			return "", false, fmt.Errorf("find posted message for event %s in %s: %w", eventID, channel, err)
		}
		for _, m := range msgs {
			if postedFor(m, eventID) {
				return m.Timestamp, true, nil
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	return "", false, nil
}

// page reads one page of the channel's history, or of a thread, with
// metadata.
func (p *Poster) page(ctx context.Context, channel, threadTS, cursor, oldest string) ([]slack.Message, string, error) {
	if threadTS == "" {
		resp, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
			ChannelID: channel, Cursor: cursor, Limit: p.pageSize, IncludeAllMetadata: true, Oldest: oldest,
		})
		if err != nil {
			return nil, "", err
		}
		return resp.Messages, resp.ResponseMetaData.NextCursor, nil
	}
	msgs, hasMore, next, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
		ChannelID: channel, Timestamp: threadTS, Cursor: cursor, Limit: p.pageSize, IncludeAllMetadata: true,
	})
	if err != nil {
		return nil, "", err
	}
	if !hasMore {
		next = ""
	}
	return msgs, next, nil
}

// postedFor reports whether m is hiresync's message for eventID: its
// metadata's event_id equals eventID byte for byte. Ids are never cleaned,
// so two events whose ids differ in any byte are two messages.
//
// Versions before issue 17 wrote ids through the phone-number redaction: a
// message they posted for an id with seven digits in a row carries an
// event_id such as "evt_[redacted]". Such a message is never matched: "[" and
// "]" cannot be in a valid id, and the redacted form stands for many ids, so
// adopting it could adopt another event's message and lose this one. The
// cost is that a retry of that very event posts it again (a visible
// duplicate, never a lost event); docs/reliability.md says so.
func postedFor(m slack.Message, eventID string) bool {
	if m.Metadata.EventType != MetadataEventType {
		return false
	}
	id, _ := m.Metadata.EventPayload[metadataEventIDKey].(string)
	return id == eventID
}

// AuthTest checks the token, for start-up.
func (p *Poster) AuthTest(ctx context.Context) (*slack.AuthTestResponse, error) {
	var resp *slack.AuthTestResponse
	err := p.do(ctx, MethodAuthTest, func() error {
		var err error
		resp, err = p.api.AuthTestContext(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("slack auth test: %w", err)
	}
	return resp, nil
}

// options are the message's text, blocks and metadata as slack-go sends them.
func (m Message) options() []slack.MsgOption {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionMetadata(m.metadata()),
	}
	if len(m.Blocks.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(m.Blocks.BlockSet...))
	}
	return opts
}

// metadata is the Slack message metadata hiresync finds its posts by. The
// ids go in exactly as ClarityHire sent them: they are identifiers, not
// text. Cleaning them like a name (the phone-number redaction turned
// "evt_20261204000001" into "evt_[redacted]") wrote a wrong id and made
// FindPosted take two events for one. What keeps them safe for Slack is the
// ingress's validation (ingress/envelope.go, hiresync.ValidID): every event
// and candidate id passed it, 1 to 128 letters, digits and "_-.:", before it
// reached a workflow, and such an id cannot hold an email address, a
// mention or markup. Ids hiresync makes up itself are built from those, and
// send refuses an event or candidate id that breaks the rules (idsValid).
func (m Message) metadata() slack.SlackMetadata {
	payload := map[string]any{
		metadataEventIDKey:     m.EventID,
		metadataCandidateIDKey: m.CandidateID,
		metadataJobIDKey:       metadataJobID(m.JobID),
	}
	if m.Kind != "" {
		payload[metadataKindKey] = m.Kind
	}
	return slack.SlackMetadata{EventType: MetadataEventType, EventPayload: payload}
}

// idsValid reports whether m's event id and candidate id (if any) keep the
// id rules. They always do when they came through the ingress; one that does
// not is refused rather than cleaned, since a cleaned id is a wrong id, and
// it must not reach Slack as it is.
func idsValid(m Message) bool {
	return hiresync.ValidID(m.EventID) && (m.CandidateID == "" || hiresync.ValidID(m.CandidateID))
}

// metadataJobID is the job id as it goes into metadata. The ingress does not
// check job ids (they only route and label), so one outside the id rules is
// left out ("") rather than changed: a changed id would be a wrong one, and
// an unchecked one could carry text into Slack. It is never compared.
func metadataJobID(id string) string {
	if hiresync.ValidID(id) {
		return id
	}
	return ""
}
