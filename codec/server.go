package codec

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"go.temporal.io/sdk/converter"
)

// DefaultCORSOrigin is the local dev server's Web UI.
const DefaultCORSOrigin = "http://localhost:8233"

// maxRequestBytes bounds a request: a page of history's payloads, with
// Temporal's 2 MiB payload limit, fits well within it.
const maxRequestBytes = 32 << 20

// HandlerOptions adjust the codec server.
type HandlerOptions struct {
	// CORSOrigins are the Web UI origins allowed to call the server from a
	// browser, exactly as the browser sends them (e.g.
	// http://localhost:8233); none, no CORS.
	CORSOrigins []string
	// AuthToken, when set, is required as "Authorization: Bearer <token>"
	// on every request but a CORS preflight.
	AuthToken string
}

// Handler is the codec server: POST /encode and /decode (also under a
// prefix, e.g. /default/decode) with a JSON body {"payloads": [...]}, as
// the Web UI (which adds X-Namespace) and `temporal --codec-endpoint` send
// it.
func Handler(keys []Key, o HandlerOptions) http.Handler {
	var h http.Handler = converter.NewPayloadCodecHTTPHandler(New(keys))
	h = limitBody(h)
	if o.AuthToken != "" {
		h = requireBearer(o.AuthToken, h)
	}
	if len(o.CORSOrigins) > 0 {
		h = allowOrigins(o.CORSOrigins, h)
	}
	return h
}

func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
		next.ServeHTTP(w, r)
	})
}

// requireBearer answers 401 unless the request carries the token.
func requireBearer(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hiresync codec"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// allowOrigins lets the Web UI at origins call the server from a browser:
// it answers the preflight itself (a browser sends no Authorization on
// one) and marks every answer, a 401 included, as readable by the origin.
func allowOrigins(origins []string, next http.Handler) http.Handler {
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		ok := origin != "" && allowed[origin]
		if ok {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if !ok {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
