package slackdouble

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// PagePath is where the double serves a read-only HTML page of what it
// holds: channels, root messages as Slack would show their blocks, and each
// root's thread. It refreshes itself every few seconds.
const PagePath = "/"

//go:embed page.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{"count": count}).Parse(pageSource))

// The page's view of the state. Every string in it is untrusted text that
// html/template escapes; nothing is marked safe.
type (
	pageView struct {
		Channels  []pageChannel
		Stats     Stats
		StatePath string
	}
	pageChannel struct {
		ID      string
		Error   string
		Threads []pageThread
	}
	pageThread struct {
		Root    pageMessage
		Replies []pageMessage
	}
	pageMessage struct {
		Time   string
		Edited bool
		// Blocks are shown when the message has any; Text otherwise.
		Blocks []pageBlock
		Text   rich
	}
	pageBlock struct {
		// Kind is header, section, context, actions, divider or other (then
		// Type says which).
		Kind    string
		Type    string
		Text    rich
		Fields  []rich
		Buttons []pageButton
	}
	pageButton struct {
		Text string
		// URL is an http(s) link, or "" for a button that is not a link.
		URL string
	}
	// rich is text in lines of spans, as mrkdwn renders it.
	rich [][]span
	span struct {
		Text string
		Bold bool
	}
)

// servePage renders the read-only page of the state.
func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, newPageView(s.State())); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func newPageView(st State) pageView {
	v := pageView{Stats: st.Stats, StatePath: StatePath}
	for _, id := range slices.Sorted(maps.Keys(st.Channels)) {
		cs := st.Channels[id]
		ch := pageChannel{ID: id, Error: cs.Error}
		for _, th := range cs.Messages {
			t := pageThread{Root: newPageMessage(th.Message)}
			for _, r := range th.Replies {
				t.Replies = append(t.Replies, newPageMessage(r))
			}
			ch.Threads = append(ch.Threads, t)
		}
		v.Channels = append(v.Channels, ch)
	}
	return v
}

func newPageMessage(m Message) pageMessage {
	pm := pageMessage{Time: clock(m.TS), Edited: m.EditedTS != "", Blocks: pageBlocks(m.Blocks)}
	if len(pm.Blocks) == 0 {
		pm.Text = mrkdwn(m.Text)
	}
	return pm
}

// clock is a ts as a time of day in UTC.
func clock(ts string) string {
	micros, err := parseTS(ts)
	if err != nil {
		return ""
	}
	return time.UnixMicro(micros).UTC().Format("15:04:05") + " UTC"
}

// Block Kit, as far as the page reads it.
type (
	kitText struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	kitElement struct {
		Type string   `json:"type"`
		Text *kitText `json:"text"`
		URL  string   `json:"url"`
	}
	kitBlock struct {
		Type     string          `json:"type"`
		Text     *kitText        `json:"text"`
		Fields   []kitText       `json:"fields"`
		Elements json.RawMessage `json:"elements"`
	}
)

func pageBlocks(raw json.RawMessage) []pageBlock {
	var blocks []kitBlock
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil {
		return nil
	}
	var out []pageBlock
	for _, b := range blocks {
		pb := pageBlock{Kind: b.Type, Type: b.Type}
		switch b.Type {
		case "header", "section":
			pb.Text = b.Text.rich()
			for _, f := range b.Fields {
				pb.Fields = append(pb.Fields, f.rich())
			}
		case "context":
			var els []kitText
			_ = json.Unmarshal(b.Elements, &els)
			for _, e := range els {
				pb.Fields = append(pb.Fields, e.rich())
			}
		case "actions":
			var els []kitElement
			_ = json.Unmarshal(b.Elements, &els)
			for _, e := range els {
				if e.Type != "button" || e.Text == nil {
					continue
				}
				pb.Buttons = append(pb.Buttons, pageButton{Text: e.Text.Text, URL: webURL(e.URL)})
			}
		case "divider":
		default:
			pb.Kind = "other"
		}
		out = append(out, pb)
	}
	return out
}

func (t *kitText) rich() rich {
	switch {
	case t == nil:
		return nil
	case t.Type == "mrkdwn":
		return mrkdwn(t.Text)
	}
	var r rich
	for line := range strings.SplitSeq(t.Text, "\n") {
		r = append(r, []span{{Text: line}})
	}
	return r
}

// webURL is u when it is an absolute http(s) URL, else "".
func webURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// slackEntities are the three escapes of Slack's mrkdwn.
var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// emoji are the shortcodes hiresync's replies use; others stay as text.
var emoji = map[string]string{
	"inbox_tray":                "📥",
	"memo":                      "📝",
	"white_check_mark":          "✅",
	"x":                         "❌",
	"calendar":                  "📅",
	"no_entry_sign":             "🚫",
	"speech_balloon":            "💬",
	"arrow_right":               "➡️",
	"tada":                      "🎉",
	"no_entry":                  "⛔",
	"leftwards_arrow_with_hook": "↩️",
	"hourglass_flowing_sand":    "⏳",
}

// userMention is a mention as Slack's mrkdwn writes it, <@U0LEAD>.
var userMention = regexp.MustCompile(`<@([UW][A-Z0-9]+)>`)

var shortcode = regexp.MustCompile(`:[a-z0-9_+\-]+:`)

// mrkdwn renders Slack mrkdwn minimally: lines, *bold*, user mentions
// (as @U0LEAD, the way Slack shows a member), Slack's entities and a few
// emoji. Everything else is text, which the template escapes.
func mrkdwn(s string) rich {
	s = userMention.ReplaceAllString(s, "@$1")
	s = slackEntities.Replace(s)
	s = shortcode.ReplaceAllStringFunc(s, func(c string) string {
		if e, ok := emoji[strings.Trim(c, ":")]; ok {
			return e
		}
		return c
	})
	var r rich
	for line := range strings.SplitSeq(s, "\n") {
		r = append(r, boldSpans(line))
	}
	return r
}

// boldSpans splits a line into plain and *bold* spans, as Slack reads them:
// the opening star at the start or after a non-word character, the closing
// star before the end or a non-word character, no space just inside.
func boldSpans(line string) []span {
	var out []span
	plain := 0
	for i := 0; i < len(line); i++ {
		if line[i] != '*' || !boundaryBefore(line, i) {
			continue
		}
		j := strings.IndexByte(line[i+1:], '*')
		if j <= 0 {
			continue
		}
		j += i + 1
		inner := line[i+1 : j]
		first, _ := utf8.DecodeRuneInString(inner)
		last, _ := utf8.DecodeLastRuneInString(inner)
		if unicode.IsSpace(first) || unicode.IsSpace(last) || !boundaryAfter(line, j) {
			continue
		}
		if plain < i {
			out = append(out, span{Text: line[plain:i]})
		}
		out = append(out, span{Text: inner, Bold: true})
		plain = j + 1
		i = j
	}
	if plain < len(line) || len(out) == 0 {
		out = append(out, span{Text: line[plain:]})
	}
	return out
}

func boundaryBefore(s string, i int) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return !isWord(r)
}

func boundaryAfter(s string, j int) bool {
	if j+1 >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[j+1:])
	return !isWord(r)
}

func isWord(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// count is a number with its noun, "1 reply" or "3 replies".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
