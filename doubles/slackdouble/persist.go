package slackdouble

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hiresync/hiresync/doubles/persist"
)

// stateFormat names the file format Save writes, so that Load refuses a file
// written by something else (the HubSpot double's, say).
const stateFormat = "hiresync-slack-double/1"

// savedState is what Save writes: the durable data only. Fault injection,
// rate buckets and counters start afresh with every process.
type savedState struct {
	Format string `json:"format"`
	// LastTS is the last ts handed out, so a restarted double never hands
	// out one of the saved ts again, whatever the clock says.
	LastTS string `json:"last_ts"`
	// Channels holds each channel's messages in ts order, roots and
	// replies together.
	Channels map[string][]Message `json:"channels"`
}

// Save writes the double's channels, messages, threads, metadata and ts
// counter to path as JSON, atomically (a temporary file renamed over path),
// so a reader or a crash never sees half a file.
func (s *Server) Save(path string) error {
	_, err := s.save(path)
	return err
}

func (s *Server) save(path string) (uint64, error) {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	st := savedState{Format: stateFormat, LastTS: formatTS(s.lastTS), Channels: make(map[string][]Message, len(s.channels))}
	for id, c := range s.channels {
		st.Channels[id] = copies(c.msgs)
	}
	version := s.changes
	s.mu.Unlock()

	return version, persist.Save(path, "slack double", st)
}

// Load replaces the double's channels, messages and ts counter with those
// saved in path; options, faults and counters stay. A missing file is an
// error that satisfies errors.Is(err, fs.ErrNotExist); a file that is not
// the double's state is an error naming it.
func (s *Server) Load(path string) error {
	var st savedState
	if err := persist.Load(path, "slack double", stateFormat, &st); err != nil {
		return err
	}
	channels, lastTS, err := restore(st)
	if err != nil {
		return fmt.Errorf("load slack double state from %s: %w", path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels = channels
	s.lastTS = max(s.lastTS, lastTS)
	s.changes++
	return nil
}

// restore rebuilds the channels from a saved state, with the highest ts
// it holds.
func restore(st savedState) (map[string]*channel, int64, error) {
	var last int64
	if st.LastTS != "" {
		ts, err := parseTS(st.LastTS)
		if err != nil {
			return nil, 0, fmt.Errorf("last_ts: %w", err)
		}
		last = ts
	}
	channels := make(map[string]*channel, len(st.Channels))
	for id, msgs := range st.Channels {
		if id == "" {
			return nil, 0, errors.New("a channel without an id")
		}
		c := &channel{byTS: make(map[string]*Message, len(msgs))}
		for i := range msgs {
			m := msgs[i]
			ts, err := parseTS(m.TS)
			if err != nil {
				return nil, 0, fmt.Errorf("channel %s, message %d: %w", id, i, err)
			}
			if _, dup := c.byTS[m.TS]; dup {
				return nil, 0, fmt.Errorf("channel %s: two messages with ts %s", id, m.TS)
			}
			last = max(last, ts)
			if m.EditedTS != "" {
				edited, err := parseTS(m.EditedTS)
				if err != nil {
					return nil, 0, fmt.Errorf("channel %s, message %s: edited_ts: %w", id, m.TS, err)
				}
				last = max(last, edited)
			}
			m.Channel = id
			c.msgs = append(c.msgs, &m)
			c.byTS[m.TS] = &m
		}
		for _, m := range c.msgs {
			if m.IsReply() {
				if root := c.byTS[m.ThreadTS]; root == nil || root.IsReply() {
					return nil, 0, fmt.Errorf("channel %s: message %s replies in thread %s, which is not a top-level message", id, m.TS, m.ThreadTS)
				}
			}
		}
		slices.SortStableFunc(c.msgs, func(a, b *Message) int { return cmp.Compare(mustTS(a.TS), mustTS(b.TS)) })
		channels[id] = c
	}
	return channels, last, nil
}

// AutoSave saves the double to path at the first tick and then after
// changes, at most once per interval, until ctx ends (persist.AutoSave).
func (s *Server) AutoSave(ctx context.Context, path string, interval time.Duration, report func(error)) {
	version := func() uint64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.changes
	}
	persist.AutoSave(ctx, interval, version, func() (uint64, error) { return s.save(path) }, report)
}
