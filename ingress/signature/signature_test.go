package signature_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/ingress/signature"
)

type vector struct {
	Name      string   `json:"name"`
	Secrets   []string `json:"secrets"`
	ID        string   `json:"webhook-id"`
	Timestamp string   `json:"webhook-timestamp"`
	BodyFile  string   `json:"body_file"`
	Signature string   `json:"webhook-signature"`
	Valid     bool     `json:"valid"`
}

// TestVectors checks every vector ClarityHire publishes, with our clock set to
// the vector's timestamp as the vectors ask.
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile("../../doubles/clarityhire/signature-vectors.json")
	require.NoError(t, err)
	var file struct{ Vectors []vector }
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Vectors, 7)
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			keys, err := signature.ParseSecrets(strings.Join(v.Secrets, ","))
			require.NoError(t, err)
			body, err := os.ReadFile(filepath.Join("../../doubles/clarityhire", v.BodyFile))
			require.NoError(t, err)
			sec, err := strconv.ParseInt(v.Timestamp, 10, 64)
			require.NoError(t, err)
			clock := func() time.Time { return time.Unix(sec, 0) }
			err = signature.NewVerifier(keys, clock).Verify(v.ID, v.Timestamp, v.Signature, body)
			if v.Valid {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestTolerance(t *testing.T) {
	key, err := signature.ParseSecret("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	require.NoError(t, err)
	body := []byte(`{"id":"evt_1"}`)
	now := time.Unix(1_800_000_000, 0)
	v := signature.NewVerifier([]signature.Key{key}, func() time.Time { return now })
	tests := []struct {
		name   string
		offset time.Duration
		want   error
	}{
		{"now", 0, nil},
		{"exactly 5 min old", -5 * time.Minute, nil},
		{"exactly 5 min ahead", 5 * time.Minute, nil},
		{"5 min 1 s old", -5*time.Minute - time.Second, signature.ErrStaleTimestamp},
		{"5 min 1 s ahead", 5*time.Minute + time.Second, signature.ErrStaleTimestamp},
		{"a day old", -24 * time.Hour, signature.ErrStaleTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := now.Add(tt.offset).Unix()
			sig := signature.Sign(key, "evt_1", ts, body)
			err := v.Verify("evt_1", strconv.FormatInt(ts, 10), sig, body)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestParseHeader(t *testing.T) {
	good := "v1,gkugq1xqwI+8WDwTlYi7Ia5joQJxbw77EYrJapO+U6I="
	tests := []struct {
		name   string
		header string
		n      int
		err    error
	}{
		{"one", good, 1, nil},
		{"two with extra spaces", "  " + good + "   " + good + " ", 2, nil},
		{"other versions skipped", "v2,abc " + good + " v1a,xyz", 1, nil},
		{"only other versions", "v2," + good[3:], 0, signature.ErrNoSignature},
		{"bad base64", "v1,not*base64", 0, signature.ErrNoSignature},
		{"wrong length", "v1,AAAA", 0, signature.ErrNoSignature},
		{"no comma", "v1" + good[3:], 0, signature.ErrNoSignature},
		{"empty", "", 0, signature.ErrNoSignature},
		{"a hundred", strings.Repeat(good+" ", 100), 0, signature.ErrTooManyEntries},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sigs, err := signature.ParseHeader(tt.header)
			require.ErrorIs(t, err, tt.err)
			require.Len(t, sigs, tt.n)
		})
	}
}

func TestParseSecrets(t *testing.T) {
	_, err := signature.ParseSecrets("")
	require.Error(t, err)
	_, err = signature.ParseSecrets("nope")
	require.ErrorContains(t, err, "secret 1")
	_, err = signature.ParseSecrets("whsec_AAAA, whsec_!!")
	require.ErrorContains(t, err, "secret 2")
	keys, err := signature.ParseSecrets("whsec_AAAA, whsec_BBBB")
	require.NoError(t, err)
	require.Len(t, keys, 2)
}

func FuzzParseHeader(f *testing.F) {
	f.Add("v1,gkugq1xqwI+8WDwTlYi7Ia5joQJxbw77EYrJapO+U6I=")
	f.Add("v1,a v2,b")
	f.Add("")
	f.Add(",,,, v1, v1,=")
	f.Fuzz(func(t *testing.T, h string) {
		sigs, err := signature.ParseHeader(h)
		if err == nil && len(sigs) == 0 {
			t.Fatal("no error but no signatures")
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("signature of %d bytes accepted", len(s))
			}
		}
	})
}
