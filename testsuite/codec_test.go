package testsuite_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/doubles/clarityhire"
	"github.com/hiresync/hiresync/testsuite"
)

// personal is what must not be readable in history: the sample
// candidate's email and surname.
var personal = []string{"ada.okafor@example.com", "Okafor"}

// TestPayloadEncryption runs the samples with HIRESYNC_PAYLOAD_KEY set and
// reads the history as someone with Web UI access but no key would: no
// name or email anywhere in it, every payload binary/encrypted, and the
// codec server gives them back.
func TestPayloadEncryption(t *testing.T) {
	secret := make([]byte, codec.KeySize)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	keys, err := codec.ParseKeys("e2e-1:" + base64.StdEncoding.EncodeToString(secret))
	require.NoError(t, err)

	s := testsuite.StartStack(t, temporalAddr(t), testsuite.StackOptions{PayloadKeys: keys})
	s.Send(t, codecSamples(t)...)
	s.WaitSettled(t, map[string]int{codecCandidate: 11}, 2*time.Minute)

	// The stack's own client decodes: queries still work.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tl, err := s.Timeline(ctx, codecCandidate)
	require.NoError(t, err)
	require.Len(t, tl, 11)
	for i, e := range tl {
		require.Equal(t, hiresync.EventTypes[i], e.Type)
	}
	st, err := s.State(ctx, codecCandidate)
	require.NoError(t, err)
	require.Equal(t, "ada.okafor@example.com", st.Candidate.Email)

	// A client without the codec sees the history as it is stored.
	raw, err := client.Dial(client.Options{HostPort: temporalAddr(t), Namespace: "default"})
	require.NoError(t, err)
	defer raw.Close()
	var h historypb.History
	iter := raw.GetWorkflowHistory(ctx, hiresync.WorkflowID(codecCandidate), "", false, 0)
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	require.NotEmpty(t, h.Events)
	// The binary form holds payload data as raw bytes, so plaintext JSON
	// would show as it is.
	wire, err := h.Marshal()
	require.NoError(t, err)
	require.Empty(t, leaks(wire), "personal data in clear in the history")
	require.Contains(t, string(wire), codec.EncodingEncrypted)

	// The signal input and the ingress's static summary are encrypted.
	var signal, summary *commonpb.Payload
	for _, e := range h.Events {
		if a := e.GetWorkflowExecutionSignaledEventAttributes(); a != nil && signal == nil {
			signal = a.GetInput().GetPayloads()[0]
		}
		if a := e.GetWorkflowExecutionStartedEventAttributes(); a != nil {
			summary = e.GetUserMetadata().GetSummary()
		}
	}
	require.NotNil(t, signal, "a signal in the history")
	require.NotNil(t, summary, "the workflow's static summary")
	for _, p := range []*commonpb.Payload{signal, summary} {
		require.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
		require.Equal(t, "e2e-1", string(p.Metadata[codec.MetadataKeyID]))
	}

	// The codec server turns them back into what the Web UI shows.
	srv := httptest.NewServer(codec.Handler(keys, codec.HandlerOptions{}))
	defer srv.Close()
	decoded := decodeRemote(t, srv.URL, signal, summary)
	require.NotEmpty(t, leaks(decoded), "the decoded signal and summary name the candidate")
	require.Contains(t, string(decoded), "ada.okafor@example.com")
	require.Contains(t, string(decoded), "Ada Okafor")
}

// codecCandidate is the samples' candidate under an id of this test's
// own: workflow ids are shared on the dev server, and a workflow left by
// another test would be on another task queue.
const codecCandidate = "cand_CODEC1"

// codecSamples are the eleven samples for codecCandidate, with the
// samples' name and email kept.
func codecSamples(t *testing.T) []clarityhire.Delivery {
	t.Helper()
	ds, err := clarityhire.Samples()
	require.NoError(t, err)
	out := make([]clarityhire.Delivery, len(ds))
	for i, d := range ds {
		id := d.ID + "_codec"
		body := strings.ReplaceAll(string(d.Body), d.CandidateID, codecCandidate)
		body = strings.ReplaceAll(body, d.ID, id)
		require.Contains(t, body, "ada.okafor@example.com")
		out[i] = clarityhire.Delivery{ID: id, Type: d.Type, CandidateID: codecCandidate, Body: []byte(body)}
	}
	return out
}

// leaks lists the personal strings found in b.
func leaks(b []byte) []string {
	var found []string
	for _, s := range personal {
		if bytes.Contains(b, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// decodeRemote posts ps to the codec server's /decode as the temporal CLI
// does and returns the decoded payloads' data, concatenated.
func decodeRemote(t *testing.T, url string, ps ...*commonpb.Payload) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{"payloads": ps})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url+"/decode", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(out))
	var dec struct {
		Payloads []struct {
			Metadata map[string][]byte `json:"metadata"`
			Data     []byte            `json:"data"`
		} `json:"payloads"`
	}
	require.NoError(t, json.Unmarshal(out, &dec))
	require.Len(t, dec.Payloads, len(ps))
	var data []byte
	for _, p := range dec.Payloads {
		require.Equal(t, "json/plain", string(p.Metadata[converter.MetadataEncoding]))
		data = append(data, p.Data...)
	}
	return data
}
