package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hiresync/hiresync/signature"
)

// doubles is where the repository keeps its copy of ClarityHire's samples
// and signature vectors.
const doubles = "../doubles/clarityhire"

type vector struct {
	Name      string   `json:"name"`
	Secrets   []string `json:"secrets"`
	ID        string   `json:"webhook-id"`
	Timestamp string   `json:"webhook-timestamp"`
	BodyFile  string   `json:"body_file"`
	Signature string   `json:"webhook-signature"`
	Valid     bool     `json:"valid"`
}

func headers(id, timestamp, sig string) http.Header {
	h := http.Header{}
	h.Set(signature.HeaderID, id)
	h.Set(signature.HeaderTimestamp, timestamp)
	h.Set(signature.HeaderSignature, sig)
	return h
}

// TestVectors checks every vector ClarityHire publishes, with our clock set to
// the vector's timestamp as the vectors ask, and that Sign makes the
// signatures of the valid ones.
func TestVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(doubles, "signature-vectors.json"))
	require.NoError(t, err)
	var file struct{ Vectors []vector }
	require.NoError(t, json.Unmarshal(raw, &file))
	require.Len(t, file.Vectors, 7)
	for _, v := range file.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			keys, err := signature.ParseSecrets(strings.Join(v.Secrets, ","))
			require.NoError(t, err)
			body, err := os.ReadFile(filepath.Join(doubles, v.BodyFile))
			require.NoError(t, err)
			sec, err := strconv.ParseInt(v.Timestamp, 10, 64)
			require.NoError(t, err)
			clock := func() time.Time { return time.Unix(sec, 0) }
			err = signature.NewVerifier(keys, clock).Verify(headers(v.ID, v.Timestamp, v.Signature), body)
			if !v.Valid {
				require.ErrorIs(t, err, signature.ErrNoMatch)
				return
			}
			require.NoError(t, err)
			signed := false
			for _, k := range keys {
				signed = signed || strings.Contains(v.Signature, signature.Sign(k, v.ID, sec, body))
			}
			require.True(t, signed, "Sign with one of %v makes none of %s", v.Secrets, v.Signature)
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
			err := v.Verify(headers("evt_1", strconv.FormatInt(ts, 10), sig), body)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

// TestVerifyAnswers names each way a request fails, and the header forms
// that still pass.
func TestVerifyAnswers(t *testing.T) {
	old, err := signature.ParseSecret("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	require.NoError(t, err)
	current, err := signature.ParseSecret("whsec_ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=")
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`{"id":"evt_1"}`)
	good := signature.Sign(current, "evt_1", now.Unix(), body)
	other := signature.Sign(old, "evt_1", now.Unix(), body)
	tests := []struct {
		name          string
		id, ts, sig   string
		want          error
		onlyOldSecret bool
	}{
		{name: "one", id: "evt_1", ts: ts, sig: good},
		{name: "several, one matching", id: "evt_1", ts: ts, sig: "v1,AAAA v2," + good[3:] + " " + good},
		{name: "signed with the old secret, receiver holds both", id: "evt_1", ts: ts, sig: other},
		{name: "signed with both, receiver holds the old only", id: "evt_1", ts: ts, sig: good + " " + other, onlyOldSecret: true},
		{name: "malformed entries before a match", id: "evt_1", ts: ts, sig: ",,, v1,not,base64  " + good},
		{name: "no id", ts: ts, sig: good, want: signature.ErrMissingHeaders},
		{name: "no timestamp", id: "evt_1", sig: good, want: signature.ErrMissingHeaders},
		{name: "no signature", id: "evt_1", ts: ts, want: signature.ErrMissingHeaders},
		{name: "timestamp in milliseconds", id: "evt_1", ts: ts + "000", sig: good, want: signature.ErrStaleTimestamp},
		{name: "timestamp not a number", id: "evt_1", ts: "yesterday", sig: good, want: signature.ErrBadTimestamp},
		{name: "other id", id: "evt_2", ts: ts, sig: good, want: signature.ErrNoMatch},
		{name: "other version only", id: "evt_1", ts: ts, sig: "v2," + good[3:], want: signature.ErrNoMatch},
		{name: "bad base64", id: "evt_1", ts: ts, sig: "v1,%%%not-base64%%%", want: signature.ErrNoMatch},
		{name: "trailing data", id: "evt_1", ts: ts, sig: good + ",extra", want: signature.ErrNoMatch},
		{name: "no comma", id: "evt_1", ts: ts, sig: "v1" + good[3:], want: signature.ErrNoMatch},
		{name: "twenty entries", id: "evt_1", ts: ts, sig: strings.Repeat(other+" ", 19) + good},
		{name: "a hundred entries", id: "evt_1", ts: ts, sig: strings.Repeat(good+" ", 100), want: signature.ErrHeaderTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := []signature.Key{old, current}
			if tt.onlyOldSecret {
				keys = keys[:1]
			}
			v := signature.NewVerifier(keys, func() time.Time { return now })
			require.ErrorIs(t, v.Verify(headers(tt.id, tt.ts, tt.sig), body), tt.want)
		})
	}
}

func TestParseSecrets(t *testing.T) {
	_, err := signature.ParseSecrets("")
	require.ErrorContains(t, err, "no secret")
	_, err = signature.ParseSecrets(" , ")
	require.ErrorContains(t, err, "no secret")
	_, err = signature.ParseSecrets("nope")
	require.ErrorContains(t, err, "secret 1: secret must look like whsec_<base64>")
	_, err = signature.ParseSecrets("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
	require.ErrorContains(t, err, "secret 1", "a secret without its whsec_ prefix is refused")
	_, err = signature.ParseSecrets("whsec_")
	require.ErrorContains(t, err, "secret 1")
	_, err = signature.ParseSecrets("whsec_AAAA, whsec_!!")
	require.ErrorContains(t, err, "secret 2")
	keys, err := signature.ParseSecrets("whsec_AAAA, whsec_BBBB")
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.NotEqual(t, signature.Sign(keys[0], "e", 1, nil), signature.Sign(keys[1], "e", 1, nil))
}

// FuzzVerifyHeader verifies arbitrary webhook-signature headers for the
// first vector's delivery, with the receiver holding both of the vectors'
// secrets. The header passes exactly when one of its space-separated
// entries is "v1," and the standard base64 of a key's HMAC-SHA256 over
// id.timestamp.body, computed here with crypto/hmac, and the header is at
// most 1 KiB; else Verify answers with one of our errors.
func FuzzVerifyHeader(f *testing.F) {
	secrets := []string{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="}
	const id, ts = "evt_01JC01Z8Q4", "1762074845"
	body, err := os.ReadFile(filepath.Join(doubles, "events/application.submitted.json"))
	if err != nil {
		f.Fatal(err)
	}
	keys, err := signature.ParseSecrets("whsec_" + secrets[0] + ",whsec_" + secrets[1])
	if err != nil {
		f.Fatal(err)
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	v := signature.NewVerifier(keys, func() time.Time { return time.Unix(sec, 0) })
	var valid []string
	for _, s := range secrets {
		raw, _ := base64.StdEncoding.DecodeString(s)
		m := hmac.New(sha256.New, raw)
		m.Write([]byte(id + "." + ts + "."))
		m.Write(body)
		valid = append(valid, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}

	f.Add(valid[0])
	f.Add("v1,a v2,b " + valid[1])
	f.Add("")
	f.Add(",,,, v1, v1,=")
	f.Fuzz(func(t *testing.T, header string) {
		h := headers(id, ts, header)
		err := v.Verify(h, body)
		got := h.Get(signature.HeaderSignature)
		accept := false
		for _, entry := range strings.Split(got, " ") {
			accept = accept || entry == valid[0] || entry == valid[1]
		}
		accept = accept && len(got) <= 1024
		switch {
		case accept && err != nil:
			t.Fatalf("refused %q, which holds a valid signature: %v", header, err)
		case !accept && err == nil:
			t.Fatalf("accepted %q, which holds no valid signature", header)
		case err != nil && !errors.Is(err, signature.ErrNoMatch) && !errors.Is(err, signature.ErrMissingHeaders) &&
			!errors.Is(err, signature.ErrHeaderTooLong):
			t.Fatalf("refused %q with an error of the library's own words: %v", header, err)
		}
	})
}
