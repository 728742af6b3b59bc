package hubspotdouble

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// PagePath is where the double serves a read-only HTML page of its
// contacts: email, name, lifecycle stage and the clarityhire_* properties.
// It refreshes itself every few seconds.
const PagePath = "/"

// pagePropertyPrefix picks the properties the page shows as columns.
const pagePropertyPrefix = "clarityhire_"

//go:embed page.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

// The page's view of the state. Every string in it is untrusted text that
// html/template escapes; nothing is marked safe.
type (
	pageView struct {
		Columns   []pageColumn
		Rows      []pageRow
		Requests  int
		Counters  Counters
		StatePath string
	}
	// pageColumn is a clarityhire_* property, split after its prefix so
	// that a narrow header can wrap there.
	pageColumn struct{ Prefix, Rest string }
	pageRow    struct {
		Email, Name, Lifecycle string
		Cells                  []pageCell
	}
	pageCell struct {
		Text string
		// URL is set when Text is an http(s) URL, to show it as a link.
		URL string
	}
)

// servePage renders the read-only page of the contacts.
func (d *Double) servePage(w http.ResponseWriter, _ *http.Request) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, newPageView(d.State())); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func newPageView(st State) pageView {
	v := pageView{Counters: st.Counters, StatePath: "/_double/state"}
	for _, n := range st.Counters.Calls {
		v.Requests += n
	}
	// The clarityhire_* columns: the properties created through the API in
	// their order, then any other such property a contact holds.
	var names, extra []string
	for _, p := range st.Properties {
		if strings.HasPrefix(p.Name, pagePropertyPrefix) {
			names = append(names, p.Name)
		}
	}
	for _, c := range st.Contacts {
		for name := range c.Properties {
			if strings.HasPrefix(name, pagePropertyPrefix) && !slices.Contains(names, name) && !slices.Contains(extra, name) {
				extra = append(extra, name)
			}
		}
	}
	slices.Sort(extra)
	names = append(names, extra...)
	for _, n := range names {
		v.Columns = append(v.Columns, pageColumn{Prefix: pagePropertyPrefix, Rest: strings.TrimPrefix(n, pagePropertyPrefix)})
	}

	for _, c := range st.Contacts {
		p := c.Properties
		row := pageRow{
			Email:     p["email"],
			Name:      strings.TrimSpace(p["firstname"] + " " + p["lastname"]),
			Lifecycle: p["lifecyclestage"],
		}
		for _, col := range names {
			row.Cells = append(row.Cells, pageCell{Text: p[col], URL: webURL(p[col])})
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// webURL is s when it is an absolute http(s) URL, else "".
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}
