package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/policy"
	"github.com/pvaudit/pvaudit/policy/catalog"
	"github.com/pvaudit/pvaudit/posture"
)

// awsOwnedBuckets are S3 buckets of AWS's own accounts that a VPC without
// internet access must reach through its S3 endpoint: ECR keeps image layers
// in prod-REGION-starport-layer-bucket (AWS's ECR interface endpoint
// documentation names it in the recommended S3 endpoint policy).
func awsOwnedBucket(name, region string) bool {
	return name == "prod-"+region+"-starport-layer-bucket"
}

// endpointOpening is one request an endpoint policy lets through to a
// resource of another account.
type endpointOpening struct {
	Action, Resource, Account, Statements string
}

// endpointOpens asks an endpoint policy whether any principal can send,
// through the endpoint, a request of any action of the endpoint's service
// to a resource of another account: for each class of actions the policy
// treats alike, a witness resource in another account per Resource pattern
// of the statements that allow it (the pattern's own wildcards filled, its
// account field set to the other account; for S3, whose ARNs carry no
// account, any bucket the pattern matches that the account does not own),
// decided by policy.Exists with the caller open. It returns what it found
// and why it could not decide the rest.
func (e *Env) endpointOpens(f *posture.Facts, ep posture.In[inventory.VPCEndpoint]) ([]endpointOpening, []string) {
	prefix := posture.EndpointService(ep.V.ServiceName)
	if prefix == "" {
		return nil, []string{fmt.Sprintf("endpoint service %q is not an AWS service endpoint pvaudit knows", ep.V.ServiceName)}
	}
	other := "999999999999"
	if e.Snap.AccountID == other {
		other = "111111111111"
	}
	if ep.V.Policy == nil {
		return []endpointOpening{{Action: prefix + ":*", Resource: "*", Account: other, Statements: "no endpoint policy (AWS lets every request through)"}}, nil
	}
	t, err := policy.CompileTrust(ep.V.ID+" endpoint policy", ep.V.Policy)
	if err != nil {
		return nil, []string{fmt.Sprintf("the endpoint policy cannot be evaluated: %v", err)}
	}
	cat, err := e.catalogue()
	if err != nil {
		return nil, []string{err.Error()}
	}
	svc, ok := cat.Service(prefix)
	if !ok {
		return nil, []string{fmt.Sprintf("service %s is not in the action catalogue", prefix)}
	}
	var patterns []string
	for _, st := range ep.V.Policy.Statements {
		patterns = append(patterns, st.Action...)
		patterns = append(patterns, st.NotAction...)
	}
	var out []endpointOpening
	var unknown []string
	seen := map[string]bool{}
	for _, cl := range cat.SetOf(svc.Actions()...).Classes(patterns, 0) {
		a := representative(cl)
		for _, w := range e.endpointWitnesses(f, ep, a, other, &unknown) {
			q := &policy.Question{Action: a.String(), Resource: w.resource, ResourceAccount: w.account, Now: e.Now,
				Cache: e.witnessCache(), KeyType: e.keyType}
			if prefix == "s3" {
				q.Fixed = map[string][]string{"s3:ResourceAccount": {w.account}}
			}
			ans := t.ExistsAllowed(q)
			switch ans.Outcome() {
			case policy.Exists:
				key := w.resource
				if seen[key] {
					continue
				}
				seen[key] = true
				var by []string
				for _, m := range ans.Found.Result.Matched {
					by = append(by, m.String())
				}
				out = append(out, endpointOpening{Action: a.String(), Resource: w.resource, Account: w.account, Statements: strings.Join(by, ", ")})
			case policy.Undecided:
				unknown = append(unknown, fmt.Sprintf("%s on %s: %s", a, w.resource, ans.Reason))
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Resource < out[j].Resource })
	return out, uniqStrings(unknown)
}

// representative picks the action to report for a class: a data-moving
// one (PutObject, GetObject, another write) when the class has one, so that
// the finding reads as the exfiltration it is.
func representative(cl catalog.Class) *catalog.Action {
	for _, want := range []string{"PutObject", "GetObject"} {
		for _, a := range cl.Actions {
			if a.Name() == want {
				return a
			}
		}
	}
	for _, a := range cl.Actions {
		if a.Access() == catalog.AccessWrite {
			return a
		}
	}
	return cl.Representative()
}

type epWitness struct{ resource, account string }

// endpointWitnesses builds the other-account resources to ask about for
// action a: from each Resource pattern of the policy's Allow statements
// (and, for NotResource and "*", from the action's own ARN formats).
func (e *Env) endpointWitnesses(f *posture.Facts, ep posture.In[inventory.VPCEndpoint], a *catalog.Action, other string, unknown *[]string) []epWitness {
	var out []epWitness
	add := func(res, acct string) {
		for _, w := range out {
			if w.resource == res {
				return
			}
		}
		out = append(out, epWitness{res, acct})
	}
	s3 := a.Service() == "s3"
	fromPattern := func(p string) {
		if p == "*" || p == "arn:aws:*" || p == "arn:*" {
			for _, rp := range a.ResourcePatterns() {
				if rp != "*" {
					add(otherARN(rp, ep.Region, other), other)
				}
			}
			return
		}
		if s3 {
			rest, ok := strings.CutPrefix(p, "arn:aws:s3:::")
			if !ok {
				return
			}
			bucket, key, hasKey := strings.Cut(rest, "/")
			switch {
			case strings.ContainsAny(bucket, "*?"):
				// Any bucket the pattern matches may be another account's.
				res := "arn:aws:s3:::" + fillGlob(bucket, "pvaudit-other-account")
				if hasKey {
					res += "/" + fillGlob(key, "pvaudit-probe")
				}
				add(res, other)
			case awsOwnedBucket(bucket, ep.Region):
			default:
				owned, known := f.OwnsBucket(bucket)
				switch {
				case !known:
					*unknown = append(*unknown, fmt.Sprintf("bucket %s named by the endpoint policy: whether this account owns it is not known (the S3 bucket list was not read)", bucket))
				case !owned:
					res := "arn:aws:s3:::" + bucket
					if hasKey {
						res += "/" + fillGlob(key, "pvaudit-probe")
					}
					add(res, other)
				}
			}
			return
		}
		fs := strings.SplitN(p, ":", 6)
		if len(fs) != 6 {
			return
		}
		acct := fs[4]
		switch {
		case acct == e.Snap.AccountID:
			return
		case acct == "" || strings.ContainsAny(acct, "*?"):
			fs[4] = other
		}
		add(fillGlob(strings.Join(fs, ":"), "pvaudit"), fs[4])
	}
	for _, st := range ep.V.Policy.Statements {
		if st.Effect != policy.EffectAllow {
			continue
		}
		if len(st.NotResource) > 0 {
			fromPattern("*")
		}
		for _, r := range st.Resource {
			fromPattern(r)
		}
	}
	return out
}

// otherARN turns an action's ARN glob into a concrete ARN of account other
// in region.
func otherARN(pattern, region, other string) string {
	fs := strings.SplitN(pattern, ":", 6)
	if len(fs) == 6 {
		if fs[3] == "*" {
			fs[3] = region
		}
		if fs[4] == "*" {
			fs[4] = other
		}
		pattern = strings.Join(fs, ":")
	}
	return fillGlob(pattern, "pvaudit-other-account")
}

// fillGlob replaces the wildcards of an IAM glob so that the result
// matches it ('*' by fill, '?' by one letter).
func fillGlob(p, fill string) string {
	var b strings.Builder
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(fill)
		case '?':
			b.WriteByte('p')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
