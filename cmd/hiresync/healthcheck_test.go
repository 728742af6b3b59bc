package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHealthcheck(t *testing.T) {
	serve := func(status int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, http.MethodGet, r.Method)
			require.Equal(t, "/healthz", r.URL.Path)
			w.WriteHeader(status)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/healthz"
	}
	// A port nothing listens on: bound, then released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused := "http://" + ln.Addr().String() + "/healthz"
	require.NoError(t, ln.Close())
	// A server that never answers within the timeout.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)

	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string // empty: healthy, exit 0
	}{
		{"200", []string{"--url", serve(http.StatusOK)}, ""},
		{"204", []string{"-url", serve(http.StatusNoContent)}, ""},
		{"503", []string{"--url", serve(http.StatusServiceUnavailable)}, "503 Service Unavailable"},
		{"redirect not followed", []string{"--url", serve(http.StatusFound)}, "302 Found"},
		{"connection refused", []string{"--url", refused}, "connection refused"},
		{"timeout", []string{"--url", slow.URL + "/healthz", "--timeout", "100ms"}, "no answer within 100ms"},
		{"not a URL", []string{"--url", "127.0.0.1:8080/healthz"}, "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"healthcheck"}, tc.args...), &stdout, &stderr)
			if tc.wantErr == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.wantErr)
				require.NotContains(t, err.Error(), "\n", "a one-line reason")
			}
			require.Empty(t, stdout.String())
		})
	}
}
