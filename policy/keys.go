package policy

import (
	"strings"
	"sync"
)

// This file is the context model of existential questions (see Exists):
// which condition keys are facts of the question and which the caller
// picks.

// KeyClass says who decides a condition key's value.
type KeyClass uint8

const (
	// KeyClassDefault leaves the class to the built-in table; a KeyInfo
	// override with this class changes only its other fields.
	KeyClassDefault KeyClass = iota
	// KeyFixed keys hold facts the question supplies in Question.Fixed, or
	// that the engine derives from the principal and resource account
	// (aws:PrincipalArn, aws:PrincipalAccount, aws:username,
	// aws:ResourceAccount). A fixed key the question does not supply is
	// absent.
	KeyFixed
	// KeyCallerChosen keys take any value the caller picks, or none.
	KeyCallerChosen
)

// String returns "default", "fixed" or "caller-chosen".
func (k KeyClass) String() string {
	switch k {
	case KeyFixed:
		return "fixed"
	case KeyCallerChosen:
		return "caller-chosen"
	}
	return "default"
}

// ValueType is the form AWS guarantees for a key's values.
type ValueType uint8

const (
	// TypeDefault leaves the type to the built-in table; keys the table
	// does not know are TypeText.
	TypeDefault ValueType = iota
	// TypeText values are whatever text the caller sends: a Numeric, Date,
	// Bool or IpAddress condition on them also meets values that do not
	// parse, which the evaluator cannot decide.
	TypeText
	// The typed forms: AWS supplies values that parse (a number, an ISO
	// 8601 time, true/false, an IP address).
	TypeNumber
	TypeDate
	TypeBool
	TypeIP
)

// KeyInfo is a question's override for one condition key (or, when the name
// in Question.Keys ends with "*", for every key with that prefix).
type KeyInfo struct {
	// Class overrides the built-in class; KeyClassDefault keeps it.
	Class KeyClass
	// Multi marks the key multi-valued (a request may carry a set of
	// values). Keys used with ForAllValues:/ForAnyValue: and the table's
	// multi-valued keys are multi-valued anyway.
	Multi bool
	// Type overrides the built-in value type; TypeDefault keeps it.
	Type ValueType
	// Domain, when non-empty, replaces the built-in domain: every value
	// the caller can choose matches at least one of these patterns,
	// matched as ArnLike matches (per ARN component when the pattern and
	// the value are ARNs, otherwise as StringLike). ["*"] means any value.
	// For example aws:userid of a role session is "ROLEID:session-name":
	// Domain ["AROAEXAMPLEID:*"] keeps the role ID and lets the caller
	// pick the session name.
	Domain []string
	// Partition patterns (matched like Domain) split the witnesses further
	// so that want can tell a value inside a promise from one outside:
	// for every combination of the policies' own conditions and these
	// patterns that some value realises, one witness is tried.
	Partition []string
	// Present says the request always carries the key (the caller picks
	// its value, never its absence): e.g. a tag the question is about.
	Present bool
}

// keyKind is the built-in role of a key.
type keyKind uint8

const (
	kindCaller keyKind = iota
	// kindTime is aws:CurrentTime and aws:EpochTime: caller-chosen in the
	// sense that the caller picks when to call, never absent, never before
	// Question.Now, and one instant for both keys.
	kindTime
	// kindPrincipalFact is a fact about the principal (tags, org, type):
	// fixed, except that it is caller-chosen when the principal is.
	kindPrincipalFact
	// kindPrincipalDerived keys are derived from the principal ARN.
	kindPrincipalDerived
	// kindResourceFact is a fact about the resource.
	kindResourceFact
)

// keySpec is a built-in table entry.
type keySpec struct {
	kind   keyKind
	multi  bool
	typ    ValueType
	domain []string
}

// builtinKeys maps lower-case global condition keys to their spec. Names
// ending in "/" are prefixes (aws:PrincipalTag/…). Sources: AWS's "AWS
// global condition context keys" and "AWS STS condition keys"; service
// keys not listed are caller-chosen text (fail closed).
var builtinKeys = sync.OnceValue(func() map[string]keySpec {
	policyARN := []string{"arn:*:iam::????????????:policy/*", "arn:*:iam::aws:policy/*"}
	m := map[string]keySpec{
		// The principal.
		"aws:principalarn":              {kind: kindPrincipalDerived, typ: TypeText},
		"aws:principalaccount":          {kind: kindPrincipalDerived, typ: TypeText},
		"aws:username":                  {kind: kindPrincipalDerived, typ: TypeText},
		"aws:principaltype":             {kind: kindPrincipalFact, typ: TypeText},
		"aws:principaltag/":             {kind: kindPrincipalFact, typ: TypeText},
		"aws:principalorgid":            {kind: kindPrincipalFact, typ: TypeText},
		"aws:principalorgpaths":         {kind: kindPrincipalFact, typ: TypeText, multi: true},
		"aws:principalisawsservice":     {kind: kindPrincipalFact, typ: TypeBool},
		"aws:principalservicename":      {kind: kindPrincipalFact, typ: TypeText},
		"aws:principalservicenameslist": {kind: kindPrincipalFact, typ: TypeText, multi: true},
		// aws:userid of a role session ends in the caller-chosen session
		// name; a question that knows the role ID gives a Domain.
		"aws:userid": {kind: kindCaller, typ: TypeText},
		// The resource.
		"aws:resourceaccount":  {kind: kindResourceFact, typ: TypeText},
		"aws:resourcetag/":     {kind: kindResourceFact, typ: TypeText},
		"aws:resourceorgid":    {kind: kindResourceFact, typ: TypeText},
		"aws:resourceorgpaths": {kind: kindResourceFact, typ: TypeText, multi: true},
		// The request.
		"aws:currenttime":                  {kind: kindTime, typ: TypeDate},
		"aws:epochtime":                    {kind: kindTime, typ: TypeDate},
		"aws:tokenissuetime":               {kind: kindCaller, typ: TypeDate},
		"aws:multifactorauthage":           {kind: kindCaller, typ: TypeNumber},
		"aws:multifactorauthpresent":       {kind: kindCaller, typ: TypeBool},
		"aws:securetransport":              {kind: kindCaller, typ: TypeBool},
		"aws:viaawsservice":                {kind: kindCaller, typ: TypeBool},
		"aws:sourceip":                     {kind: kindCaller, typ: TypeIP},
		"aws:vpcsourceip":                  {kind: kindCaller, typ: TypeIP},
		"aws:ec2instancesourceprivateipv4": {kind: kindCaller, typ: TypeIP},
		"aws:sourcevpc":                    {kind: kindCaller, typ: TypeText},
		"aws:sourcevpce":                   {kind: kindCaller, typ: TypeText},
		"aws:sourcevpcarn":                 {kind: kindCaller, typ: TypeText},
		"aws:ec2instancesourcevpc":         {kind: kindCaller, typ: TypeText},
		"aws:requestedregion":              {kind: kindCaller, typ: TypeText},
		"aws:requesttag/":                  {kind: kindCaller, typ: TypeText},
		"aws:tagkeys":                      {kind: kindCaller, typ: TypeText, multi: true},
		"aws:calledvia":                    {kind: kindCaller, typ: TypeText, multi: true},
		"aws:calledviafirst":               {kind: kindCaller, typ: TypeText},
		"aws:calledvialast":                {kind: kindCaller, typ: TypeText},
		"aws:sourceidentity":               {kind: kindCaller, typ: TypeText},
		"aws:sourcearn":                    {kind: kindCaller, typ: TypeText},
		"aws:sourceaccount":                {kind: kindCaller, typ: TypeText},
		"aws:sourceorgid":                  {kind: kindCaller, typ: TypeText},
		"aws:sourceorgpaths":               {kind: kindCaller, typ: TypeText, multi: true},
		"aws:referer":                      {kind: kindCaller, typ: TypeText},
		"aws:useragent":                    {kind: kindCaller, typ: TypeText},
		"aws:federatedprovider":            {kind: kindCaller, typ: TypeText},
		"sts:externalid":                   {kind: kindCaller, typ: TypeText},
		"sts:rolesessionname":              {kind: kindCaller, typ: TypeText},
		"sts:sourceidentity":               {kind: kindCaller, typ: TypeText},
		"sts:transitivetagkeys":            {kind: kindCaller, typ: TypeText, multi: true},
		"sts:durationseconds":              {kind: kindCaller, typ: TypeNumber},
		"iam:permissionsboundary":          {kind: kindCaller, typ: TypeText, domain: policyARN},
		"iam:policyarn":                    {kind: kindCaller, typ: TypeText, domain: policyARN},
		"iam:passedtoservice":              {kind: kindCaller, typ: TypeText},
		"iam:associatedresourcearn":        {kind: kindCaller, typ: TypeText},
		"iam:awsservicename":               {kind: kindCaller, typ: TypeText},
		"s3:prefix":                        {kind: kindCaller, typ: TypeText},
		"s3:delimiter":                     {kind: kindCaller, typ: TypeText},
		"s3:max-keys":                      {kind: kindCaller, typ: TypeNumber},
		"s3:x-amz-server-side-encryption":  {kind: kindCaller, typ: TypeText},
		"s3:x-amz-acl":                     {kind: kindCaller, typ: TypeText},
		"s3:signatureage":                  {kind: kindCaller, typ: TypeNumber},
		"s3:tlsversion":                    {kind: kindCaller, typ: TypeNumber},
		"ec2:region":                       {kind: kindCaller, typ: TypeText},
		"ec2:instancetype":                 {kind: kindCaller, typ: TypeText},
	}
	return m
})

// keyPrefixes are the table's prefix entries, longest first.
var keyPrefixes = [...]string{"aws:principaltag/", "aws:resourcetag/", "aws:requesttag/"}

// lookupSpec returns the table's entry for a key, if any.
func lookupSpec(key string) (keySpec, bool) {
	var buf [64]byte
	m := builtinKeys()
	if len(key) <= len(buf) {
		for i := 0; i < len(key); i++ {
			buf[i] = toLowerASCII(key[i])
		}
		if s, ok := m[string(buf[:len(key)])]; ok {
			return s, true
		}
	} else if s, ok := m[strings.ToLower(key)]; ok {
		return s, true
	}
	for _, p := range keyPrefixes {
		if len(key) > len(p) && strings.EqualFold(key[:len(p)], p) {
			return m[p], true
		}
	}
	return keySpec{}, false
}

// keyModel is a key as one question sees it.
type keyModel struct {
	name  string
	class KeyClass
	kind  keyKind
	multi bool
	// single: the key is known to hold at most one value, whatever set
	// operator tests it.
	single    bool
	typ       ValueType
	domain    []string
	partition []string
	present   bool
}

// classify resolves a key for the question: the table, then the question's
// override, then whether Fixed supplies it. anyPrincipal says the question
// leaves the principal open.
func (q *Question) classify(key string, anyPrincipal bool) keyModel {
	spec, known := lookupSpec(key)
	m := keyModel{name: key, kind: spec.kind, multi: spec.multi, single: known && !spec.multi, typ: spec.typ, domain: spec.domain}
	if !known {
		m.kind, m.typ = kindCaller, TypeText
		if q.KeyType != nil {
			if t := q.KeyType(key); t != TypeDefault {
				m.typ = t
			}
		}
		if q.KeyMulti != nil {
			if multi, ok := q.KeyMulti(key); ok {
				m.multi, m.single = multi, !multi
			}
		}
	}
	switch m.kind {
	case kindCaller, kindTime:
		m.class = KeyCallerChosen
	case kindPrincipalFact:
		m.class = KeyFixed
		if anyPrincipal {
			m.class = KeyCallerChosen
		}
	default:
		m.class = KeyFixed
	}
	override := KeyClassDefault
	if ki, ok := q.keyInfo(key); ok {
		override = ki.Class
		if ki.Multi {
			m.multi, m.single = true, false
		}
		if ki.Type != TypeDefault {
			m.typ = ki.Type
		}
		if len(ki.Domain) > 0 {
			m.domain = ki.Domain
		}
		m.partition = ki.Partition
		m.present = ki.Present
	}
	switch {
	case override != KeyClassDefault:
		m.class = override
	case q.fixedHas(key):
		m.class = KeyFixed
	}
	if len(m.domain) == 1 && m.domain[0] == "*" {
		m.domain = nil
	}
	return m
}

// keyInfo finds the question's override: the exact key (any case), else
// the longest prefix entry ("aws:PrincipalTag/*").
func (q *Question) keyInfo(key string) (KeyInfo, bool) {
	if len(q.Keys) == 0 {
		return KeyInfo{}, false
	}
	if ki, ok := q.Keys[key]; ok {
		return ki, true
	}
	best, bestLen, found := KeyInfo{}, -1, false
	for k, ki := range q.Keys {
		if strings.EqualFold(k, key) {
			return ki, true
		}
		if p, ok := strings.CutSuffix(k, "*"); ok && len(p) > bestLen && len(key) >= len(p) && strings.EqualFold(key[:len(p)], p) {
			best, bestLen, found = ki, len(p), true
		}
	}
	return best, found
}

// fixedHas reports whether Fixed supplies the key (any case).
func (q *Question) fixedHas(key string) bool {
	if _, ok := q.Fixed[key]; ok {
		return true
	}
	for k := range q.Fixed {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
