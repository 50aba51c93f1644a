package catalog

import "fmt"

// AccessLevel is an action's access level in the Service Authorization
// Reference.
type AccessLevel uint8

// The access levels. AccessUnknown is the level of a synthetic action (one
// the catalogue does not list): it may be any of the others.
const (
	AccessUnknown AccessLevel = iota
	AccessList
	AccessRead
	AccessWrite
	AccessPermissionsManagement
	AccessTagging
)

var accessNames = [...]string{
	AccessUnknown:               "Unknown",
	AccessList:                  "List",
	AccessRead:                  "Read",
	AccessWrite:                 "Write",
	AccessPermissionsManagement: "Permissions management",
	AccessTagging:               "Tagging",
}

// String returns AWS's wording: "List", "Read", "Write", "Permissions
// management", "Tagging" (or "Unknown").
func (l AccessLevel) String() string {
	if int(l) < len(accessNames) {
		return accessNames[l]
	}
	return fmt.Sprintf("AccessLevel(%d)", uint8(l))
}

// Mutating reports whether an action of this level can change something:
// Write, Permissions management and Tagging, and also Unknown, since an
// action nobody has classified may well write.
func (l AccessLevel) Mutating() bool {
	return l != AccessList && l != AccessRead
}

// ParseAccessLevel parses String's wording (any case), "Unknown" included.
func ParseAccessLevel(s string) (AccessLevel, error) {
	for l, n := range accessNames {
		if equalFoldASCII(n, s) {
			return AccessLevel(l), nil
		}
	}
	return AccessUnknown, fmt.Errorf("catalog: unknown access level %q (want List, Read, Write, Permissions management or Tagging)", s)
}

// MarshalText writes String's wording.
func (l AccessLevel) MarshalText() ([]byte, error) {
	if int(l) >= len(accessNames) {
		return nil, fmt.Errorf("catalog: invalid access level %d", uint8(l))
	}
	return []byte(accessNames[l]), nil
}

// UnmarshalText accepts what ParseAccessLevel accepts.
func (l *AccessLevel) UnmarshalText(b []byte) error {
	v, err := ParseAccessLevel(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

func equalFoldASCII(a, b string) bool {
	return len(a) == len(b) && lowerASCII(a) == lowerASCII(b)
}
