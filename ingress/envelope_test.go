package ingress_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hiresync/hiresync/ingress"
)

func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob("../testsuite/clarityhire/events/*.json")
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
