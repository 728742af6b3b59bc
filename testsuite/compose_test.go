package testsuite_test

import (
	"bufio"
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	gotypes "go/types"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hiresync/hiresync"
	"github.com/hiresync/hiresync/codec"
	"github.com/hiresync/hiresync/config"
	"github.com/hiresync/hiresync/doubles/handoffdouble"
	"github.com/hiresync/hiresync/doubles/hubspotdouble"
	"github.com/hiresync/hiresync/doubles/slackdouble"
)

// These tests check docker-compose.yml and the Dockerfile by reading them:
// no Docker engine is needed. The compose file is loaded with compose-go,
// the library behind `docker compose`, so interpolation, profiles, YAML
// anchors and depends_on are read exactly as Compose reads them.

// temporalServerVersion is the Temporal server the Makefile's Temporal CLI
// (v1.5.1) embeds as its dev server: the cluster runs the same release.
const temporalServerVersion = "1.29.1"

const (
	composeIngress = "hiresync-ingress"
	composeWorker  = "hiresync-worker"
	// routesInImage is where the Dockerfile puts examples/routes.yaml.
	routesInImage = "/etc/hiresync/routes.yaml"
)

// ingressOnlyEnv are the variables only the ingress reads (config.Config
// marks them "Ingress only"). Every other variable the binary reads belongs
// to the worker; the Temporal client settings belong to both.
var ingressOnlyEnv = []string{"HIRESYNC_HTTP_ADDR", "CLARITYHIRE_WEBHOOK_SECRETS", "SLACK_SIGNING_SECRET",
	"HIRESYNC_EVENTS_PER_RUN", "HIRESYNC_RUN_MAX_AGE", "HIRESYNC_RETENTION"}

// sharedEnv must be set, to the same value, on the ingress and the worker:
// they must meet on the same namespace and task queue.
// The payload keys too: the ingress encrypts what the worker decrypts.
var sharedEnv = []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "HIRESYNC_TASK_QUEUE", "HIRESYNC_LOG_FORMAT", codec.EnvVar}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"))
	return root
}

// loadCompose loads docker-compose.yml as `docker compose --profile doubles`
// would, with env as the only environment (no OS variables, no .env file).
func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	root := moduleRoot(t)
	var kv []string
	for k, v := range env {
		kv = append(kv, k+"="+v)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(kv),
		cli.WithProfiles([]string{"doubles"}),
	)
	require.NoError(t, err)
	return opts.LoadProject(context.Background())
}

func composeProject(t *testing.T) *types.Project {
	t.Helper()
	p, err := loadCompose(t, map[string]string{"CLARITYHIRE_WEBHOOK_SECRETS": "whsec_dGVzdC1zZWNyZXQ="})
	require.NoError(t, err)
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err, "service %s", name)
	return s
}

func TestComposeServices(t *testing.T) {
	p := composeProject(t)
	want := []string{
		"postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-setup",
		"temporal-ui", composeIngress, composeWorker,
		"slack-double", "hubspot-double", "handoff-double", "hubspot-setup",
	}
	require.ElementsMatch(t, want, p.ServiceNames())

	// Without the profile the doubles are off and the rest is unchanged.
	for _, name := range []string{"slack-double", "hubspot-double", "handoff-double", "hubspot-setup"} {
		require.Equal(t, []string{"doubles"}, service(t, p, name).Profiles, name)
	}
	for _, name := range want[:8] {
		require.Empty(t, service(t, p, name).Profiles, name)
	}

	// The Compose Specification has no top-level version key.
	raw, err := os.ReadFile(filepath.Join(moduleRoot(t), "docker-compose.yml"))
	require.NoError(t, err)
	var top map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &top))
	require.NotContains(t, top, "version")
}

// exactTag is a version tag of at least major.minor (postgres:16.4,
// temporalio/server:1.29.1, …): not latest, not a floating major like 16.
var exactTag = regexp.MustCompile(`^v?\d+\.\d+`)

// splitImage returns an image reference's name, tag and digest.
func splitImage(ref string) (name, tag, digest string) {
	name, digest, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, tag = name[:i], name[i+1:]
	}
	return name, tag, digest
}

func TestComposeImagesPinned(t *testing.T) {
	p := composeProject(t)
	var hiresyncImage string
	for name, s := range p.Services {
		require.NotEmpty(t, s.Image, "%s: every service names its image (built ones share one tag)", name)
		img, tag, digest := splitImage(s.Image)
		require.NotEqual(t, "latest", tag, "%s: %s", name, s.Image)
		require.NotContains(t, img, "auto-setup", "%s: the deprecated auto-setup image", name)
		if s.Build != nil {
			// Built here from the Dockerfile: one local tag for all of them.
			require.NotEmpty(t, tag, "%s: %s", name, s.Image)
			require.Equal(t, moduleRoot(t), s.Build.Context, name)
			require.Equal(t, "Dockerfile", s.Build.Dockerfile, name)
			if hiresyncImage == "" {
				hiresyncImage = s.Image
			}
			require.Equal(t, hiresyncImage, s.Image, "%s: one hiresync image, built once", name)
			continue
		}
		require.True(t, exactTag.MatchString(tag) || strings.HasPrefix(digest, "sha256:"),
			"%s: %s is not pinned to an exact version", name, s.Image)
	}
	for _, name := range []string{composeIngress, composeWorker, "temporal-setup", "slack-double", "hubspot-double", "handoff-double", "hubspot-setup"} {
		require.NotNil(t, service(t, p, name).Build, "%s runs the hiresync image", name)
	}

	img, tag, _ := splitImage(service(t, p, "temporal").Image)
	require.Equal(t, "temporalio/server", img)
	require.Equal(t, temporalServerVersion, tag, "the server the Temporal CLI v1.5.1 dev server embeds")
	for _, name := range []string{"temporal-schema", "temporal-namespace"} {
		img, tag, _ := splitImage(service(t, p, name).Image)
		require.Equal(t, "temporalio/admin-tools", img, name)
		require.True(t, strings.HasPrefix(tag, temporalServerVersion+"-"), "%s: admin-tools of the server's release, got %s", name, tag)
	}
	img, _, _ = splitImage(service(t, p, "temporal-ui").Image)
	require.Equal(t, "temporalio/ui", img)
	img, _, _ = splitImage(service(t, p, "postgresql").Image)
	require.Equal(t, "postgres", img)
}

func TestComposeHealthAndOrder(t *testing.T) {
	p := composeProject(t)

	pg := service(t, p, "postgresql")
	require.NotNil(t, pg.HealthCheck)
	require.False(t, pg.HealthCheck.Disable)
	require.Contains(t, pg.HealthCheck.Test, "pg_isready")
	require.True(t, slices.ContainsFunc(pg.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == types.VolumeTypeVolume && v.Source == "postgresql-data" && v.Target == "/var/lib/postgresql/data"
	}), "PostgreSQL data on the named volume: %+v", pg.Volumes)
	require.Contains(t, p.Volumes, "postgresql-data", "a named volume for PostgreSQL")

	tmp := service(t, p, "temporal")
	require.NotNil(t, tmp.HealthCheck)
	require.False(t, tmp.HealthCheck.Disable)
	require.Equal(t, []string{"CMD", "temporal", "operator", "cluster", "health", "--address", "temporal:7233"},
		[]string(tmp.HealthCheck.Test))

	healthy, completed := types.ServiceConditionHealthy, types.ServiceConditionCompletedSuccessfully
	wantDeps := map[string]map[string]string{
		"temporal-schema":    {"postgresql": healthy},
		"temporal":           {"postgresql": healthy, "temporal-schema": completed},
		"temporal-namespace": {"temporal": healthy},
		"temporal-setup":     {"temporal": healthy, "temporal-namespace": completed},
		"temporal-ui":        {"temporal": healthy},
		composeIngress:       {"temporal": healthy, "temporal-setup": completed},
		composeWorker:        {"temporal": healthy, "temporal-setup": completed},
		"hubspot-setup":      {"hubspot-double": healthy},
	}
	for name, s := range p.Services {
		got := map[string]string{}
		for dep, d := range s.DependsOn {
			got[dep] = d.Condition
		}
		want := wantDeps[name]
		if want == nil {
			want = map[string]string{}
		}
		require.Equal(t, want, got, "%s depends_on", name)
	}

	// Whatever is waited on can deliver: a health check behind every
	// service_healthy, a job that ends behind every
	// service_completed_successfully.
	for name, s := range p.Services {
		for dep, d := range s.DependsOn {
			target := service(t, p, dep)
			switch d.Condition {
			case healthy:
				require.NotNil(t, target.HealthCheck, "%s waits for %s to be healthy", name, dep)
				require.False(t, target.HealthCheck.Disable, "%s waits for %s to be healthy", name, dep)
			case completed:
				require.True(t, oneShot(target),
					"%s waits for %s to complete, but its restart policy is %q", name, dep, target.Restart)
			}
		}
	}

	// Every long-running service has a health check; those of the hiresync
	// image run `hiresync healthcheck` against their own listener.
	entrypoint := imageEntrypoint(t)
	for name, s := range p.Services {
		if oneShot(s) {
			continue
		}
		if _, ok := noHealthcheck[name]; ok {
			continue
		}
		hc := s.HealthCheck
		require.NotNil(t, hc, "%s: a long-running service without a health check", name)
		require.False(t, hc.Disable, "%s: health check disabled", name)
		require.NotEmpty(t, hc.Test, name)
		if s.Build == nil {
			continue
		}
		want := append([]string{"CMD"}, entrypoint...)
		want = append(want, "healthcheck", "--url")
		require.Len(t, hc.Test, len(want)+1, "%s: %q", name, hc.Test)
		require.Equal(t, want, []string(hc.Test[:len(want)]), "%s: the distroless image checks itself with `hiresync healthcheck`", name)
		u, err := url.Parse(hc.Test[len(want)])
		require.NoError(t, err, name)
		require.Equal(t, "http", u.Scheme, name)
		require.Contains(t, []string{"127.0.0.1", "localhost"}, u.Hostname(), "%s: the container's own listener", name)
		listeners := hiresyncListeners(t, s)
		h, ok := listeners[u.Port()]
		require.True(t, ok, "%s: health check on port %q, but the service listens on %v", name, u.Port(), slices.Collect(maps.Keys(listeners)))
		if h == nil {
			require.Equal(t, hiresync.HealthPath, u.Path, name)
		} else {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
			require.Equal(t, http.StatusOK, rec.Code, "%s: GET %s, without a token", name, u.RequestURI())
		}
		if hc.Timeout != nil {
			require.Greater(t, time.Duration(*hc.Timeout), 3*time.Second,
				"%s: room for `hiresync healthcheck`'s own 3 s timeout", name)
		}
	}
	for name := range noHealthcheck {
		require.False(t, oneShot(service(t, p, name)), "%s: a one-shot needs no exemption", name)
	}

	// The schema job creates and upgrades both databases with the schema
	// files of its own release.
	schema := strings.Join(service(t, p, "temporal-schema").Command, "\n")
	for _, s := range []string{
		"temporal-sql-tool", "--plugin postgres12",
		"--db temporal create", "--db temporal_visibility create",
		"/etc/temporal/schema/postgresql/v12", "/temporal/versioned", "/visibility/versioned",
	} {
		require.Contains(t, schema, s)
	}
	ns := strings.Join(service(t, p, "temporal-namespace").Command, "\n")
	require.Contains(t, ns, "temporal operator namespace create")
	require.Equal(t, types.ShellCommand{"setup"}, service(t, p, "temporal-setup").Command)
}

// noHealthcheck are the long-running services without a health check, and
// why. Nothing may wait for them to be healthy (checked above).
var noHealthcheck = map[string]string{
	"temporal-ui": "nothing waits on it, and no probe tool of its image is part of its published contract",
}

// oneShot reports whether s is a job that ends (its restart policy never
// restarts a success) rather than a long-running service.
func oneShot(s types.ServiceConfig) bool {
	return s.Restart == "no" || strings.HasPrefix(s.Restart, "on-failure")
}

// imageEntrypoint is the ENTRYPOINT of the Dockerfile's runtime stage: the
// binary's path in the image.
func imageEntrypoint(t *testing.T) []string {
	t.Helper()
	stages := parseDockerfile(t)
	for _, in := range stages[len(stages)-1].instructions {
		if rest, ok := strings.CutPrefix(in, "ENTRYPOINT "); ok {
			var args []string
			require.NoError(t, json.Unmarshal([]byte(rest), &args), "ENTRYPOINT in exec form")
			return args
		}
	}
	t.Fatal("the runtime stage has no ENTRYPOINT")
	return nil
}

// hiresyncListeners returns the ports a long-running service of the
// hiresync image listens on, read from its environment or command, each
// with the handler behind it when the test can run it without Temporal (the
// doubles), else nil (the ingress, and the worker's metrics listener, which
// serve hiresync.HealthPath).
func hiresyncListeners(t *testing.T, s types.ServiceConfig) map[string]http.Handler {
	t.Helper()
	port := func(addr string) string {
		host, port, err := net.SplitHostPort(addr)
		require.NoError(t, err, "%s: listen address %q", s.Name, addr)
		require.Contains(t, []string{"", "0.0.0.0", "::", "127.0.0.1", "localhost"}, host,
			"%s: %s must be reachable from inside the container on 127.0.0.1", s.Name, addr)
		require.NotEmpty(t, port, "%s: listen address %q", s.Name, addr)
		return port
	}
	env := environment(t, s)
	cmd := []string(s.Command)
	out := map[string]http.Handler{}
	switch {
	case slices.Equal(cmd, []string{"ingress"}):
		out[port(env["HIRESYNC_HTTP_ADDR"])] = nil
	case slices.Equal(cmd, []string{"worker"}):
		out[port(env["HIRESYNC_METRICS_ADDR"])] = nil
	case len(cmd) > 0 && cmd[0] == "doubles":
		for i := 1; i+1 < len(cmd); i++ {
			switch strings.TrimLeft(cmd[i], "-") {
			case "slack":
				out[port(cmd[i+1])] = slackdouble.New().Handler()
			case "hubspot":
				out[port(cmd[i+1])] = hubspotdouble.New(hubspotdouble.Options{}).Handler()
			case "handoff":
				d, err := handoffdouble.New(handoffdouble.Options{})
				require.NoError(t, err)
				out[port(cmd[i+1])] = d.Handler()
			}
		}
	default:
		t.Fatalf("%s: which port does `hiresync %s` listen on? Teach hiresyncListeners.", s.Name, strings.Join(cmd, " "))
	}
	require.NotEmpty(t, out, "%s listens nowhere", s.Name)
	return out
}

func TestComposeTemporalServer(t *testing.T) {
	p := composeProject(t)
	root := moduleRoot(t)
	s := service(t, p, "temporal")
	env := environment(t, s)
	require.Equal(t, env["POSTGRES_PWD"], environment(t, service(t, p, "postgresql"))["POSTGRES_PASSWORD"])

	// The server runs deploy/temporal/hiresync.yaml (cluster_test.go
	// compares it with the local cluster's), and the dynamic config file that
	// configuration names, both from the mounted deploy/temporal folder.
	const target = "/etc/hiresync/temporal"
	require.Equal(t, types.ShellCommand{"temporal-server"}, s.Entrypoint)
	require.Equal(t, types.ShellCommand{"--root", "/", "--config", target, "--env", "hiresync", "--allow-no-auth", "start"}, s.Command)
	var mounted bool
	for _, v := range s.Volumes {
		if v.Target == target {
			mounted = true
			require.Equal(t, types.VolumeTypeBind, v.Type)
			require.True(t, v.ReadOnly)
			require.Equal(t, filepath.Join(root, "deploy", "temporal"), filepath.Clean(v.Source))
		}
	}
	require.True(t, mounted, "deploy/temporal mounted at %s", target)
	dc := env["DYNAMIC_CONFIG_FILE_PATH"]
	require.True(t, strings.HasPrefix(dc, target+"/"), "DYNAMIC_CONFIG_FILE_PATH=%s", dc)
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", strings.TrimPrefix(dc, target+"/")))
	require.NoError(t, err, "the file DYNAMIC_CONFIG_FILE_PATH names")
	var cfg map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cfg))
	require.NotEmpty(t, cfg)
	for k, vs := range cfg {
		require.NotEmpty(t, vs, k)
		for _, v := range vs {
			require.NotNil(t, v.Value, k)
		}
	}
	require.Equal(t, 255, cfg["limit.maxIDLength"][0].Value)

	require.True(t, slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool {
		return pc.Target == 7233 && pc.Published == "7233"
	}), "Temporal frontend on 7233")

	ui := environment(t, service(t, p, "temporal-ui"))
	require.Equal(t, "temporal:7233", ui["TEMPORAL_ADDRESS"])
}

// configEnvVars is every variable the binary reads: the lookups of the
// config package (get("NAME", …), get(pkg.Const, …) and the parsing helpers
// called with get), the logger's os.Getenv calls in cmd/hiresync/main.go
// (every process reads them), and the Temporal client's pair. A lookup the
// scan cannot resolve to a name fails the test rather than being skipped.
// Variables of subcommands compose does not run (simulate, codec-server)
// are not included.
func configEnvVars(t *testing.T) []string {
	t.Helper()
	root := moduleRoot(t)
	vars := map[string]bool{"TEMPORAL_ADDRESS": true, "TEMPORAL_NAMESPACE": true}
	for _, name := range configLookups(t, root) {
		vars[name] = true
	}
	src, err := os.ReadFile(filepath.Join(root, "cmd", "hiresync", "main.go"))
	require.NoError(t, err)
	getenv := regexp.MustCompile(`os\.(?:Getenv|LookupEnv)\("([A-Z][A-Z0-9_]*)"\)`)
	for _, m := range getenv.FindAllStringSubmatch(string(src), -1) {
		vars[m[1]] = true
	}
	var out []string
	for v := range vars {
		out = append(out, v)
	}
	sort.Strings(out)
	// The scan must keep finding what it is meant to find.
	for _, v := range []string{
		"HIRESYNC_TASK_QUEUE", "HIRESYNC_HTTP_ADDR", "CLARITYHIRE_WEBHOOK_SECRETS", "HIRESYNC_ROUTES",
		"SLACK_BOT_TOKEN", "SLACK_API_URL", "HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_URL",
		"HIRESYNC_HUBSPOT_WINDOW", "HIRESYNC_METRICS_ADDR", "HIRESYNC_LOG_FORMAT", codec.EnvVar,
	} {
		require.Contains(t, out, v, "the scan of config/ and cmd/hiresync/main.go")
	}
	return out
}

// configLookups parses the config package and returns the variable names
// passed to its get function: get(NAME, …) and helper(get, NAME, …), with
// NAME a string literal, a constant of the package or a constant of another
// package of this module.
func configLookups(t *testing.T, root string) []string {
	t.Helper()
	const module = "github.com/hiresync/hiresync"
	dir := filepath.Join(root, "config")
	files := parseGoDir(t, dir)
	var names []string
	for _, f := range files {
		imports := map[string]string{} // package name → directory
		for _, im := range f.Imports {
			path, err := strconv.Unquote(im.Path.Value)
			require.NoError(t, err)
			rel, ok := strings.CutPrefix(path, module+"/")
			if !ok {
				continue
			}
			name := filepath.Base(rel)
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = filepath.Join(root, filepath.FromSlash(rel))
		}
		resolve := func(e ast.Expr) string {
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					s, err := strconv.Unquote(e.Value)
					require.NoError(t, err)
					return s
				}
			case *ast.Ident:
				return stringConst(t, dir, e.Name)
			case *ast.SelectorExpr:
				if pkg, ok := e.X.(*ast.Ident); ok && imports[pkg.Name] != "" {
					return stringConst(t, imports[pkg.Name], e.Sel.Name)
				}
			}
			t.Fatalf("config: cannot tell which variable %s looks up", gotypes.ExprString(e))
			return ""
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			// Inside a helper such as positiveInt(get, name, def), get(name, …)
			// looks up a parameter: the name is read at the helper's call site.
			params := map[string]bool{}
			for _, field := range fd.Type.Params.List {
				for _, id := range field.Names {
					params[id.Name] = true
				}
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if fn, ok := call.Fun.(*ast.Ident); ok && fn.Name == "get" && len(call.Args) > 0 {
					if id, ok := call.Args[0].(*ast.Ident); !ok || !params[id.Name] {
						names = append(names, resolve(call.Args[0]))
					}
					return true
				}
				for i, a := range call.Args {
					if id, ok := a.(*ast.Ident); ok && id.Name == "get" && i+1 < len(call.Args) {
						names = append(names, resolve(call.Args[i+1]))
					}
				}
				return true
			})
		}
	}
	return names
}

func parseGoDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		files = append(files, f)
	}
	require.NotEmpty(t, files, dir)
	return files
}

// stringConstValue finds the string constant name declared in dir.
func stringConstValue(t *testing.T, dir, name string) (string, bool) {
	t.Helper()
	for _, f := range parseGoDir(t, dir) {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						return s, true
					}
				}
			}
		}
	}
	return "", false
}

func stringConst(t *testing.T, dir, name string) string {
	t.Helper()
	s, ok := stringConstValue(t, dir, name)
	require.True(t, ok, "no string constant %s in %s", name, dir)
	return s
}

func environment(t *testing.T, s types.ServiceConfig) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range s.Environment {
		require.NotNil(t, v, "%s: %s has no value", s.Name, k)
		env[k] = *v
	}
	return env
}

func TestComposeHiresyncEnvironment(t *testing.T) {
	p := composeProject(t)
	ingress := environment(t, service(t, p, composeIngress))
	worker := environment(t, service(t, p, composeWorker))

	for _, v := range configEnvVars(t) {
		if slices.Contains(ingressOnlyEnv, v) {
			require.Contains(t, ingress, v, "%s: a variable the ingress reads is missing from %s", v, composeIngress)
			continue
		}
		require.Contains(t, worker, v, "%s: a variable hiresync reads is missing from %s (or, if only the ingress reads it, from ingressOnlyEnv)", v, composeWorker)
	}
	for _, v := range sharedEnv {
		require.Contains(t, ingress, v)
		require.Equal(t, ingress[v], worker[v], "%s must match on ingress and worker", v)
	}
	require.Equal(t, "temporal:7233", ingress["TEMPORAL_ADDRESS"])
	require.Equal(t, "default", ingress["TEMPORAL_NAMESPACE"])
	require.Equal(t, "hiresync", ingress["HIRESYNC_TASK_QUEUE"])
	require.Equal(t, "json", ingress["HIRESYNC_LOG_FORMAT"])
	require.Equal(t, "whsec_dGVzdC1zZWNyZXQ=", ingress["CLARITYHIRE_WEBHOOK_SECRETS"])
	require.Equal(t, routesInImage, worker["HIRESYNC_ROUTES"])

	// Least privilege: the internet-facing ingress has no downstream
	// tokens, the worker no webhook secrets.
	for _, v := range []string{"SLACK_BOT_TOKEN", "HUBSPOT_ACCESS_TOKEN"} {
		require.NotContains(t, ingress, v)
	}
	require.NotContains(t, worker, "CLARITYHIRE_WEBHOOK_SECRETS")

	// setup registers the search attributes where the ingress and worker run.
	setup := environment(t, service(t, p, "temporal-setup"))
	for _, v := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		require.Equal(t, ingress[v], setup[v], v)
	}
	ns := environment(t, service(t, p, "temporal-namespace"))
	require.Equal(t, ingress["TEMPORAL_NAMESPACE"], ns["TEMPORAL_NAMESPACE"], "the namespace created is the one used")

	// The doubles' setup talks to HubSpot exactly as the worker does.
	hs := environment(t, service(t, p, "hubspot-setup"))
	for _, v := range []string{"HUBSPOT_ACCESS_TOKEN", "HUBSPOT_API_URL"} {
		require.Equal(t, worker[v], hs[v], v)
	}
	require.Equal(t, types.ShellCommand{"hubspot", "setup"}, service(t, p, "hubspot-setup").Command)
	require.Equal(t, types.ShellCommand{"doubles", "-slack", "0.0.0.0:8091"}, service(t, p, "slack-double").Command[:3])
	require.Equal(t, types.ShellCommand{"doubles", "-hubspot", "0.0.0.0:8092"}, service(t, p, "hubspot-double").Command[:3])
	require.Equal(t, types.ShellCommand{"doubles", "-handoff", "0.0.0.0:8093"}, service(t, p, "handoff-double").Command)
	// The receiver verifies with the secret the worker signs with.
	const secret = "whsec_aGFuZG9mZi10ZXN0LXNlY3JldA=="
	withHandoff, err := loadCompose(t, map[string]string{"CLARITYHIRE_WEBHOOK_SECRETS": "whsec_dGVzdC1zZWNyZXQ=",
		"HIRESYNC_HANDOFF_URL": "http://handoff-double:8093/hire-handoff", "HIRESYNC_HANDOFF_SECRET": secret})
	require.NoError(t, err)
	require.Equal(t, secret, environment(t, service(t, withHandoff, "handoff-double"))["HIRESYNC_HANDOFF_SECRET"])
	require.Equal(t, secret, environment(t, service(t, withHandoff, composeWorker))["HIRESYNC_HANDOFF_SECRET"])
	// The Slack double knows the recruiters of the routes baked into the
	// image, so that their mentions resolve as with `make run`.
	routes, err := config.LoadRoutes(filepath.Join(moduleRoot(t), "examples", "routes.yaml"))
	require.NoError(t, err)
	slackCmd := []string(service(t, p, "slack-double").Command)
	users := slackCmd[slices.Index(slackCmd, "-slack-users")+1]
	for _, r := range routes.Recruiters() {
		require.Contains(t, users, r, "the Slack double knows recruiter %s", r)
	}
	require.Equal(t, types.ShellCommand{"ingress"}, service(t, p, composeIngress).Command)
	require.Equal(t, types.ShellCommand{"worker"}, service(t, p, composeWorker).Command)
}

func publishes(s types.ServiceConfig, target uint32, published string) bool {
	return slices.ContainsFunc(s.Ports, func(pc types.ServicePortConfig) bool {
		return pc.Target == target && pc.Published == published
	})
}

func TestComposePorts(t *testing.T) {
	p := composeProject(t)
	ingress := service(t, p, composeIngress)
	require.True(t, publishes(ingress, 8080, "8080"), "webhooks on 8080: %+v", ingress.Ports)
	_, port, _ := strings.Cut(environment(t, ingress)["HIRESYNC_HTTP_ADDR"], ":")
	require.Equal(t, "8080", port, "the ingress listens on the published port")

	worker := service(t, p, composeWorker)
	require.True(t, publishes(worker, 9090, "9090"), "worker metrics on 9090: %+v", worker.Ports)
	_, port, _ = strings.Cut(environment(t, worker)["HIRESYNC_METRICS_ADDR"], ":")
	require.Equal(t, "9090", port)

	ui := service(t, p, "temporal-ui")
	require.True(t, publishes(ui, 8080, "8233"), "Web UI on 8233: %+v", ui.Ports)
	require.True(t, publishes(service(t, p, "slack-double"), 8091, "8091"))
	require.True(t, publishes(service(t, p, "hubspot-double"), 8092, "8092"))
	require.True(t, publishes(service(t, p, "handoff-double"), 8093, "8093"))
	require.Empty(t, service(t, p, "postgresql").Ports, "PostgreSQL stays inside the network")
}

func TestComposeRequiresWebhookSecrets(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"unset": {},
		"empty": {"CLARITYHIRE_WEBHOOK_SECRETS": ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadCompose(t, env)
			require.Error(t, err, "compose must refuse to start without CLARITYHIRE_WEBHOOK_SECRETS")
			require.Contains(t, err.Error(), "CLARITYHIRE_WEBHOOK_SECRETS")
		})
	}
}

// dockerfile is the parsed Dockerfile: its stages and instructions, with
// continuation lines joined and comments dropped.
type dockerfileStage struct {
	image, name  string
	instructions []string // "COPY go.mod go.sum ./", …
}

func parseDockerfile(t *testing.T) []dockerfileStage {
	t.Helper()
	f, err := os.Open(filepath.Join(moduleRoot(t), "Dockerfile"))
	require.NoError(t, err)
	defer f.Close()
	var stages []dockerfileStage
	var cur strings.Builder
	sc := bufio.NewScanner(f)
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		fields := strings.Fields(line)
		if strings.EqualFold(fields[0], "FROM") {
			var args []string
			for _, a := range fields[1:] {
				if !strings.HasPrefix(a, "--") {
					args = append(args, a)
				}
			}
			require.NotEmpty(t, args, line)
			st := dockerfileStage{image: args[0]}
			if len(args) == 3 && strings.EqualFold(args[1], "AS") {
				st.name = args[2]
			}
			stages = append(stages, st)
			return
		}
		require.NotEmpty(t, stages, "instruction before FROM: %s", line)
		fields[0] = strings.ToUpper(fields[0])
		stages[len(stages)-1].instructions = append(stages[len(stages)-1].instructions, strings.Join(fields, " "))
	}
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	require.NoError(t, sc.Err())
	flush()
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t)
	require.Len(t, stages, 2, "a build stage and a runtime stage")
	for _, st := range stages {
		_, tag, digest := splitImage(st.image)
		require.True(t, tag != "" && tag != "latest" || digest != "", "FROM %s is not pinned", st.image)
	}

	// Build: golang on bookworm at the exact Go version of go.mod.
	build := stages[0]
	img, tag, _ := splitImage(build.image)
	require.Equal(t, "golang", img)
	gomod, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.mod"))
	require.NoError(t, err)
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)$`).FindSubmatch(gomod)
	require.NotNil(t, goLine, "go.mod's go line")
	require.Equal(t, string(goLine[1])+"-bookworm", tag, "the build image's Go is go.mod's")
	require.NotEmpty(t, build.name)

	at := func(st dockerfileStage, prefix string) int {
		return slices.IndexFunc(st.instructions, func(s string) bool { return strings.HasPrefix(s, prefix) })
	}
	mods, download, all, compile := at(build, "COPY go.mod go.sum"), at(build, "RUN go mod download"), at(build, "COPY . "), at(build, "RUN CGO_ENABLED=0 go build")
	require.True(t, mods >= 0 && download > mods && all > download && compile > all,
		"go.mod and go.sum, then go mod download, then the sources, then go build: %q", build.instructions)
	require.Contains(t, build.instructions[compile], "-trimpath")
	require.Contains(t, build.instructions[compile], "./cmd/hiresync")

	// Runtime: distroless static, nonroot, the binary and the routes file.
	run := stages[1]
	img, tag, _ = splitImage(run.image)
	require.Equal(t, "gcr.io/distroless/static-debian12", img)
	require.Contains(t, tag, "nonroot")
	require.Contains(t, run.instructions, "COPY --from="+build.name+" /out/hiresync /hiresync")
	require.Contains(t, run.instructions, "COPY examples/routes.yaml "+routesInImage)
	require.FileExists(t, filepath.Join(moduleRoot(t), "examples", "routes.yaml"))
	require.Contains(t, run.instructions, "USER nonroot")
	require.Contains(t, run.instructions, "EXPOSE 8080 9090")

	exec := func(prefix string) []string {
		i := at(run, prefix+" ")
		require.GreaterOrEqual(t, i, 0, prefix)
		var args []string
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(run.instructions[i], prefix+" ")), &args), "%s in exec form", prefix)
		return args
	}
	require.Equal(t, []string{"/hiresync"}, exec("ENTRYPOINT"))
	require.Equal(t, []string{"serve"}, exec("CMD"))

	ignore, err := os.ReadFile(filepath.Join(moduleRoot(t), ".dockerignore"))
	require.NoError(t, err)
	for _, p := range []string{"bin/", ".data/", ".git", "*.test"} {
		require.Contains(t, strings.Fields(string(ignore)), p, ".dockerignore")
	}
}
