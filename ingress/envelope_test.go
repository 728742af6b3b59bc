package ingress_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/ingress"
)

// TestParseEventSamples parses every sample ClarityHire publishes: each is
// accepted whole, and the phone number each carries is not kept.
func TestParseEventSamples(t *testing.T) {
	files, err := filepath.Glob("../doubles/clarityhire/events/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(hiresync.EventTypes))
	for _, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Contains(t, string(b), `"phone"`, "%s: the sample no longer has a phone number to drop", p)
		e, err := ingress.ParseEvent(b)
		require.NoError(t, err, p)
		require.Equal(t, strings.TrimSuffix(filepath.Base(p), ".json"), e.Type)
		require.Equal(t, "cand_7Q2KXW", e.Data.Candidate.ID)
		require.Equal(t, "ada.okafor@example.com", e.Data.Candidate.Email)
		kept, err := json.Marshal(e)
		require.NoError(t, err)
		require.NotContains(t, string(kept), "7946", "%s: the phone number was kept", p)
	}
}

// TestParseEventKeepsEveryField sets every field of an Event, so that a
// field added to hiresync.go that does not come back from its own JSON (the
// form it travels in, to Temporal too) fails here.
func TestParseEventKeepsEveryField(t *testing.T) {
	var e hiresync.Event
	n := 0
	fill(t, reflect.ValueOf(&e).Elem(), "", &n)
	e.ID, e.Type, e.Data.Candidate.ID = "evt_1", "test.passed", "cand_1"
	b, err := json.Marshal(e)
	require.NoError(t, err)
	got, err := ingress.ParseEvent(b)
	require.NoError(t, err)
	require.Equal(t, e, got)
}

// fill sets v and everything in it to values that are not zero and differ
// from one field to the next; n counts the fields set.
func fill(t *testing.T, v reflect.Value, path string, n *int) {
	*n++
	if _, ok := v.Interface().(time.Time); ok {
		v.Set(reflect.ValueOf(time.Date(2026, 11, 2, 9, 14, 0, *n, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(path)
	case reflect.Int:
		v.SetInt(int64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path, n)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		fill(t, v.Index(0), path+"[0]", n)
		fill(t, v.Index(1), path+"[1]", n)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name, n)
		}
	default:
		t.Fatalf("%s: fill does not know %s", path, v.Type())
	}
}

// TestParseEventAnswers holds ParseEvent to the answers the sender sees in
// a 400's error: "" means accepted.
func TestParseEventAnswers(t *testing.T) {
	const envelope = `{"id":"evt_1","type":"test.passed","data":{"candidate":{"id":"c1"}%s}%s}`
	tests := []struct {
		name, data, top, want string
	}{
		{"minimal", ``, ``, ""},
		{"unknown fields", `,"tag":{"a":[1,true,null]}`, `,"more":"x"`, ""},
		{"unknown type", ``, `,"type":"candidate.tagged"`, ""},
		{"null fields", `,"application":null,"test":{"name":null,"score":null,"completed_at":null}`, `,"created_at":null`, ""},
		{"escapes and UTF-8", `,"hire":{"title":"Jos\u00e9 \"J\" Zoë 日本"}`, ``, ""},
		{"fraction into int", `,"interview":{"duration_minutes":60.5}`, ``, "field data.interview.duration_minutes has the wrong type: number"},
		{"string for bool", `,"rejection":{"qualified":"true"}`, ``, "field data.rejection.qualified has the wrong type: string"},
		{"object for string", `,"hire":{"title":{}}`, ``, "field data.hire.title has the wrong type: object"},
		{"bad time", ``, `,"created_at":"2026-13-01T00:00:00Z"`, "malformed JSON"},
		{"trailing comma", `,"x":[1,]`, ``, "malformed JSON"},
		{"deep nesting", `,"x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000), ``, "malformed JSON"},
		{"empty id", ``, `,"id":""`, "missing id"},
		{"id with a slash", ``, `,"id":"evt/1"`, "id has a character other than"},
		{"long id", ``, `,"id":"` + strings.Repeat("e", 129) + `"`, "id is longer than 128 characters"},
		{"id of 128", ``, `,"id":"` + strings.Repeat("e", 128) + `"`, ""},
		{"empty type", ``, `,"type":""`, "missing type"},
		{"type with a space", ``, `,"type":"test passed"`, "type is not a valid event type"},
		{"candidate id injection", `,"candidate":{"id":"c1/../x y"}`, ``, "data.candidate.id has a character other than"},
		{"application id with a space", `,"application":{"id":"app 1","job":{"id":"job_BE42"}}`, ``, "data.application.id has a character other than"},
		{"job id with mrkdwn", `,"application":{"id":"app_1","job":{"id":"<!here>"}}`, ``, "data.application.job.id has a character other than"},
		{"long job id", `,"application":{"job":{"id":"` + strings.Repeat("j", 129) + `"}}`, ``, "data.application.job.id is longer than 128"},
		{"application without ids", `,"application":{"source":"referral"}`, ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(strings.Replace(strings.Replace(envelope, "%s", tt.data, 1), "%s", tt.top, 1))
			_, err := ingress.ParseEvent(b)
			if tt.want == "" {
				require.NoError(t, err, "%s", b)
				return
			}
			require.ErrorContains(t, err, tt.want)
		})
	}
	for _, b := range []string{``, `[]`, `"x"`, `{`, `{}x`, `{} {}`, "\ufeff{}"} {
		_, err := ingress.ParseEvent([]byte(b))
		require.ErrorContains(t, err, "malformed JSON", "%q", b)
	}
	_, err := ingress.ParseEvent([]byte(`null`))
	require.ErrorContains(t, err, "missing id")
	_, err = ingress.ParseEvent([]byte(`{"id":"evt_1","type":"test.passed","data":null}`))
	require.ErrorContains(t, err, "missing data.candidate.id")
}

func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob("../doubles/clarityhire/events/*.json")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id":"e","type":"t","data":{"candidate":{"id":"c"}}}`))
	f.Add([]byte(`{"id":"e","type":"t","data":{"candidate":{"id":"c/../x"}}}`))
	f.Add([]byte(`[[[[[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ingress.ParseEvent(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("refused %q without saying why", b)
			}
			return
		}
		if e.ID == "" || e.Type == "" || e.Data.Candidate.ID == "" {
			t.Fatalf("accepted an event without id, type or candidate id: %+v", e)
		}
		for _, c := range e.Data.Candidate.ID {
			if c < 0x21 || c > 0x7e || c == '/' || c == ' ' {
				t.Fatalf("accepted candidate id %q", e.Data.Candidate.ID)
			}
		}
		// The event travels on as JSON (the signal's payload): what was
		// accepted must come back the same from its own encoding.
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("accepted %q, which does not encode: %v", b, err)
		}
		e2, err := ingress.ParseEvent(again)
		if err != nil || !reflect.DeepEqual(e, e2) {
			t.Fatalf("accepted %q, whose encoding %s comes back as %+v, %v", b, again, e2, err)
		}
	})
}
