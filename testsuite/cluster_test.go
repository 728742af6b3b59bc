package testsuite_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hiresync/hiresync/testsuite"
)

// TestClusterAndComposeShareTemporalConfig: docker-compose.yml's temporal
// service and the local cluster of `make cluster` / `make test-cluster`
// (scripts/cluster.sh) run the same server configuration,
// deploy/temporal/hiresync.yaml, and once rendered with each one's
// environment the two differ in nothing but where things listen and the
// dynamic config file's path, which names the same file.
func TestClusterAndComposeShareTemporalConfig(t *testing.T) {
	root := moduleRoot(t)
	compose := service(t, composeProject(t), "temporal")
	composeEnv := environment(t, compose)

	script := filepath.Join(root, "scripts", "cluster.sh")
	clusterEnv := map[string]string{}
	for _, kv := range strings.Fields(runScript(t, script, "server-env")) {
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, kv)
		clusterEnv[k] = v
	}
	for _, svc := range []string{"frontend", "history", "matching", "worker"} {
		args := strings.Fields(runScript(t, script, "server-args", svc))
		require.Equal(t, []string{"--root", "/", "--config", filepath.Join(root, "deploy", "temporal"),
			"--env", "hiresync", "--allow-no-auth", "start", "--service", svc}, args)
	}
	// Compose: the same folder, mounted; the same environment name.
	require.Equal(t, []string{"--root", "/", "--config", "/etc/hiresync/temporal", "--env", "hiresync", "--allow-no-auth", "start"},
		[]string(compose.Command))

	composeCfg := renderServerConfig(t, root, composeEnv)
	clusterCfg := renderServerConfig(t, root, clusterEnv)

	listening := []string{
		"persistence.datastores.default.sql.connectAddr",
		"persistence.datastores.visibility.sql.connectAddr",
		"clusterMetadata.clusterInformation.active.rpcAddress",
		"clusterMetadata.clusterInformation.active.httpAddress",
		"dynamicConfigClient.filepath",
	}
	for _, svc := range []string{"frontend", "history", "matching", "worker"} {
		for _, k := range []string{"grpcPort", "membershipPort", "httpPort", "bindOnIP"} {
			listening = append(listening, "services."+svc+".rpc."+k)
		}
	}
	diff := differences("", composeCfg, clusterCfg)
	for _, d := range diff {
		require.Contains(t, listening, d, "compose and the cluster differ in %s", d)
	}
	require.Contains(t, diff, "services.frontend.rpc.grpcPort", "the cluster has ports of its own")

	// What the differences are: compose's standard ports, the cluster's
	// shifted by its offset; and one dynamic config file.
	require.Equal(t, 7233, lookup(t, composeCfg, "services.frontend.rpc.grpcPort"))
	require.Equal(t, 17233, lookup(t, clusterCfg, "services.frontend.rpc.grpcPort"))
	require.Equal(t, "postgresql:5432", lookup(t, composeCfg, "persistence.datastores.default.sql.connectAddr"))
	require.Equal(t, "127.0.0.1:15432", lookup(t, clusterCfg, "persistence.datastores.default.sql.connectAddr"))
	require.Equal(t, "0.0.0.0", lookup(t, composeCfg, "services.frontend.rpc.bindOnIP"))
	require.Equal(t, "127.0.0.1", lookup(t, clusterCfg, "services.frontend.rpc.bindOnIP"))
	composeDC, _ := lookup(t, composeCfg, "dynamicConfigClient.filepath").(string)
	rel, ok := strings.CutPrefix(composeDC, "/etc/hiresync/temporal/")
	require.True(t, ok, composeDC)
	require.Equal(t, filepath.Join(root, "deploy", "temporal", rel), lookup(t, clusterCfg, "dynamicConfigClient.filepath"))

	// And both are the PostgreSQL engine, visibility included.
	for _, cfg := range []map[string]any{composeCfg, clusterCfg} {
		require.Equal(t, "postgres12", lookup(t, cfg, "persistence.datastores.default.sql.pluginName"))
		require.Equal(t, "postgres12", lookup(t, cfg, "persistence.datastores.visibility.sql.pluginName"))
		require.Equal(t, "visibility", lookup(t, cfg, "persistence.visibilityStore"))
	}
}

// renderServerConfig renders deploy/temporal/hiresync.yaml as Temporal
// server 1.29 renders a configuration file marked enable-template: a Go
// template with sprig's functions, env reading the process environment,
// here env alone.
func renderServerConfig(t *testing.T, root string, env map[string]string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "hiresync.yaml"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(raw), "# enable-template\n"), "the server renders only files that ask for it")
	funcs := sprig.FuncMap()
	funcs["env"] = func(k string) string { return env[k] }
	tpl, err := template.New("hiresync.yaml").Funcs(funcs).Parse(string(raw))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, tpl.Execute(&out, nil))
	var cfg map[string]any
	require.NoError(t, yaml.Unmarshal(out.Bytes(), &cfg), out.String())
	return cfg
}

// differences lists the dotted paths at which a and b differ.
func differences(path string, a, b any) []string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		if fmt.Sprint(a) == fmt.Sprint(b) {
			return nil
		}
		return []string{path}
	}
	keys := slices.Sorted(maps.Keys(am))
	for k := range bm {
		if _, ok := am[k]; !ok {
			keys = append(keys, k)
		}
	}
	var out []string
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		out = append(out, differences(p, am[k], bm[k])...)
	}
	return out
}

func lookup(t *testing.T, cfg map[string]any, path string) any {
	t.Helper()
	var v any = cfg
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s: %s is not a mapping", path, k)
		v, ok = m[k]
		require.True(t, ok, "%s: no %s", path, k)
	}
	return v
}

func runScript(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), "CLUSTER_PORT_OFFSET=10000", "CLUSTER_DIR=")
	out, err := cmd.Output()
	require.NoError(t, err, "%s %v", script, args)
	return string(out)
}

// TestDevServersRunProductionsDynamicConfig: the settings the dev servers
// get (testsuite.DevServerArgs, and scripts/run-local.sh's for `make run`)
// are those of deploy/temporal/dynamicconfig.yaml, so tests, benchmarks and
// the local run behave as production does.
func TestDevServersRunProductionsDynamicConfig(t *testing.T) {
	root := moduleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "deploy", "temporal", "dynamicconfig.yaml"))
	require.NoError(t, err)
	var dc map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	require.NoError(t, yaml.Unmarshal(b, &dc))
	script, err := os.ReadFile(filepath.Join(root, "scripts", "run-local.sh"))
	require.NoError(t, err)

	args := testsuite.DevServerArgs
	require.NotEmpty(t, args)
	for i := 0; i < len(args); i += 2 {
		require.Equal(t, "--dynamic-config-value", args[i])
		key, value, ok := strings.Cut(args[i+1], "=")
		require.True(t, ok, args[i+1])
		values := dc[key]
		require.Len(t, values, 1, "%s in dynamicconfig.yaml", key)
		require.Empty(t, values[0].Constraints, "%s applies everywhere", key)
		require.Equal(t, value, fmt.Sprint(values[0].Value), key)
		require.Contains(t, string(script), "--dynamic-config-value "+args[i+1], "scripts/run-local.sh")
	}
}
