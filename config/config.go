// Package config resolves what every command is audited against: the
// config file (pvaudit.yaml), the contract and its parameters, and the
// suppression file — the same way for every command, with errors a person
// can act on.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/yamlstrict"
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
	b, err := fsutil.ReadFile(path, fsutil.Config)
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

// ParseFile decodes a config file strictly (yamlstrict: one YAML document,
// no unknown or duplicate keys — the error names the line and column, and
// the key that was probably meant) and validates the parameters. An empty
// file is an empty config.
func ParseFile(data []byte, name string) (*File, error) {
	var f File
	if err := yamlstrict.Decode(data, name, &f); err != nil && !errors.Is(err, yamlstrict.ErrEmpty) {
		return nil, invalid{err}
	}
	if err := f.Parameters.Validate(); err != nil {
		return nil, invalid{fmt.Errorf("%s: parameters: %w", name, err)}
	}
	f.Path = name
	return &f, nil
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
