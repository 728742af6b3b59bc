package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/config"
)

// runCodecServer serves /encode and /decode with the keys of
// HIRESYNC_PAYLOAD_KEY until ctx ends, for the Web UI (Settings → Codec
// Server, or `temporal server start-dev --ui-codec-endpoint`) and
// `temporal --codec-endpoint`. HIRESYNC_CODEC_CORS_ORIGIN lists the Web UI
// origins (comma-separated, default http://localhost:8233);
// HIRESYNC_CODEC_AUTH_TOKEN, when set, is required as a bearer token.
func runCodecServer(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("codec-server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8234", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(nil, config.RoleClient)
	if err != nil {
		return err
	}
	if len(cfg.PayloadKeys) == 0 {
		return fmt.Errorf("%s is not set: the codec server has no key to decode with", codec.EnvVar)
	}
	origins := []string{codec.DefaultCORSOrigin}
	if v := strings.TrimSpace(os.Getenv("HIRESYNC_CODEC_CORS_ORIGIN")); v != "" {
		origins = nil
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o != "" {
				origins = append(origins, o)
			}
		}
	}
	token := strings.TrimSpace(os.Getenv("HIRESYNC_CODEC_AUTH_TOKEN"))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("codec server: %w", err)
	}
	srv := &http.Server{
		Handler:           codec.Handler(cfg.PayloadKeys, codec.HandlerOptions{CORSOrigins: origins, AuthToken: token}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info("codec server listening", "addr", ln.Addr().String(), "cors_origins", strings.Join(origins, ","),
		"auth", token != "", "encrypt_key_id", cfg.PayloadKeys[0].ID, "keys", len(cfg.PayloadKeys))

	select {
	case err := <-done:
		return fmt.Errorf("codec server: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("codec server shutdown: %w", err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("codec server: %w", err)
	}
	log.Info("codec server stopped")
	return nil
}
