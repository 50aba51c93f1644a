// Package config resolves what every command is audited against: the
// config file (pvaudit.yaml), the contract and its parameters, and the
// suppression file — the same way for every command, with errors a person
// can act on.
package config

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/suppress"
)

// DefaultFile is looked up in the current directory when no config file is
// named.
const DefaultFile = "pvaudit.yaml"

// File is pvaudit.yaml.
type File struct {
	// Contract is a built-in name or a file (relative to the config file).
	Contract   string              `yaml:"contract,omitempty"`
	Parameters contract.Parameters `yaml:"parameters,omitempty"`
	// Suppress is a suppression file (relative to the config file).
	Suppress string `yaml:"suppress,omitempty"`

	// Path is where the file was read from ("" when there was none).
	Path string `yaml:"-"`
}

// ErrInvalid is wrapped by every error about a config file's content.
var ErrInvalid = errors.New("invalid config file")

// invalid is an error about a config file's content: its message starts
// with the file and position, and it matches ErrInvalid.
type invalid struct{ err error }

func (e invalid) Error() string   { return e.err.Error() }
func (e invalid) Unwrap() []error { return []error{ErrInvalid, e.err} }

// LoadFile reads the config file: path when given (it must exist), else
// pvaudit.yaml in the current directory when present (no other place is
// searched). No file gives an empty config.
func LoadFile(path string) (*File, error) {
	explicit := path != ""
	if !explicit {
		path = DefaultFile
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return &File{}, nil
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	f, err := ParseFile(b, path)
	if err != nil {
		return nil, err
	}
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	if f.Contract != "" && !slices.Contains(contract.Names(), f.Contract) {
		f.Contract = rel(f.Contract)
	}
	f.Suppress = rel(f.Suppress)
	return f, nil
}

// ParseFile decodes a config file strictly: one YAML document, no unknown
// or duplicate keys (the error names the line and column, and the key that
// was probably meant), and valid parameters.
func ParseFile(data []byte, name string) (*File, error) {
	var f File
	if err := DecodeStrict(data, name, &f); err != nil {
		return nil, invalid{err}
	}
	if err := f.Parameters.Validate(); err != nil {
		return nil, invalid{fmt.Errorf("%s: parameters: %w", name, err)}
	}
	f.Path = name
	return &f, nil
}

// DecodeStrict decodes one YAML document into v (a pointer to a struct
// with yaml tags). Unknown keys, duplicate keys and a second document are
// errors of the form "name:line:col: …"; an unknown key names the known key
// closest to it.
func DecodeStrict(data []byte, name string, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: nothing set
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("%s:%d:%d: a second YAML document (after ---); the file must hold exactly one", name, extra.Line, extra.Column)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := checkKeys(&doc, reflect.TypeOf(v), name); err != nil {
		return err
	}
	if err := doc.Decode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// checkKeys walks a YAML node against a Go type: every mapping key must be
// a field's yaml name, and no key may appear twice.
func checkKeys(n *yaml.Node, t reflect.Type, name string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := checkKeys(c, t, name); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		seen := map[string]int{}
		fields := map[string]reflect.Type{}
		if t.Kind() == reflect.Struct {
			for i := 0; i < t.NumField(); i++ {
				sf := t.Field(i)
				tag, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
				if tag == "-" || !sf.IsExported() {
					continue
				}
				if tag == "" {
					tag = strings.ToLower(sf.Name)
				}
				fields[tag] = sf.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if line, dup := seen[k.Value]; dup {
				return fmt.Errorf("%s:%d:%d: key %q given twice (first on line %d)", name, k.Line, k.Column, k.Value, line)
			}
			seen[k.Value] = k.Line
			switch t.Kind() {
			case reflect.Struct:
				ft, ok := fields[k.Value]
				if !ok {
					msg := fmt.Sprintf("%s:%d:%d: unknown key %q", name, k.Line, k.Column, k.Value)
					if s := closest(k.Value, mapKeys(fields)); s != "" {
						msg += fmt.Sprintf(" (did you mean %q?)", s)
					}
					return errors.New(msg)
				}
				if err := checkKeys(val, ft, name); err != nil {
					return err
				}
			case reflect.Map:
				if err := checkKeys(val, t.Elem(), name); err != nil {
					return err
				}
			}
		}
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, c := range n.Content {
				if err := checkKeys(c, t.Elem(), name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func mapKeys(m map[string]reflect.Type) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// closest returns the candidate nearest to s by edit distance, when it is
// near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Options are what a command's flags say about the contract.
type Options struct {
	// ConfigPath is --config ("" looks for ./pvaudit.yaml).
	ConfigPath string
	// Contract is --contract when given on the command line ("" when not:
	// the config file's, else the default applies).
	Contract string
	// Params are the parameter flags; non-empty fields override the
	// config file, which overrides the contract's own defaults.
	Params contract.Parameters
	// Suppress is --suppress ("" takes the config file's).
	Suppress string
}

// DefaultContract is the contract used when neither a flag nor the config
// file names one.
const DefaultContract = "pennsieve"

// Resolved is what a command runs with.
type Resolved struct {
	Contract *contract.Contract
	// ContractSource is the built-in name or file the contract came from.
	ContractSource string
	// ContractSHA256 is the SHA-256 (hex) of the contract's YAML source.
	ContractSHA256 string
	// ConfigFile is the config file that was applied ("" when none).
	ConfigFile string
	// Suppressions is nil when no suppression file applies.
	Suppressions *suppress.File
}

// Resolve loads the config file, the contract and the suppressions, with
// the precedence flags > config file > contract defaults.
func Resolve(o Options) (*Resolved, error) {
	f, err := LoadFile(o.ConfigPath)
	if err != nil {
		return nil, err
	}
	name := o.Contract
	switch {
	case name != "":
	case f.Contract != "":
		name = f.Contract
	default:
		name = DefaultContract
	}
	c, src, err := contract.LoadSource(name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	if err := o.Params.Validate(); err != nil {
		return nil, err
	}
	c.Parameters = c.Parameters.Merge(f.Parameters).Merge(o.Params)
	res := &Resolved{Contract: c, ContractSource: name, ContractSHA256: hex.EncodeToString(sum[:]), ConfigFile: f.Path}
	supp := o.Suppress
	if supp == "" {
		supp = f.Suppress
	}
	if supp != "" {
		if res.Suppressions, err = suppress.Load(supp); err != nil {
			return nil, fmt.Errorf("--suppress: %w", err)
		}
	}
	return res, nil
}
