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

// requireAsEncodingJSON fails unless b decodes with ingress.DecodeEvent
// exactly as with encoding/json. It reports whether DecodeEvent took b.
func requireAsEncodingJSON(t testing.TB, b []byte) bool {
	t.Helper()
	var got hiresync.Event
	if !ingress.DecodeEvent(b, &got) {
		return false
	}
	var want hiresync.Event
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("DecodeEvent took %q, which encoding/json refuses: %v", b, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeEvent(%q)\n got %+v\nwant %+v", b, got, want)
	}
	return true
}

func TestDecodeEventSamples(t *testing.T) {
	files, err := filepath.Glob("../doubles/clarityhire/events/*.json")
	require.NoError(t, err)
	require.Len(t, files, len(hiresync.EventTypes))
	for _, p := range files {
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		require.True(t, requireAsEncodingJSON(t, b), "%s took the slow road", p)
	}
	require.True(t, requireAsEncodingJSON(t, event4KiB(t)), "the benchmark's event took the slow road")
}

// TestDecodeEventEveryField sets every field of an Event, so that a field
// added to hiresync.go but not to the fast road fails here.
func TestDecodeEventEveryField(t *testing.T) {
	var e hiresync.Event
	n := 0
	fill(t, reflect.ValueOf(&e).Elem(), "", &n)
	b, err := json.Marshal(e)
	require.NoError(t, err)
	require.True(t, requireAsEncodingJSON(t, b), "%s took the slow road", b)
	var got hiresync.Event
	ingress.DecodeEvent(b, &got)
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

func TestDecodeEventAsEncodingJSON(t *testing.T) {
	const envelope = `{"id":"evt_1","type":"test.passed","data":{"candidate":{"id":"c1"}%s}%s}`
	tests := []struct {
		name, data, top string
		fast            bool // the fast road takes it
	}{
		{"null fields", `,"application":null,"test":{"name":null,"score":null,"completed_at":null}`, `,"created_at":null`, true},
		{"null data", ``, `,"data":null`, true},
		{"escapes", `,"hire":{"title":"Jos\u00e9 \"J\" \\ \/ \b\f\n\r\t \ud83d\ude00 \ud800"}`, ``, true},
		{"UTF-8", `,"hire":{"title":"Zoë Ångström 日本"}`, ``, true},
		{"invalid UTF-8", `,"hire":{"title":"a` + "\xff\xfe" + `b"}`, ``, true},
		{"white space", `,` + " \t\r\n" + `"hire" : { "title" : "x" } `, ` `, true},
		{"repeated key", `,"application":{"id":"a1","job":{"id":"j1"}},"application":{"source":"x","job":{"title":"t"}}`, `,"id":"evt_2"`, true},
		{"interviewers", `,"interview":{"interviewers":[{"name":"a","email":"a@x"},null,{}]}`, ``, true},
		{"no interviewers", `,"interview":{"interviewers":[]}`, ``, true},
		{"null interviewers", `,"interview":{"interviewers":null}`, ``, true},
		{"repeated interviewers", `,"interview":{"interviewers":[{"name":"a"}],"interviewers":[{}]}`, ``, false},
		{"numbers", `,"test":{"score":-0.5e+2,"max_score":1E2,"pass_mark":0},"interview":{"duration_minutes":-45}`, ``, true},
		{"fraction into int", `,"interview":{"duration_minutes":60.0}`, ``, false},
		{"number out of range", `,"test":{"score":1e400}`, ``, false},
		{"bools", `,"rejection":{"qualified":true},"rejection":{"qualified":false}`, ``, true},
		{"string for bool", `,"rejection":{"qualified":"true"}`, ``, false},
		{"object for string", `,"hire":{"title":{}}`, ``, false},
		{"bad time", ``, `,"created_at":"2026-13-01T00:00:00Z"`, false},
		{"time with offset", `,"test":{"completed_at":"2026-11-04T16:40:00.123+02:00"}`, ``, true},
		{"unknown values", `,"x":{"a":[1,true,false,null,"s\n",{"b":-1.5E3}],"c":{}}`, `,"y":[]`, true},
		{"upper case key", ``, `,"ID":"evt_2"`, false},
		{"upper case unknown key", `,"Phone":"x"`, ``, false},
		{"escaped key", ``, `,"i\u0064":"evt_2"`, false},
		{"non-ASCII key", ``, `,"ſ":1`, false},
		{"deep nesting", `,"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100), ``, false},
		{"trailing comma", `,"x":[1,]`, ``, false},
		{"leading zero", `,"x":01`, ``, false},
		{"bare minus", `,"x":-`, ``, false},
		{"bare fraction", `,"x":1.`, ``, false},
		{"bare exponent", `,"x":1e`, ``, false},
		{"bad literal", `,"x":tru`, ``, false},
		{"bad escape", `,"x":"\x"`, ``, false},
		{"short unicode escape", `,"x":"\u12"`, ``, false},
		{"control character", `,"x":"a` + "\x01" + `"`, ``, false},
		{"unterminated string", `,"x":"abc`, ``, false},
		{"missing colon", `,"x" 1`, ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(strings.Replace(strings.Replace(envelope, "%s", tt.data, 1), "%s", tt.top, 1))
			require.Equal(t, tt.fast, requireAsEncodingJSON(t, b), "fast road for %s", b)
		})
	}
	for _, b := range []string{``, `null`, `[]`, `"x"`, `{`, `{}x`, `{} {}`, "\ufeff{}"} {
		require.False(t, requireAsEncodingJSON(t, []byte(b)), "fast road took %q", b)
	}
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
		requireAsEncodingJSON(t, b)
		e, err := ingress.ParseEvent(b)
		if err != nil {
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
	})
}
