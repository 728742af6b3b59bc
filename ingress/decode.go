package ingress

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hiresync/hiresync"
)

// maxDepth is how deeply decodeEvent follows nested values it skips; deeper
// ones are left to encoding/json (which allows 10000).
const maxDepth = 64

// decodeEvent is ParseEvent's fast road: it reads body into e in one pass,
// without reflection, and skips what hiresync does not keep at the cost of
// checking it is valid JSON. It knows only the shapes ClarityHire sends and
// reports false at anything else: a value of another kind than its field's,
// a number or time that does not parse, a key that encoding/json could match
// to a field regardless of case, a repeated list, deep nesting, bad syntax.
// ParseEvent then decodes with encoding/json, which has the last word. So
// what decodeEvent accepts it must decode exactly as encoding/json would;
// what it declines costs time only.
func decodeEvent(body []byte, e *hiresync.Event) bool {
	d := decoder{b: body}
	if !d.event(e) {
		return false
	}
	d.space()
	return d.i == len(d.b)
}

// decoder reads JSON from b, starting at i.
type decoder struct {
	b []byte
	i int
}

func (d *decoder) event(e *hiresync.Event) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&e.ID)
		case "type":
			return d.string(&e.Type)
		case "created_at":
			return d.time(&e.CreatedAt)
		case "organization_id":
			return d.string(&e.OrganizationID)
		case "data":
			return d.null() || d.data(&e.Data)
		case "received_at":
			return d.time(&e.ReceivedAt)
		}
		return d.unknown(key)
	})
}

func (d *decoder) data(data *hiresync.EventData) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "candidate":
			return d.null() || d.candidate(&data.Candidate)
		case "application":
			return pointer(d, &data.Application, d.application)
		case "test":
			return pointer(d, &data.Test, d.test)
		case "interview":
			return pointer(d, &data.Interview, d.interview)
		case "stage_change":
			return pointer(d, &data.StageChange, d.stageChange)
		case "hire":
			return pointer(d, &data.Hire, d.hire)
		case "rejection":
			return pointer(d, &data.Rejection, d.rejection)
		case "withdrawal":
			return pointer(d, &data.Withdrawal, d.withdrawal)
		}
		return d.unknown(key)
	})
}

// pointer decodes an object into *p as encoding/json does: null sets it to
// nil, and an object is decoded into the value *p already points to, if any.
func pointer[T any](d *decoder, p **T, decode func(*T) bool) bool {
	if d.null() {
		*p = nil
		return true
	}
	if *p == nil {
		*p = new(T)
	}
	return decode(*p)
}

func (d *decoder) candidate(c *hiresync.Candidate) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&c.ID)
		case "first_name":
			return d.string(&c.FirstName)
		case "last_name":
			return d.string(&c.LastName)
		case "email":
			return d.string(&c.Email)
		case "profile_url":
			return d.string(&c.ProfileURL)
		}
		return d.unknown(key)
	})
}

func (d *decoder) application(a *hiresync.Application) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&a.ID)
		case "job":
			return d.null() || d.job(&a.Job)
		case "source":
			return d.string(&a.Source)
		case "applied_at":
			return d.time(&a.AppliedAt)
		case "stage":
			return d.string(&a.Stage)
		}
		return d.unknown(key)
	})
}

func (d *decoder) job(j *hiresync.Job) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&j.ID)
		case "title":
			return d.string(&j.Title)
		case "department":
			return d.string(&j.Department)
		}
		return d.unknown(key)
	})
}

func (d *decoder) test(t *hiresync.Test) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&t.ID)
		case "name":
			return d.string(&t.Name)
		case "score":
			return d.float(&t.Score)
		case "max_score":
			return d.float(&t.MaxScore)
		case "pass_mark":
			return d.float(&t.PassMark)
		case "completed_at":
			return d.time(&t.CompletedAt)
		}
		return d.unknown(key)
	})
}

func (d *decoder) interview(in *hiresync.Interview) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			return d.string(&in.ID)
		case "kind":
			return d.string(&in.Kind)
		case "scheduled_at":
			return d.time(&in.ScheduledAt)
		case "duration_minutes":
			return d.int(&in.DurationMinutes)
		case "interviewers":
			return d.interviewers(&in.Interviewers)
		case "cancel_reason":
			return d.string(&in.CancelReason)
		case "outcome":
			return d.string(&in.Outcome)
		}
		return d.unknown(key)
	})
}

// interviewers decodes a list as encoding/json does: null sets it to nil and
// [] to an empty list. A second list for the same field is declined, as
// encoding/json would decode it into the elements of the first.
func (d *decoder) interviewers(list *[]hiresync.Interviewer) bool {
	if d.null() {
		*list = nil
		return true
	}
	if *list != nil {
		return false
	}
	*list = []hiresync.Interviewer{}
	return d.array(func() bool {
		*list = append(*list, hiresync.Interviewer{})
		in := &(*list)[len(*list)-1]
		return d.null() || d.object(func(key []byte) bool {
			if string(key) == "name" {
				return d.string(&in.Name)
			}
			return d.unknown(key)
		})
	})
}

func (d *decoder) stageChange(s *hiresync.StageChange) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "from":
			return d.string(&s.From)
		case "to":
			return d.string(&s.To)
		}
		return d.unknown(key)
	})
}

func (d *decoder) hire(h *hiresync.Hire) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "start_date":
			return d.string(&h.StartDate)
		case "title":
			return d.string(&h.Title)
		}
		return d.unknown(key)
	})
}

func (d *decoder) rejection(r *hiresync.Rejection) bool {
	return d.object(func(key []byte) bool {
		switch string(key) {
		case "reason":
			return d.string(&r.Reason)
		case "qualified":
			return d.bool(&r.Qualified)
		}
		return d.unknown(key)
	})
}

func (d *decoder) withdrawal(w *hiresync.Withdrawal) bool {
	return d.object(func(key []byte) bool {
		if string(key) == "reason" {
			return d.string(&w.Reason)
		}
		return d.unknown(key)
	})
}

// unknown skips the value of a key no field has. encoding/json matches keys
// to fields regardless of case, so a key with upper case letters, escapes or
// non-ASCII characters is declined: it might name a field.
func (d *decoder) unknown(key []byte) bool {
	for _, c := range key {
		if 'A' <= c && c <= 'Z' || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return d.skip(0)
}

// skip reads any value at the given nesting depth and drops it.
func (d *decoder) skip(depth int) bool {
	d.space()
	if d.i == len(d.b) {
		return false
	}
	switch d.b[d.i] {
	case '"':
		_, ok := d.quoted()
		return ok
	case '{':
		return depth < maxDepth && d.object(func([]byte) bool { return d.skip(depth + 1) })
	case '[':
		return depth < maxDepth && d.array(func() bool { return d.skip(depth + 1) })
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.null()
	}
	_, ok := d.number()
	return ok
}

// object reads an object, calling value for each key to read its value.
func (d *decoder) object(value func(key []byte) bool) bool {
	if !d.next('{') {
		return false
	}
	if d.next('}') {
		return true
	}
	for {
		key, ok := d.quoted()
		if !ok || !d.next(':') || !value(key) {
			return false
		}
		if d.next('}') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// array reads an array, calling elem to read each element.
func (d *decoder) array(elem func() bool) bool {
	if !d.next('[') {
		return false
	}
	if d.next(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if d.next(']') {
			return true
		}
		if !d.next(',') {
			return false
		}
	}
}

// string decodes a string; null leaves s as it is, as with encoding/json.
func (d *decoder) string(s *string) bool {
	if d.null() {
		return true
	}
	d.space()
	start := d.i
	raw, ok := d.quoted()
	switch {
	case !ok:
		return false
	case bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw):
		*s = string(raw)
		return true
	}
	// Escapes or invalid UTF-8: encoding/json undoes or replaces them.
	var v string
	if json.Unmarshal(d.b[start:d.i], &v) != nil {
		return false
	}
	*s = v
	return true
}

// time decodes a time with its UnmarshalJSON, as encoding/json does.
func (d *decoder) time(t *time.Time) bool {
	d.space()
	start := d.i
	if d.null() {
		return true
	}
	_, ok := d.quoted()
	return ok && t.UnmarshalJSON(d.b[start:d.i]) == nil
}

func (d *decoder) float(f *float64) bool {
	if d.null() {
		return true
	}
	n, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return false
	}
	*f = v
	return true
}

func (d *decoder) int(i *int) bool {
	if d.null() {
		return true
	}
	n, ok := d.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(n), 10, 0)
	if err != nil {
		return false
	}
	*i = int(v)
	return true
}

func (d *decoder) bool(b *bool) bool {
	switch {
	case d.literal("true"):
		*b = true
	case d.literal("false"):
		*b = false
	default:
		return d.null()
	}
	return true
}

// quoted reads a string and returns what is between its quotes, escapes
// checked but not undone.
func (d *decoder) quoted() ([]byte, bool) {
	if !d.next('"') {
		return nil, false
	}
	start := d.i
	for {
		// Find the next quote, then check the text up to it.
		end := bytes.IndexByte(d.b[d.i:], '"')
		if end < 0 {
			return nil, false
		}
		text := d.b[d.i : d.i+end]
		n := 0
		for n < len(text) && text[n] >= 0x20 && text[n] != '\\' {
			n++
		}
		d.i += n
		switch {
		case n == len(text):
			d.i++
			return d.b[start : d.i-1], true
		case text[n] < 0x20 || !d.escape():
			return nil, false
		}
	}
}

// escape reads a backslash escape: \" \\ \/ \b \f \n \r \t or \uXXXX.
func (d *decoder) escape() bool {
	rest := d.b[d.i+1:]
	switch {
	case len(rest) > 0 && strings.IndexByte(`"\/bfnrt`, rest[0]) >= 0:
		d.i += 2
		return true
	case len(rest) > 4 && rest[0] == 'u':
		for _, c := range rest[1:5] {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
		d.i += 6
		return true
	}
	return false
}

// number reads a number as JSON spells it and returns its text.
func (d *decoder) number() ([]byte, bool) {
	d.space()
	start := d.i
	d.accept('-')
	if !d.accept('0') && d.digits() == 0 {
		return nil, false
	}
	if d.accept('.') && d.digits() == 0 {
		return nil, false
	}
	if d.accept('e') || d.accept('E') {
		_ = d.accept('+') || d.accept('-')
		if d.digits() == 0 {
			return nil, false
		}
	}
	return d.b[start:d.i], true
}

func (d *decoder) digits() int {
	start := d.i
	for d.i < len(d.b) && '0' <= d.b[d.i] && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

// null reads null if it is the next value.
func (d *decoder) null() bool { return d.literal("null") }

// literal reads s if it comes next, after any white space.
func (d *decoder) literal(s string) bool {
	d.space()
	end := d.i + len(s)
	if end > len(d.b) || string(d.b[d.i:end]) != s {
		return false
	}
	d.i = end
	return true
}

// next reads the byte c if it comes next, after any white space.
func (d *decoder) next(c byte) bool {
	d.space()
	return d.accept(c)
}

// accept reads the byte c if it comes next.
func (d *decoder) accept(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *decoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}
