// helm-render renders a Helm chart the way `helm template` does, for tests on machines without helm: Go's
// text/template with sprig's functions plus the Helm extras the charts use (include, tpl, required, toYaml,
// fromYaml, toJson, fromJson, lookup), values.yaml merged under the given values files, .Release, .Chart,
// .Capabilities and .Template. It prints the rendered manifests as one YAML stream, each document headed by
// `# Source: <chart>/templates/<file>` like helm does; with --notes it prints the rendered NOTES.txt instead.
//
// Build (GOPATH mode, Debian's golang-go, golang-github-masterminds-sprig-dev, golang-gopkg-yaml.v2-dev, golang-gopkg-yaml.v3-dev):
//
//	GO111MODULE=off GOPATH=<dir>:/usr/share/gocode go build -o <dir>/helm-render main.go
//
// Usage: helm-render [--name R] [--namespace NS] [--kube-version v1.31.0] [--api-versions a/v1,b/v1] [--notes] <chart dir> [values.yaml ...]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"
)

// chartMeta is the part of Chart.yaml templates read as .Chart (Helm's chart.Metadata field names).
type chartMeta struct {
	APIVersion  string            `yaml:"apiVersion"`
	Name        string            `yaml:"name"`
	Version     string            `yaml:"version"`
	AppVersion  string            `yaml:"appVersion"`
	Description string            `yaml:"description"`
	Type        string            `yaml:"type"`
	KubeVersion string            `yaml:"kubeVersion"`
	Home        string            `yaml:"home"`
	Keywords    []string          `yaml:"keywords"`
	Annotations map[string]string `yaml:"annotations"`
}

// apiVersions mirrors Helm's VersionSet: templates call .Capabilities.APIVersions.Has "group/version".
type apiVersions []string

func (v apiVersions) Has(name string) bool {
	for _, x := range v {
		if x == name {
			return true
		}
	}
	return false
}

type kubeVersion struct {
	Version    string
	Major      string
	Minor      string
	GitVersion string
}

type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
}

// builtinAPIVersions are the group/versions of a plain cluster (CRD-backed ones come from --api-versions).
var builtinAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1",
	"coordination.k8s.io/v1", "scheduling.k8s.io/v1", "networking.k8s.io/v1", "apiextensions.k8s.io/v1",
}

const recursionLimit = 1000

func main() {
	name := flag.String("name", "release-name", "release name (.Release.Name)")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	kube := flag.String("kube-version", "v1.31.0", "Kubernetes version (.Capabilities.KubeVersion)")
	extraAPIs := flag.String("api-versions", "", "comma-separated extra group/versions for .Capabilities.APIVersions")
	notes := flag.Bool("notes", false, "print the rendered NOTES.txt instead of the manifests")
	flag.Parse()
	if flag.NArg() < 1 {
		fail(errors.New("usage: helm-render [flags] <chart dir> [values.yaml ...]"))
	}
	out, err := render(flag.Arg(0), flag.Args()[1:], *name, *namespace, *kube, *extraAPIs, *notes)
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString(out)
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "helm-render: %v\n", err)
	os.Exit(1)
}

func render(chartDir string, valueFiles []string, name, namespace, kube, extraAPIs string, notes bool) (string, error) {
	var meta chartMeta
	if err := readYAMLInto(filepath.Join(chartDir, "Chart.yaml"), &meta); err != nil {
		return "", err
	}
	if meta.Name == "" {
		return "", fmt.Errorf("%s/Chart.yaml has no name", chartDir)
	}
	values, err := readValues(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return "", err
	}
	for _, file := range valueFiles {
		user, err := readValues(file)
		if err != nil {
			return "", err
		}
		values = coalesce(user, values)
	}

	major, minor := splitKubeVersion(kube)
	apis := append(apiVersions{}, builtinAPIVersions...)
	for _, a := range strings.Split(extraAPIs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			apis = append(apis, a)
		}
	}
	top := map[string]interface{}{
		"Values": values,
		"Chart":  &meta,
		"Release": map[string]interface{}{
			"Name": name, "Namespace": namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Capabilities": &capabilities{KubeVersion: kubeVersion{Version: kube, Major: major, Minor: minor, GitVersion: kube}, APIVersions: apis},
		"Files":        map[string]interface{}{},
	}

	files, err := templateFiles(chartDir, meta.Name)
	if err != nil {
		return "", err
	}
	t := template.New("gotpl").Option("missingkey=zero")
	t.Funcs(funcMap(t))
	names := make([]string, 0, len(files))
	for n, text := range files {
		if _, err := t.New(n).Parse(text); err != nil {
			return "", err
		}
		names = append(names, n)
	}
	sort.Strings(names)

	var out strings.Builder
	for _, n := range names {
		base := path.Base(n)
		isNotes := base == "NOTES.txt"
		if strings.HasPrefix(base, "_") || isNotes != notes {
			continue
		}
		data := shallowCopy(top)
		data["Template"] = map[string]interface{}{"Name": n, "BasePath": meta.Name + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, n, data); err != nil {
			return "", err
		}
		// Helm prints nothing where a missing value was referenced.
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(text) == "" {
			continue
		}
		if notes {
			out.WriteString(text)
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", n, strings.TrimRight(text, "\n"))
	}
	return out.String(), nil
}

// templateFiles reads every file under <chart>/templates, named <chart name>/templates/<relative path> like Helm.
func templateFiles(chartDir, chartName string) (map[string]string, error) {
	root := filepath.Join(chartDir, "templates")
	files := map[string]string{}
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files[chartName+"/templates/"+filepath.ToSlash(rel)] = string(data)
		return nil
	})
	return files, err
}

func funcMap(t *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these: a chart must not read the environment of whoever renders it.
	delete(f, "env")
	delete(f, "expandenv")
	includeDepth := map[string]int{}
	f["include"] = func(name string, data interface{}) (string, error) {
		includeDepth[name]++
		defer func() { includeDepth[name]-- }()
		if includeDepth[name] > recursionLimit {
			return "", fmt.Errorf("rendering template %q has a nested reference name exceeding the limit of %d", name, recursionLimit)
		}
		var buf bytes.Buffer
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), err
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		parsed, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		err = parsed.Execute(&buf, data)
		return strings.ReplaceAll(buf.String(), "<no value>", ""), err
	}
	f["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil {
			return nil, errors.New(message)
		}
		if s, ok := value.(string); ok && s == "" {
			return nil, errors.New(message)
		}
		return value, nil
	}
	f["toYaml"] = func(v interface{}) string {
		s, err := toYAML(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(s, "\n")
	}
	f["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		var v interface{}
		if err := yamlv3.Unmarshal([]byte(s), &v); err != nil {
			m["Error"] = err.Error()
			return m
		}
		if mm, ok := normalize(v).(map[string]interface{}); ok {
			return mm
		}
		return m
	}
	f["toJson"] = func(v interface{}) string {
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
	f["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	// Without a cluster, lookup finds nothing (as in `helm template`).
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

// toYAML marshals like sigs.k8s.io/yaml (Helm's toYaml): through JSON, so keys sort and numbers are JSON numbers.
func toYAML(v interface{}) (string, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	var generic interface{}
	if err := yamlv2.Unmarshal(j, &generic); err != nil {
		return "", err
	}
	out, err := yamlv2.Marshal(generic)
	return string(out), err
}

func readYAMLInto(file string, into interface{}) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := yamlv3.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	return nil
}

// readValues reads a values file as Helm does (YAML through JSON: maps of strings, numbers as float64).
func readValues(file string) (map[string]interface{}, error) {
	var raw interface{}
	if err := readYAMLInto(file, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(raw).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: values must be a mapping", file)
	}
	return m, nil
}

// normalize turns decoded YAML into JSON-shaped data (map[string]interface{}, []interface{}, float64, ...).
func normalize(v interface{}) interface{} {
	j, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out interface{}
	if err := json.Unmarshal(j, &out); err != nil {
		return v
	}
	return out
}

// coalesce merges user values over defaults: maps merge key by key, anything else replaces, null deletes.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := shallowCopy(defaults)
	for k, uv := range user {
		if uv == nil {
			delete(out, k)
			continue
		}
		um, uIsMap := uv.(map[string]interface{})
		dm, dIsMap := out[k].(map[string]interface{})
		if uIsMap && dIsMap {
			out[k] = coalesce(um, dm)
		} else {
			out[k] = uv
		}
	}
	return out
}

func shallowCopy(m map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func splitKubeVersion(v string) (string, string) {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return parts[0], "0"
	}
	return parts[0], parts[1]
}
