package slackscopes_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/hiresync/hiresync/activities/slackscopes"
)

// moduleRoot is two folders up from this package.
const moduleRoot = "../.."

// TestManifestGrantsExactlyTheTable: the manifest's bot scopes are the
// table's, no more and no fewer.
func TestManifestGrantsExactlyTheTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moduleRoot, "deploy", "slack-app-manifest.yaml"))
	require.NoError(t, err)
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot  []string `yaml:"bot"`
				User []string `yaml:"user"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
		Settings struct {
			Interactivity struct {
				IsEnabled  bool   `yaml:"is_enabled"`
				RequestURL string `yaml:"request_url"`
			} `yaml:"interactivity"`
		} `yaml:"settings"`
	}
	require.NoError(t, yaml.Unmarshal(b, &m))
	got := slices.Sorted(slices.Values(m.OAuth.Scopes.Bot))
	require.Equal(t, slackscopes.All(), got, "deploy/slack-app-manifest.yaml bot scopes")
	require.Empty(t, m.OAuth.Scopes.User, "hiresync acts as its bot only")
	require.True(t, m.Settings.Interactivity.IsEnabled)
	require.True(t, strings.HasSuffix(m.Settings.Interactivity.RequestURL, "/slack/interactivity"),
		"interactivity request URL %q should end in the ingress's path", m.Settings.Interactivity.RequestURL)
}

// slackGoMethods maps slack-go's client methods to the Web API method each
// calls. A method the code starts to call must be added here and, with
// its scopes, to slackscopes.Scopes.
var slackGoMethods = map[string]string{
	"AuthTest":               slackscopes.MethodAuthTest,
	"PostMessage":            slackscopes.MethodPostMessage,
	"SendMessage":            slackscopes.MethodPostMessage,
	"UpdateMessage":          slackscopes.MethodUpdate,
	"GetConversationHistory": slackscopes.MethodConversationsHistory,
	"GetConversationReplies": slackscopes.MethodConversationsReplies,
	"GetConversationInfo":    slackscopes.MethodConversationsInfo,
	"GetUserByEmail":         slackscopes.MethodUsersLookupByEmail,
	"GetUserInfo":            slackscopes.MethodUsersInfo,
}

// TestCodeCallsOnlyMethodsInTheTable reads every Go file of the module
// that imports slack-go (tests and the doubles aside) and fails on a call
// of a *slack.Client method whose Web API method, or its scopes, the table
// does not have.
func TestCodeCallsOnlyMethodsInTheTable(t *testing.T) {
	clientMethods := map[string]bool{}
	typ := reflect.TypeOf(&slack.Client{})
	for i := range typ.NumMethod() {
		clientMethods[typ.Method(i).Name] = true
	}
	calls := slackGoCalls(t, clientMethods)
	require.NotEmpty(t, calls, "the scan found no slack-go calls at all: is it reading the module?")
	for name, where := range calls {
		api, known := slackGoMethods[strings.TrimSuffix(name, "Context")]
		if !known {
			t.Errorf("%s calls slack-go %s: add its Web API method to slackGoMethods and, with its scopes, to slackscopes.Scopes and the manifest", where, name)
			continue
		}
		if _, ok := slackscopes.Scopes[api]; !ok {
			t.Errorf("%s calls %s (slack-go %s), which slackscopes.Scopes lacks: add it with its scopes, and the scopes to the manifest", where, api, name)
		}
	}
}

// slackGoCalls returns the *slack.Client methods called in the module's
// non-test files that import slack-go, each with one place it is called.
func slackGoCalls(t *testing.T, clientMethods map[string]bool) map[string]string {
	t.Helper()
	calls := map[string]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "doubles", "testsuite", "bench", "bin", ".data", ".git", "vendor":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		alias := slackImport(f)
		if alias == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !clientMethods[sel.Sel.Name] {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == alias {
				return true // a package function such as slack.New, not a client call
			}
			if _, seen := calls[sel.Sel.Name]; !seen {
				calls[sel.Sel.Name] = fset.Position(call.Pos()).String()
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	return calls
}

// slackImport is the name slack-go is imported under in f, or "".
func slackImport(f *ast.File) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "github.com/slack-go/slack" {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return "slack"
		}
	}
	return ""
}

func TestMissing(t *testing.T) {
	require.Empty(t, slackscopes.Missing(slackscopes.All()))
	require.Equal(t, []string{"chat:write"}, slackscopes.Missing([]string{"users:read"}, slackscopes.MethodPostMessage, slackscopes.MethodUsersInfo))
	require.Equal(t, []string{"users:read.email"}, slackscopes.Missing(slices.DeleteFunc(slackscopes.All(), func(s string) bool { return s == "users:read.email" })))
}
