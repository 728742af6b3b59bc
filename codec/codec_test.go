package codec_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/hiresync/hiresync/codec"
)

type candidate struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

var ada = candidate{Name: "Ada Okafor", Email: "ada.okafor@example.com"}

// secret is 32 random bytes in base64, as `openssl rand -base64 32`.
func secret(t *testing.T) string {
	t.Helper()
	b := make([]byte, codec.KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

func keys(t *testing.T, spec string) []codec.Key {
	t.Helper()
	ks, err := codec.ParseKeys(spec)
	require.NoError(t, err)
	return ks
}

func payload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestRoundTrip(t *testing.T) {
	c := codec.New(keys(t, "k1:"+secret(t)))
	plain := []*commonpb.Payload{payload(t, ada), payload(t, "Ada Okafor — Senior Backend Engineer"), payload(t, nil)}
	enc, err := c.Encode(plain)
	require.NoError(t, err)
	require.Len(t, enc, len(plain))
	for i, p := range enc {
		require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
		require.Len(t, p.Metadata, 2, "nothing of the original metadata in clear")
		require.NotContains(t, string(p.Data), "Okafor")
		require.NotEqual(t, plain[i].Data, p.Data)
	}
	again, err := c.Encode(plain[:1])
	require.NoError(t, err)
	require.NotEqual(t, enc[0].Data, again[0].Data, "a fresh nonce each time")

	dec, err := c.Decode(enc)
	require.NoError(t, err)
	for i := range plain {
		require.Equal(t, plain[i].Metadata, dec[i].Metadata)
		require.Equal(t, plain[i].Data, dec[i].Data)
	}
}

func TestDataConverter(t *testing.T) {
	dc := codec.DataConverter(keys(t, "k1:"+secret(t)))
	p, err := dc.ToPayload(ada)
	require.NoError(t, err)
	require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	var got candidate
	require.NoError(t, dc.FromPayload(p, &got))
	require.Equal(t, ada, got)

	// A payload written before encryption was switched on still reads.
	got = candidate{}
	require.NoError(t, dc.FromPayload(payload(t, ada), &got))
	require.Equal(t, ada, got)
}

func TestRotation(t *testing.T) {
	oldKey, newKey := "old:"+secret(t), "new:"+secret(t)
	before, err := codec.New(keys(t, oldKey)).Encode([]*commonpb.Payload{payload(t, ada)})
	require.NoError(t, err)

	rotated := codec.New(keys(t, newKey+","+oldKey))
	dec, err := rotated.Decode(before)
	require.NoError(t, err)
	require.Equal(t, payload(t, ada).Data, dec[0].Data)

	after, err := rotated.Encode([]*commonpb.Payload{payload(t, ada)})
	require.NoError(t, err)
	require.Equal(t, "new", string(after[0].Metadata[codec.MetadataKeyID]))

	// Once the old key is dropped, its payloads name it in the error.
	_, err = codec.New(keys(t, newKey)).Decode(before)
	require.ErrorContains(t, err, `"old"`)
}

func TestDecodePassesUnencryptedThrough(t *testing.T) {
	plain := []*commonpb.Payload{payload(t, ada), payload(t, nil), {Metadata: map[string][]byte{"encoding": []byte("binary/plain")}, Data: []byte("x")}}
	dec, err := codec.New(keys(t, "k1:"+secret(t))).Decode(plain)
	require.NoError(t, err)
	require.Equal(t, plain, dec)
}

func TestDecodeErrors(t *testing.T) {
	s1 := secret(t)
	c := codec.New(keys(t, "k1:"+s1))
	enc, err := c.Encode([]*commonpb.Payload{payload(t, ada)})
	require.NoError(t, err)
	good := enc[0]
	with := func(f func(p *commonpb.Payload)) *commonpb.Payload {
		p := &commonpb.Payload{Metadata: map[string][]byte{}, Data: bytes.Clone(good.Data)}
		for k, v := range good.Metadata {
			p.Metadata[k] = v
		}
		f(p)
		return p
	}
	for _, tc := range []struct {
		name, want string
		p          *commonpb.Payload
	}{
		{"unknown key id", `key id "k9" is not among the keys in HIRESYNC_PAYLOAD_KEY`, with(func(p *commonpb.Payload) { p.Metadata[codec.MetadataKeyID] = []byte("k9") })},
		{"no key id", "no encryption-key-id", with(func(p *commonpb.Payload) { delete(p.Metadata, codec.MetadataKeyID) })},
		{"tampered ciphertext", `key id "k1": cipher: message authentication failed`, with(func(p *commonpb.Payload) { p.Data[len(p.Data)/2] ^= 1 })},
		{"tampered nonce", "message authentication failed", with(func(p *commonpb.Payload) { p.Data[0] ^= 1 })},
		{"truncated", "too short", with(func(p *commonpb.Payload) { p.Data = p.Data[:10] })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Decode([]*commonpb.Payload{payload(t, "fine"), tc.p})
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), s1)
		})
	}
	_, err = c.Decode([]*commonpb.Payload{good})
	require.NoError(t, err, "the untampered payload decodes")
}

func TestEncodeWithoutKeys(t *testing.T) {
	_, err := codec.New(nil).Encode([]*commonpb.Payload{payload(t, ada)})
	require.ErrorContains(t, err, "no payload key")
}

func TestParseKeys(t *testing.T) {
	s1, s2 := secret(t), secret(t)
	raw := make([]byte, codec.KeySize)
	_, _ = rand.Read(raw)

	ks := keys(t, " k2025-06:"+s1+" , k2024.q4_a:"+s2)
	require.Len(t, ks, 2)
	require.Equal(t, "k2025-06", ks[0].ID)
	require.Equal(t, "k2024.q4_a", ks[1].ID)
	for _, spec := range []string{
		"u:" + base64.URLEncoding.EncodeToString(raw),
		"r:" + base64.RawStdEncoding.EncodeToString(raw),
		"ru:" + base64.RawURLEncoding.EncodeToString(raw),
	} {
		_, err := codec.ParseKeys(spec)
		require.NoError(t, err, "base64 variant")
	}

	short := base64.StdEncoding.EncodeToString(raw[:16])
	for _, tc := range []struct {
		name, spec, want string
	}{
		{"empty", "  ", "is empty"},
		{"no id", s1, "entry 1 is not of the form id:base64key"},
		{"empty id", ":" + s1, "entry 1: key id is empty"},
		{"bad id", "k 1:" + s1, "key id has a character"},
		{"empty entry", "k1:" + s1 + ",,k2:" + s2, "entry 2 is empty"},
		{"duplicate id", "k1:" + s1 + ",k1:" + s2, `key id "k1" appears more than once`},
		{"not base64", "k1:" + s1[:20] + "!!" + s1[22:], `key "k1" is not valid base64`},
		{"short key", "k1:" + short, `key "k1" decodes to 16 bytes, want 32`},
		{"long key", "k1:" + s1 + s1, `key "k1"`},
		{"second bad", "k1:" + s1 + ",k2:" + short, `key "k2" decodes to 16 bytes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := codec.ParseKeys(tc.spec)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "HIRESYNC_PAYLOAD_KEY")
			for _, material := range []string{s1, s2, short, s1[:20], s1[22:], s2[:12]} {
				require.NotContains(t, err.Error(), material, "key material in the error")
			}
		})
	}
}

func TestKeyPrintsNoSecret(t *testing.T) {
	s := secret(t)
	k := keys(t, "k1:"+s)[0]
	raw, _ := base64.StdEncoding.DecodeString(s)
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%v", []codec.Key{k})} {
		require.Contains(t, out, "k1")
		require.NotContains(t, out, s)
		require.NotContains(t, out, string(raw))
	}
}

// codecRequest posts {"payloads": ps} as the temporal CLI and Web UI do.
func codecRequest(t *testing.T, url string, ps []*commonpb.Payload, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"payloads": ps})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, out
}

// wirePayloads is the JSON shape on the wire: metadata values and data
// in base64.
type wirePayloads struct {
	Payloads []struct {
		Metadata map[string][]byte `json:"metadata"`
		Data     []byte            `json:"data"`
	} `json:"payloads"`
}

func (w wirePayloads) payloads() []*commonpb.Payload {
	out := make([]*commonpb.Payload, len(w.Payloads))
	for i, p := range w.Payloads {
		out[i] = &commonpb.Payload{Metadata: p.Metadata, Data: p.Data}
	}
	return out
}

func TestHandlerEncodeDecode(t *testing.T) {
	ks := keys(t, "k1:"+secret(t))
	srv := httptest.NewServer(codec.Handler(ks, codec.HandlerOptions{}))
	defer srv.Close()

	plain := []*commonpb.Payload{payload(t, ada), payload(t, "Okafor")}
	res, body := codecRequest(t, srv.URL+"/encode", plain, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.NotContains(t, string(body), "Okafor")
	var enc wirePayloads
	require.NoError(t, json.Unmarshal(body, &enc))
	require.Len(t, enc.Payloads, 2)
	require.Equal(t, codec.EncodingEncrypted, string(enc.Payloads[0].Metadata["encoding"]))

	// What the worker wrote decodes through the server, under a
	// namespace prefix too.
	mine, err := codec.New(ks).Encode(plain[:1])
	require.NoError(t, err)
	for _, path := range []string{"/decode", "/default/decode"} {
		res, body = codecRequest(t, srv.URL+path, append(enc.payloads(), mine[0]), nil)
		require.Equal(t, http.StatusOK, res.StatusCode, string(body))
		var dec wirePayloads
		require.NoError(t, json.Unmarshal(body, &dec))
		require.Len(t, dec.Payloads, 3)
		require.Equal(t, "json/plain", string(dec.Payloads[0].Metadata["encoding"]))
		require.JSONEq(t, `{"name":"Ada Okafor","email":"ada.okafor@example.com"}`, string(dec.Payloads[0].Data))
		require.Equal(t, `"Okafor"`, string(dec.Payloads[1].Data))
		require.Equal(t, plain[0].Data, dec.Payloads[2].Data)
	}

	// An unknown key id is a 400 that names it.
	other, err := codec.New(keys(t, "gone:"+secret(t))).Encode(plain[:1])
	require.NoError(t, err)
	res, body = codecRequest(t, srv.URL+"/decode", other, nil)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Contains(t, string(body), `"gone"`)

	res, _ = codecRequest(t, srv.URL+"/other", plain, nil)
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}

func TestHandlerCORS(t *testing.T) {
	srv := httptest.NewServer(codec.Handler(keys(t, "k1:"+secret(t)), codec.HandlerOptions{
		CORSOrigins: []string{codec.DefaultCORSOrigin}, AuthToken: "tok",
	}))
	defer srv.Close()
	preflight := func(origin string) *http.Response {
		req, err := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}

	res := preflight("http://localhost:8233")
	require.Equal(t, http.StatusNoContent, res.StatusCode, "a preflight needs no token")
	require.Equal(t, "http://localhost:8233", res.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, "POST", res.Header.Get("Access-Control-Allow-Methods"))
	allowed := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers"))
	for _, h := range []string{"content-type", "x-namespace", "authorization"} {
		require.Contains(t, allowed, h)
	}

	res = preflight("https://evil.example")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))

	// The actual request carries the origin header, and so does a 401.
	res, _ = codecRequest(t, srv.URL+"/decode", nil, map[string]string{"Origin": "http://localhost:8233", "Authorization": "Bearer tok"})
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "http://localhost:8233", res.Header.Get("Access-Control-Allow-Origin"))
	res, _ = codecRequest(t, srv.URL+"/decode", nil, map[string]string{"Origin": "http://localhost:8233"})
	require.Equal(t, http.StatusUnauthorized, res.StatusCode)
	require.Equal(t, "http://localhost:8233", res.Header.Get("Access-Control-Allow-Origin"))
}

func TestHandlerBearerAuth(t *testing.T) {
	ks := keys(t, "k1:"+secret(t))
	enc, err := codec.New(ks).Encode([]*commonpb.Payload{payload(t, ada)})
	require.NoError(t, err)
	srv := httptest.NewServer(codec.Handler(ks, codec.HandlerOptions{AuthToken: "s3cret-token"}))
	defer srv.Close()

	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong token", "Bearer nope", http.StatusUnauthorized},
		{"not bearer", "Basic s3cret-token", http.StatusUnauthorized},
		{"token without scheme", "s3cret-token", http.StatusUnauthorized},
		{"right token", "Bearer s3cret-token", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			res, body := codecRequest(t, srv.URL+"/decode", enc, h)
			require.Equal(t, tc.want, res.StatusCode, string(body))
			if tc.want == http.StatusOK {
				require.Contains(t, string(body), base64.StdEncoding.EncodeToString(payload(t, ada).Data))
			} else {
				require.NotContains(t, string(body), "ada")
			}
		})
	}

	// Without a token configured, no Authorization is needed.
	open := httptest.NewServer(codec.Handler(ks, codec.HandlerOptions{}))
	defer open.Close()
	res, body := codecRequest(t, open.URL+"/decode", enc, nil)
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
}

func TestFailureConverterEncryptsMessages(t *testing.T) {
	dc := codec.DataConverter(keys(t, "k1:"+secret(t)))
	fc := codec.FailureConverter(dc)
	f := fc.ErrorToFailure(errors.New("hubspot: 400 VALIDATION_ERROR: contact ada.okafor@example.com already exists"))
	wire, err := f.Marshal()
	require.NoError(t, err)
	require.NotContains(t, string(wire), "ada.okafor")
	require.Equal(t, codec.EncodingEncrypted, string(f.GetEncodedAttributes().GetMetadata()[converter.MetadataEncoding]))
	require.ErrorContains(t, fc.FailureToError(f), "contact ada.okafor@example.com already exists")
}
