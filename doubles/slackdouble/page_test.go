package slackdouble_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// getPage serves d's handler with httptest and returns the page's HTML.
func getPage(t *testing.T, d *slackdouble.Server) string {
	t.Helper()
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + slackdouble.PagePath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestPageEmpty(t *testing.T) {
	page := getPage(t, slackdouble.New())
	assert.Contains(t, page, "no messages yet")
	assert.Contains(t, page, `<meta http-equiv="refresh" content="5">`)
	assert.Contains(t, page, `href="/_double/state"`)
}

func TestPageMissingChannelWithoutMessages(t *testing.T) {
	page := getPage(t, slackdouble.New(slackdouble.WithMissingChannels("C0GONE")))
	assert.Contains(t, page, "#C0GONE")
	assert.Contains(t, page, "channel_not_found")
	assert.Contains(t, page, "no messages yet")
}

func TestPageRootWithButtonAndThread(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	button := slack.NewButtonBlockElement("open_profile", "", slack.NewTextBlockObject(slack.PlainTextType, "Open in ClarityHire", false, false))
	button.URL = "https://app.clarityhire.com/candidates/cand_1"
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Ada Okafor", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Senior Backend Engineer*", false, true), []*slack.TextBlockObject{
			slack.NewTextBlockObject(slack.MarkdownType, "*Source*\nLinkedIn", false, true),
			slack.NewTextBlockObject(slack.MarkdownType, "*Status*\nApplied", false, true),
		}, nil),
		slack.NewActionBlock("profile", button),
	}
	root := post(t, c, "C0BACKEND", "Ada Okafor · Senior Backend Engineer · Applied", slack.MsgOptionBlocks(blocks...))
	post(t, c, "C0BACKEND", ":inbox_tray: Application submitted for *Senior Backend Engineer* via LinkedIn", slack.MsgOptionTS(root))
	post(t, c, "C0BACKEND", ":tada: Hired as *Senior Backend Engineer*", slack.MsgOptionTS(root))
	_, _, _, err := c.UpdateMessage("C0BACKEND", root, slack.MsgOptionText("updated", false), slack.MsgOptionBlocks(blocks...))
	require.NoError(t, err)

	page := getPage(t, d)
	assert.Contains(t, page, "#C0BACKEND")
	assert.Contains(t, page, "<h3>Ada Okafor</h3>")
	assert.Contains(t, page, "<strong>Senior Backend Engineer</strong>")
	assert.Contains(t, page, "<strong>Source</strong><br>LinkedIn")
	assert.Contains(t, page, "<strong>Status</strong><br>Applied")
	assert.Contains(t, page, `<a class="button" href="https://app.clarityhire.com/candidates/cand_1">Open in ClarityHire</a>`)
	assert.Contains(t, page, "(edited)")
	assert.Contains(t, page, "2 replies")
	assert.NotContains(t, page, "no messages yet")
	submitted := strings.Index(page, "📥 Application submitted for <strong>Senior Backend Engineer</strong> via LinkedIn")
	hired := strings.Index(page, "🎉 Hired as <strong>Senior Backend Engineer</strong>")
	require.Positive(t, submitted)
	require.Positive(t, hired)
	assert.Less(t, submitted, hired, "replies oldest first")
	assert.NotContains(t, page, root, "no raw ts on the page")
}

func TestPageEscapesHostileText(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	button := slack.NewButtonBlockElement("x", "", slack.NewTextBlockObject(slack.PlainTextType, `<img src=x onerror=alert(1)>`, false, false))
	button.URL = "javascript:alert(1)"
	root := post(t, c, "C1", "root", slack.MsgOptionBlocks(
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, `<script>alert("header")</script>`, false, false)),
		slack.NewActionBlock("a", button),
	))
	post(t, c, "C1", `<script>alert(1)</script> *<b>bold</b>* &lt;i&gt; "quoted" & 'single'`, slack.MsgOptionTS(root))

	page := getPage(t, d)
	assert.NotContains(t, page, "<script>")
	assert.NotContains(t, page, "<img")
	assert.NotContains(t, page, "<b>")
	assert.NotContains(t, page, "<i>")
	assert.NotContains(t, page, "javascript:")
	assert.Contains(t, page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;header&#34;)&lt;/script&gt;")
	assert.Contains(t, page, "<strong>&lt;b&gt;bold&lt;/b&gt;</strong>")
	assert.Contains(t, page, "&lt;i&gt;", "Slack's own entities are decoded, then escaped again")
	assert.Contains(t, page, `<span class="button">&lt;img src=x onerror=alert(1)&gt;</span>`, "a button without an http(s) URL is no link")
}

func TestPageMrkdwn(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	tests := []struct{ text, html string }{
		{"*bold* start", "<strong>bold</strong> start"},
		{"a *b c* d", "a <strong>b c</strong> d"},
		{"2*3*4 stays", "2*3*4 stays"},
		{"* not bold *", "* not bold *"},
		{"**", "**"},
		{"line one\n*two*", "line one<br><strong>two</strong>"},
		{":unknown_code: kept", ":unknown_code: kept"},
		{":white_check_mark: done", "✅ done"},
	}
	for _, tt := range tests {
		post(t, c, "C1", tt.text)
	}
	page := getPage(t, d)
	for _, tt := range tests {
		assert.Contains(t, page, `<div class="text">`+tt.html+`</div>`, tt.text)
	}
}

func TestPageShowsMentions(t *testing.T) {
	d := slackdouble.Start(t)
	c := client(d)
	root := post(t, c, "C0BACKEND", "root")
	post(t, c, "C0BACKEND", ":memo: Test completed, score 86/100 (pass mark 70), passed · <@U0LEAD>", slack.MsgOptionTS(root))
	page := getPage(t, d)
	assert.Contains(t, page, "passed · @U0LEAD", "a mention reads as Slack shows it")
	assert.NotContains(t, page, "&lt;@U0LEAD&gt;")
}
