package slackdouble

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"

	"golang.org/x/time/rate"
)

// Message is a message as the double keeps it.
type Message struct {
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Text     string `json:"text"`
	// Blocks is the Block Kit JSON array as it was sent.
	Blocks      json.RawMessage `json:"blocks,omitempty"`
	Metadata    *Metadata       `json:"metadata,omitempty"`
	ReplyCount  int             `json:"reply_count,omitempty"`
	LatestReply string          `json:"latest_reply,omitempty"`
	// EditedTS is set by chat.update.
	EditedTS string `json:"edited_ts,omitempty"`
}

// Metadata is Slack message metadata.
type Metadata struct {
	EventType    string          `json:"event_type"`
	EventPayload json.RawMessage `json:"event_payload"`
}

// EventID is the event_id in the message metadata's payload, or "".
func (m Message) EventID() string {
	if m.Metadata == nil {
		return ""
	}
	var p struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(m.Metadata.EventPayload, &p)
	return p.EventID
}

// IsReply reports whether the message is in another message's thread.
func (m Message) IsReply() bool { return m.ThreadTS != "" && m.ThreadTS != m.TS }

// Stats counts what the double did.
type Stats struct {
	// Requests counts every API request by method, whatever its answer.
	Requests map[string]int `json:"requests"`
	// Posts counts messages stored by chat.postMessage.
	Posts int `json:"posts"`
	// Updates counts messages changed by chat.update.
	Updates int `json:"updates"`
	// RateLimited counts 429 answers.
	RateLimited int `json:"rate_limited"`
	// FailuresInjected counts 5xx (or other) answers injected by FailNext and
	// SetFailureRate.
	FailuresInjected int `json:"failures_injected"`
	// ResponsesLost counts calls that took effect but lost their answer.
	ResponsesLost int `json:"responses_lost"`
	// Errors counts {"ok":false} answers (invalid_auth, channel_not_found…).
	Errors int `json:"errors"`
}

// State is the double's whole state, as served at StatePath.
type State struct {
	Channels map[string]ChannelState `json:"channels"`
	Stats    Stats                   `json:"stats"`
}

// ChannelState is one channel: its top-level messages, oldest first, each
// with its thread.
type ChannelState struct {
	// Error is the code every call on the channel answers, if any.
	Error    string   `json:"error,omitempty"`
	Messages []Thread `json:"messages"`
}

// Thread is a top-level message and its replies, oldest first.
type Thread struct {
	Message
	Replies []Message `json:"replies,omitempty"`
}

// channel holds a channel's messages in ts order, roots and replies together.
type channel struct {
	msgs []*Message
	byTS map[string]*Message
}

// channel returns the channel, creating it on first use. Callers hold s.mu.
func (s *Server) channel(id string) *channel {
	c, ok := s.channels[id]
	if !ok {
		c = &channel{byTS: make(map[string]*Message)}
		s.channels[id] = c
	}
	return c
}

func (c *channel) roots() []*Message {
	var out []*Message
	for _, m := range c.msgs {
		if !m.IsReply() {
			out = append(out, m)
		}
	}
	return out
}

func (c *channel) replies(rootTS string) []*Message {
	var out []*Message
	for _, m := range c.msgs {
		if m.IsReply() && m.ThreadTS == rootTS {
			out = append(out, m)
		}
	}
	return out
}

func copies(ms []*Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = *m
	}
	return out
}

// Messages returns the channel's top-level messages, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channel]
	if !ok {
		return nil
	}
	return copies(c.roots())
}

// Replies returns the replies in the thread of rootTS, oldest first.
func (s *Server) Replies(channel, rootTS string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channel]
	if !ok {
		return nil
	}
	return copies(c.replies(rootTS))
}

// Message returns the message with ts in channel.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[channel]
	if !ok {
		return Message{}, false
	}
	m, ok := c.byTS[ts]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// MessagesForEvent returns every message, in any channel, whose metadata
// carries eventID: more than one means something was posted twice.
func (s *Server) MessagesForEvent(eventID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range slices.Sorted(maps.Keys(s.channels)) {
		for _, m := range s.channels[id].msgs {
			if m.EventID() == eventID {
				out = append(out, *m)
			}
		}
	}
	return out
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Requests = maps.Clone(s.stats.Requests)
	return st
}

// State returns the whole state: channels, threads and counters.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := State{Channels: make(map[string]ChannelState), Stats: s.stats}
	st.Stats.Requests = maps.Clone(s.stats.Requests)
	for id, c := range s.channels {
		cs := ChannelState{Error: s.channelErrors[id], Messages: []Thread{}}
		for _, r := range c.roots() {
			cs.Messages = append(cs.Messages, Thread{Message: *r, Replies: copies(c.replies(r.TS))})
		}
		st.Channels[id] = cs
	}
	for id, code := range s.channelErrors {
		if _, ok := st.Channels[id]; !ok {
			st.Channels[id] = ChannelState{Error: code, Messages: []Thread{}}
		}
	}
	return st
}

// Reset forgets every message, counter and rate bucket; options and
// injected failures stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels = make(map[string]*channel)
	s.limiters = make(map[string]*rate.Limiter)
	s.stats = Stats{Requests: make(map[string]int)}
	s.changes++
}

func (s *Server) serveState(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(s.State())
}
