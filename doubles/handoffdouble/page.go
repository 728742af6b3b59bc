package handoffdouble

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"slices"
)

// pageTemplate shows the hand-offs received, newest first, and the
// deliveries behind them. html/template escapes every value.
var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Hand-off receiver double · hiresync</title>
<style>
body { margin: 0; background: #f4f4f5; color: #1d1c1d; font: 15px/1.45 system-ui, sans-serif; }
main { max-width: 900px; margin: 0 auto; padding: 16px 20px 40px; }
.note { color: #616061; font-size: 13px; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 8px 0 24px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #e0e0e0; font-size: 14px; }
code { font-size: 13px; }
.bad { color: #b00020; }
</style>
</head>
<body>
<main>
<h1>Hand-off receiver double</h1>
<p class="note">What IT and finance received from hiresync: one hand-off per webhook-id, each verified with the Standard Webhooks library. The page refreshes every 5 seconds; JSON at <a href="{{.StatePath}}">{{.StatePath}}</a>.</p>
<h2>{{len .Handoffs}} hand-offs</h2>
<table>
<tr><th>Candidate</th><th>Job</th><th>Start date</th><th>webhook-id</th><th>Deliveries</th><th>Received</th></tr>
{{- range .Handoffs}}
<tr><td>{{.Name}}<br><span class="note">{{.Email}}</span></td><td>{{.Job}}</td><td>{{.StartDate}}</td><td><code>{{.WebhookID}}</code></td><td>{{.Deliveries}}</td><td>{{.ReceivedAt}}</td></tr>
{{- else}}
<tr><td colspan="6" class="note">none yet</td></tr>
{{- end}}
</table>
<h2>{{len .Deliveries}} deliveries</h2>
<table>
<tr><th>Received</th><th>webhook-id</th><th>Status</th><th>Verified</th><th>Note</th></tr>
{{- range .Deliveries}}
<tr><td>{{.ReceivedAt.Format "15:04:05.000"}}</td><td><code>{{.WebhookID}}</code></td><td>{{if .Status}}{{.Status}}{{else}}no answer{{end}}</td><td>{{if .Verified}}yes{{else}}<span class="bad">no</span>{{end}}</td><td>{{if .Duplicate}}duplicate{{end}} {{.Fault}} {{.Error}}</td></tr>
{{- end}}
</table>
</main>
</body>
</html>
`))

type (
	pageView struct {
		StatePath  string
		Handoffs   []pageHandoff
		Deliveries []Delivery
	}
	pageHandoff struct {
		Name, Email, Job, StartDate, WebhookID, ReceivedAt string
		Deliveries                                         int
	}
)

func (d *Double) servePage(w http.ResponseWriter, _ *http.Request) {
	st := d.State()
	v := pageView{StatePath: StatePath, Deliveries: st.Deliveries}
	slices.Reverse(v.Deliveries)
	for _, h := range slices.Backward(st.Handoffs) {
		var b struct {
			Candidate struct{ Name, Email string }
			Job       struct{ ID, Title string }
			Hire      struct {
				StartDate string `json:"start_date"`
			}
		}
		_ = json.Unmarshal(h.Body, &b)
		job := b.Job.Title
		if job == "" {
			job = b.Job.ID
		}
		v.Handoffs = append(v.Handoffs, pageHandoff{
			Name: b.Candidate.Name, Email: b.Candidate.Email, Job: job, StartDate: b.Hire.StartDate,
			WebhookID: h.WebhookID, Deliveries: h.Deliveries, ReceivedAt: h.ReceivedAt.Format("2006-01-02 15:04:05 UTC"),
		})
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
