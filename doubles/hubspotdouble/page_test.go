package hubspotdouble_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/doubles/hubspotdouble"
)

// getPage serves d's handler with httptest and returns the page's HTML.
func getPage(t *testing.T, d *hubspotdouble.Double) string {
	t.Helper()
	srv := httptest.NewServer(d.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + hubspotdouble.PagePath)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestPageEmpty(t *testing.T) {
	page := getPage(t, hubspotdouble.New(hubspotdouble.Options{}))
	assert.Contains(t, page, "no contacts yet")
	assert.Contains(t, page, `<meta http-equiv="refresh" content="5">`)
	assert.Contains(t, page, `href="/_double/state"`)
	assert.NotContains(t, page, "<table>")
}

func TestPageContacts(t *testing.T) {
	d := hubspotdouble.New(hubspotdouble.Options{})
	d.AddContact("ada.okafor@example.com", map[string]string{
		"firstname":                "Ada",
		"lastname":                 "Okafor",
		"lifecyclestage":           "customer",
		"phone":                    "+44 20 7946 0958",
		"clarityhire_candidate_id": "cand_7Q2KXW",
		"clarityhire_stage":        "hired",
		"clarityhire_profile_url":  "https://app.clarityhire.com/candidates/cand_7Q2KXW",
	})
	d.AddContact("grace@example.com", map[string]string{"clarityhire_talent_pool": "rejected_qualified"})

	page := getPage(t, d)
	assert.NotContains(t, page, "no contacts yet")
	assert.Contains(t, page, "<th>email</th><th>name</th><th>lifecyclestage</th><th>clarityhire_<wbr>candidate_id</th><th>clarityhire_<wbr>profile_url</th><th>clarityhire_<wbr>stage</th><th>clarityhire_<wbr>talent_pool</th>")
	assert.Contains(t, page, `<td class="key">ada.okafor@example.com</td><td class="key">Ada Okafor</td><td>customer</td><td>cand_7Q2KXW</td>`)
	assert.Contains(t, page, `<a href="https://app.clarityhire.com/candidates/cand_7Q2KXW">https://app.clarityhire.com/candidates/cand_7Q2KXW</a>`)
	assert.Contains(t, page, "<td>hired</td>")
	assert.Contains(t, page, "<td>rejected_qualified</td>")
	assert.Less(t, strings.Index(page, "ada.okafor@example.com"), strings.Index(page, "grace@example.com"), "oldest contact first")
	assert.NotContains(t, page, "7946", "only email, name, lifecycle stage and clarityhire_* are shown")
}

func TestPageEscapesHostileText(t *testing.T) {
	d := hubspotdouble.New(hubspotdouble.Options{})
	d.AddContact("x@example.com", map[string]string{
		"firstname":               `<script>alert("name")</script>`,
		"clarityhire_stage":       `<img src=x onerror=alert(1)>`,
		"clarityhire_profile_url": "javascript:alert(1)",
	})
	page := getPage(t, d)
	assert.NotContains(t, page, "<script>")
	assert.NotContains(t, page, "<img")
	assert.NotContains(t, page, `href="javascript:`)
	assert.Contains(t, page, "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;")
	assert.Contains(t, page, "<td>&lt;img src=x onerror=alert(1)&gt;</td>")
	assert.Contains(t, page, "<td>javascript:alert(1)</td>", "a value that is not an http(s) URL is no link")
}
