package slackdouble

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Who the double says the bot is.
const (
	teamID    = "T0DOUBLE"
	botUserID = "U0HIRESYNC"
	botID     = "B0HIRESYNC"
	appID     = "A0HIRESYNC"
)

// Slack's limits, as far as the double checks them.
const (
	maxBodyBytes   = 2 << 20
	maxTextRunes   = 40000
	maxBlocks      = 50
	defaultLimit   = 100
	maxHistory     = 999
	maxReplies     = 1000
	cursorPrefix   = "next_ts:"
	errUnknownCall = "unknown_method"
)

// reply is the answer to one API request.
type reply struct {
	status     int            // HTTP status
	body       map[string]any // JSON body; nil writes a plain error page
	retryAfter int            // seconds, for a 429's Retry-After header; 0 for none
	lost       bool           // the call took effect but its answer is lost
	lostStatus int            // 0 closes the connection
	scopes     string         // the x-oauth-scopes header, for an authenticated call
}

func ok(fields map[string]any) map[string]any {
	fields["ok"] = true
	return fields
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	s.mu.Lock()
	s.stats.Requests[method]++
	s.mu.Unlock()

	if d := s.delayFor(method); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	p, err := readParams(w, r)
	rep := s.handle(method, bearer(r, p), p, err)
	if rep.status != 0 && rep.status < http.StatusInternalServerError && bearer(r, p) == s.token {
		rep.scopes = s.grantedHeader()
	}
	s.write(w, rep)
}

// handle answers one call with its parameters, or the error reading them. It
// holds s.mu throughout, so calls are applied one at a time.
func (s *Server) handle(method, token string, p url.Values, readErr error) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if readErr != nil {
		return s.apiError("invalid_form_data")
	}

	call, known := map[string]func(url.Values) map[string]any{
		MethodAuthTest:             s.authTest,
		MethodPostMessage:          s.postMessage,
		MethodUpdate:               s.update,
		MethodConversationsHistory: s.history,
		MethodConversationsReplies: s.replies,
		MethodUsersLookupByEmail:   s.lookupByEmail,
		MethodConversationsInfo:    s.conversationInfo,
		MethodUsersInfo:            s.userInfo,
	}[method]
	switch {
	case !known:
		s.stats.Errors++
		return reply{status: http.StatusNotFound, body: map[string]any{"ok": false, "error": errUnknownCall}}
	case token == "":
		return s.apiError("not_authed")
	case token != s.token:
		return s.apiError("invalid_auth")
	case s.revoked != "":
		return s.apiError(s.revoked)
	}
	if rep, refused := s.checkScope(method, p.Get("channel")); refused {
		return rep
	}

	if status, retryAfter := s.injected(method); status == http.StatusTooManyRequests {
		return s.limited(retryAfter)
	} else if status != 0 {
		s.stats.FailuresInjected++
		return reply{status: status}
	}

	if onChannel(method) {
		ch := p.Get("channel")
		if code := s.channelErrors[ch]; code != "" {
			return s.apiError(code)
		}
		if ch == "" {
			return s.apiError("channel_not_found")
		}
		if s.notMember[ch] && method != MethodConversationsInfo {
			return s.apiError("not_in_channel")
		}
		if method == MethodPostMessage {
			if limited, wait := s.rateLimited(ch); limited {
				return s.limited(wait)
			}
		}
	}

	body := call(p)
	if body["ok"] != true {
		s.stats.Errors++
		return reply{status: http.StatusOK, body: body}
	}
	if method == MethodPostMessage || method == MethodUpdate {
		s.changes++
	}
	if lost, status := s.lose(method); lost {
		s.stats.ResponsesLost++
		return reply{lost: true, lostStatus: status}
	}
	return reply{status: http.StatusOK, body: body}
}

// apiError is Slack's answer to a call it refuses: HTTP 200, ok false.
// Callers hold s.mu.
func (s *Server) apiError(code string) reply {
	s.stats.Errors++
	return reply{status: http.StatusOK, body: errBody(code)}
}

func errBody(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

// limited is a 429 answer. Callers hold s.mu.
func (s *Server) limited(wait time.Duration) reply {
	s.stats.RateLimited++
	rep := reply{status: http.StatusTooManyRequests, body: errBody("ratelimited")}
	if s.retryAfterHeader {
		rep.retryAfter = retryAfterSeconds(wait)
	}
	return rep
}

func (s *Server) write(w http.ResponseWriter, rep reply) {
	if rep.lost {
		if rep.lostStatus == 0 {
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					_ = conn.Close()
					return
				}
			}
			rep.lostStatus = http.StatusInternalServerError
		}
		http.Error(w, http.StatusText(rep.lostStatus), rep.lostStatus)
		return
	}
	if rep.body == nil {
		// Slack answers 5xx with an HTML page, not JSON.
		http.Error(w, http.StatusText(rep.status), rep.status)
		return
	}
	if rep.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
	if rep.scopes != "" {
		w.Header().Set(ScopesHeader, rep.scopes)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(rep.status)
	_ = json.NewEncoder(w).Encode(rep.body)
}

// readParams gathers a call's arguments from the query string and from a
// form-encoded or JSON body, as Slack accepts them. JSON values that are not
// strings (blocks, metadata) are kept as their JSON text, as a form would
// carry them.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	v := r.URL.Query()
	if r.Method != http.MethodPost {
		return v, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var body map[string]json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return nil, fmt.Errorf("decode json body: %w", err)
		}
		for k, raw := range body {
			var str string
			switch {
			case string(raw) == "null":
			case json.Unmarshal(raw, &str) == nil:
				v.Set(k, str)
			default:
				v.Set(k, string(raw))
			}
		}
		return v, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("parse form: %w", err)
	}
	for k, vals := range r.PostForm {
		v[k] = vals
	}
	return v, nil
}

// bearer is the call's token: the Authorization header, else the token
// argument.
func bearer(r *http.Request, p url.Values) string {
	if tok, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
		return tok
	}
	return p.Get("token")
}

func truthy(s string) bool { return s == "1" || s == "true" }

func (s *Server) authTest(url.Values) map[string]any {
	return ok(map[string]any{
		"url":     "https://hiresync-double.slack.com/",
		"team":    "hiresync double",
		"user":    "hiresync",
		"team_id": teamID,
		"user_id": botUserID,
		"bot_id":  botID,
	})
}

// lookupByEmail answers users.lookupByEmail as Slack does: the member
// with that email (Slack compares emails without case), or
// users_not_found.
func (s *Server) lookupByEmail(p url.Values) map[string]any {
	email := p.Get("email")
	id, found := s.users[strings.ToLower(email)]
	if !found {
		return errBody("users_not_found")
	}
	name, _, _ := strings.Cut(email, "@")
	return ok(map[string]any{"user": map[string]any{
		"id":        id,
		"team_id":   teamID,
		"name":      name,
		"real_name": name,
		"deleted":   false,
		"is_bot":    false,
		"profile":   map[string]any{"email": email, "real_name": name, "display_name": name},
	}})
}

func (s *Server) postMessage(p url.Values) map[string]any {
	chID, text := p.Get("channel"), p.Get("text")
	blocks, code := parseBlocks(p.Get("blocks"))
	if code != "" {
		return errBody(code)
	}
	if text == "" && blocks == nil {
		return errBody("no_text")
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		return errBody("msg_too_long")
	}
	meta, code := parseMetadata(p.Get("metadata"))
	if code != "" {
		return errBody(code)
	}
	c := s.channel(chID)
	var root *Message
	if tts := p.Get("thread_ts"); tts != "" {
		// Stricter than Slack, which may post an unthreaded message: a reply
		// to a message that does not exist is a bug the tests should see.
		if root = c.byTS[tts]; root == nil {
			return errBody("thread_not_found")
		}
		if root.IsReply() {
			root = c.byTS[root.ThreadTS]
		}
	}
	m := &Message{Channel: chID, TS: s.nextTS(), Text: text, Blocks: blocks, Metadata: meta}
	if root != nil {
		m.ThreadTS = root.TS
		root.ThreadTS = root.TS
		root.ReplyCount++
		root.LatestReply = m.TS
	}
	c.msgs = append(c.msgs, m)
	c.byTS[m.TS] = m
	s.stats.Posts++
	return ok(map[string]any{"channel": chID, "ts": m.TS, "message": wire(m, true)})
}

func (s *Server) update(p url.Values) map[string]any {
	chID := p.Get("channel")
	m := s.channel(chID).byTS[p.Get("ts")]
	if m == nil {
		return errBody("message_not_found")
	}
	blocks, code := parseBlocks(p.Get("blocks"))
	if code != "" {
		return errBody(code)
	}
	meta, code := parseMetadata(p.Get("metadata"))
	if code != "" {
		return errBody(code)
	}
	text := m.Text
	if p.Has("text") {
		text = p.Get("text")
	}
	if !p.Has("blocks") {
		blocks = m.Blocks
	}
	if text == "" && blocks == nil {
		return errBody("no_text")
	}
	if utf8.RuneCountInString(text) > maxTextRunes {
		return errBody("msg_too_long")
	}
	m.Text, m.Blocks = text, blocks
	if meta != nil {
		m.Metadata = meta
	}
	m.EditedTS = s.nextTS()
	s.stats.Updates++
	return ok(map[string]any{"channel": chID, "ts": m.TS, "text": m.Text, "message": wire(m, true)})
}

func (s *Server) history(p url.Values) map[string]any {
	c := s.channel(p.Get("channel"))
	limit := limitOf(p.Get("limit"), maxHistory)
	within, code := rangeOf(p)
	if code != "" {
		return errBody(code)
	}
	before := int64(-1)
	if cur := p.Get("cursor"); cur != "" {
		ts, err := decodeCursor(cur)
		if err != nil {
			return errBody("invalid_cursor")
		}
		before = ts
	}
	var matched []*Message
	roots := c.roots()
	for _, m := range slices.Backward(roots) {
		ts := mustTS(m.TS)
		if within(ts) && (before < 0 || ts < before) {
			matched = append(matched, m)
		}
	}
	return page(matched, limit, truthy(p.Get("include_all_metadata")))
}

func (s *Server) replies(p url.Values) map[string]any {
	c := s.channel(p.Get("channel"))
	parent := c.byTS[p.Get("ts")]
	if parent == nil {
		return errBody("thread_not_found")
	}
	limit := limitOf(p.Get("limit"), maxReplies)
	within, code := rangeOf(p)
	if code != "" {
		return errBody(code)
	}
	after := int64(-1)
	if cur := p.Get("cursor"); cur != "" {
		ts, err := decodeCursor(cur)
		if err != nil {
			return errBody("invalid_cursor")
		}
		after = ts
	}
	thread := []*Message{parent}
	if !parent.IsReply() {
		for _, m := range c.replies(parent.TS) {
			if within(mustTS(m.TS)) {
				thread = append(thread, m)
			}
		}
	}
	var matched []*Message
	for _, m := range thread {
		if after < 0 || mustTS(m.TS) > after {
			matched = append(matched, m)
		}
	}
	return page(matched, limit, truthy(p.Get("include_all_metadata")))
}

// page answers history or replies with the first limit messages and a cursor
// that continues after the last one.
func page(ms []*Message, limit int, withMetadata bool) map[string]any {
	hasMore := len(ms) > limit
	if hasMore {
		ms = ms[:limit]
	}
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		out[i] = wire(m, withMetadata)
	}
	next := ""
	if hasMore {
		next = encodeCursor(ms[len(ms)-1].TS)
	}
	return ok(map[string]any{
		"messages":          out,
		"has_more":          hasMore,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

// wire is a message as Slack's API shows it. Slack shows metadata only when
// asked (include_all_metadata), except in the answer to the post itself.
func wire(m *Message, withMetadata bool) map[string]any {
	w := map[string]any{
		"type":   "message",
		"user":   botUserID,
		"bot_id": botID,
		"app_id": appID,
		"team":   teamID,
		"text":   m.Text,
		"ts":     m.TS,
	}
	if m.ThreadTS != "" {
		w["thread_ts"] = m.ThreadTS
	}
	if m.IsReply() {
		w["parent_user_id"] = botUserID
	} else if m.ReplyCount > 0 {
		w["reply_count"] = m.ReplyCount
		w["reply_users_count"] = 1
		w["reply_users"] = []string{botUserID}
		w["latest_reply"] = m.LatestReply
	}
	if len(m.Blocks) > 0 {
		w["blocks"] = m.Blocks
	}
	if withMetadata && m.Metadata != nil {
		w["metadata"] = m.Metadata
	}
	if m.EditedTS != "" {
		w["edited"] = map[string]any{"user": botUserID, "ts": m.EditedTS}
	}
	return w
}

// parseBlocks checks a blocks argument: a JSON array of at most 50 objects,
// each with a type. "" and "[]" mean no blocks.
func parseBlocks(raw string) (json.RawMessage, string) {
	if raw == "" {
		return nil, ""
	}
	var blocks []struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, "invalid_blocks_format"
	}
	if len(blocks) > maxBlocks {
		return nil, "invalid_blocks"
	}
	for _, b := range blocks {
		if b.Type == "" {
			return nil, "invalid_blocks"
		}
	}
	if len(blocks) == 0 {
		return nil, ""
	}
	return json.RawMessage(raw), ""
}

// parseMetadata checks a metadata argument: an event_type and an object
// event_payload.
func parseMetadata(raw string) (*Metadata, string) {
	if raw == "" {
		return nil, ""
	}
	var m Metadata
	if err := json.Unmarshal([]byte(raw), &m); err != nil || m.EventType == "" {
		return nil, "invalid_metadata_format"
	}
	var payload map[string]any
	if err := json.Unmarshal(m.EventPayload, &payload); err != nil || payload == nil {
		return nil, "invalid_metadata_format"
	}
	return &m, ""
}

func limitOf(s string, most int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return defaultLimit
	}
	return min(n, most)
}

// rangeOf reads oldest, latest and inclusive into a filter on ts.
func rangeOf(p url.Values) (func(int64) bool, string) {
	oldest, latest := int64(-1), int64(-1)
	var err error
	if s := p.Get("oldest"); s != "" {
		if oldest, err = parseTS(s); err != nil {
			return nil, "invalid_ts_oldest"
		}
	}
	if s := p.Get("latest"); s != "" {
		if latest, err = parseTS(s); err != nil {
			return nil, "invalid_ts_latest"
		}
	}
	inclusive := truthy(p.Get("inclusive"))
	return func(ts int64) bool {
		if oldest >= 0 && (ts < oldest || ts == oldest && !inclusive) {
			return false
		}
		if latest >= 0 && (ts > latest || ts == latest && !inclusive) {
			return false
		}
		return true
	}, ""
}

// nextTS hands out a unique, increasing ts in Slack's format
// ("1700000000.000100"), from the clock. Callers hold s.mu.
func (s *Server) nextTS() string {
	now := time.Now().UnixMicro()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}
	s.lastTS = now
	return formatTS(now)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// parseTS reads a Slack ts into microseconds.
func parseTS(s string) (int64, error) {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || sec < 0 {
		return 0, fmt.Errorf("invalid ts %q", s)
	}
	if len(frac) > 6 {
		return 0, fmt.Errorf("invalid ts %q", s)
	}
	var micro int64
	if frac != "" {
		if micro, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64); err != nil || micro < 0 {
			return 0, fmt.Errorf("invalid ts %q", s)
		}
	}
	return sec*1e6 + micro, nil
}

// mustTS reads a ts the double made itself.
func mustTS(s string) int64 {
	ts, err := parseTS(s)
	if err != nil {
		panic(err)
	}
	return ts
}

// Cursors look like Slack's: base64 of "next_ts:<ts>".
func encodeCursor(ts string) string {
	return base64.StdEncoding.EncodeToString([]byte(cursorPrefix + ts))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, fmt.Errorf("decode cursor: %w", err)
	}
	ts, found := strings.CutPrefix(string(b), cursorPrefix)
	if !found {
		return 0, errors.New("decode cursor: no ts")
	}
	return parseTS(ts)
}
