package posture

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/contract"
)

// How a node's mode was decided.
const (
	// FromParameter: the customer's deployment_mode parameter
	// (--deployment-mode, pvaudit.yaml): what was bought.
	FromParameter = "parameter"
	// FromTag: a mode tag on the node's VPC or resources: the provider's
	// word.
	FromTag = "tag"
	// FromInference: no declaration; pvaudit read the network.
	FromInference = "inferred"
)

// ModeInfo is a node's deployment mode and how it was decided.
type ModeInfo struct {
	// Mode is basic, secure or compliant; "" when it could not be told.
	Mode string
	// Source is FromParameter, FromTag or FromInference.
	Source string
	// Detail says where it comes from, for people.
	Detail string
	// Tags are the mode tags found ("tag=value on resource").
	Tags []string
	// Conflicts lists declarations that disagree with the mode used.
	Conflicts []string
	// Unknown says why the mode could not be told.
	Unknown string
}

// Declared reports whether the mode was declared (parameter or tag) rather
// than inferred.
func (m ModeInfo) Declared() bool { return m.Source == FromParameter || m.Source == FromTag }

// At reports whether the node is held to the requirements of mode want:
// its mode is want or a stricter one (compliant includes secure's flow
// logs and KMS).
func (m ModeInfo) At(want string) bool { return rank(m.Mode) >= rank(want) && m.Mode != "" }

func rank(m string) int {
	switch m {
	case contract.ModeBasic:
		return 1
	case contract.ModeSecure:
		return 2
	case contract.ModeCompliant:
		return 3
	}
	return 0
}

// mode decides the node's mode: the customer's parameter wins, then the
// tags (which must agree), then inference from the network.
func (f *Facts) mode(n *Node) ModeInfo {
	var info ModeInfo
	tagged := map[string][]string{} // mode → where
	var bad []string
	if dep := f.Contract.Deployment; dep != nil {
		seen := func(where string, tags map[string]string) {
			for _, k := range dep.ModeTagKeys {
				v, ok := tags[k]
				if !ok {
					continue
				}
				desc := fmt.Sprintf("%s=%s on %s", k, v, where)
				info.Tags = append(info.Tags, desc)
				if m := lower(v); contract.ValidMode(m) {
					tagged[m] = append(tagged[m], desc)
				} else {
					bad = append(bad, desc+" (not a deployment mode)")
				}
			}
		}
		for _, v := range n.VPCs {
			if vpc, ok := f.idx.vpcs[v]; ok {
				seen(v, vpc.V.Tags)
			}
		}
		for _, fn := range n.Functions {
			seen(fn.V.Name, fn.V.Tags)
		}
		for _, s := range n.Services {
			seen(s.V.Name, s.V.Tags)
		}
		for _, sm := range n.StateMachines {
			seen(sm.V.Name, sm.V.Tags)
		}
		for _, fs := range n.FileSystems {
			seen(fs.V.ID, fs.V.Tags)
		}
	}
	sort.Strings(info.Tags)
	modes := sortedKeys(tagged)
	param := f.Contract.Parameters.DeploymentMode
	switch {
	case param != "":
		info.Mode, info.Source = param, FromParameter
		info.Detail = "declared by the deployment_mode parameter (--deployment-mode): " + param
		for _, m := range modes {
			if m != param {
				info.Conflicts = append(info.Conflicts, fmt.Sprintf("the node's tags say %s (%s)", m, strings.Join(tagged[m], "; ")))
			}
		}
	case len(modes) == 1:
		info.Mode, info.Source = modes[0], FromTag
		info.Detail = "declared by tag: " + strings.Join(tagged[modes[0]], "; ")
	case len(modes) > 1:
		// Hold the node to the strictest mode any tag claims, and say so.
		best := modes[0]
		for _, m := range modes {
			if rank(m) > rank(best) {
				best = m
			}
		}
		info.Mode, info.Source = best, FromTag
		info.Detail = "declared by tag (the strictest of several): " + strings.Join(tagged[best], "; ")
		for _, m := range modes {
			if m != best {
				info.Conflicts = append(info.Conflicts, fmt.Sprintf("other tags say %s (%s)", m, strings.Join(tagged[m], "; ")))
			}
		}
	default:
		info = f.infer(n, info)
	}
	info.Conflicts = append(info.Conflicts, bad...)
	return info
}

// infer reads the mode from the network: the default VPC is basic; a
// dedicated VPC whose subnets reach an internet or NAT gateway is secure;
// one that reaches neither is compliant.
func (f *Facts) infer(n *Node, info ModeInfo) ModeInfo {
	info.Source = FromInference
	if why := f.Missing(EC2, Lambda, ECS); why != "" {
		info.Unknown = why
		return info
	}
	if len(n.VPCs) == 0 {
		if n.outsideVPC() {
			info.Mode = contract.ModeBasic
			info.Detail = "inferred: the node's functions run outside any VPC"
			return info
		}
		info.Unknown = "no VPC of the node was found in " + f.RegionsText()
		return info
	}
	for _, v := range n.VPCs {
		if vpc, ok := f.idx.vpcs[v]; ok && vpc.V.IsDefault {
			info.Mode = contract.ModeBasic
			info.Detail = "inferred: the node runs in the default VPC " + v
			return info
		}
	}
	eg := f.Egress(f.Subnets(n))
	switch {
	case len(eg.Paths) > 0 || n.outsideVPC():
		info.Mode = contract.ModeSecure
		info.Detail = "inferred: a dedicated VPC whose traffic reaches the internet (" + eg.summary() + ")"
	case len(eg.Unknown) > 0:
		info.Unknown = "a dedicated VPC whose routes lead beyond the snapshot: " + eg.Unknown[0].String()
	default:
		info.Mode = contract.ModeCompliant
		info.Detail = "inferred: a dedicated VPC with no route to an internet or NAT gateway"
	}
	return info
}

func (n *Node) outsideVPC() bool {
	for _, c := range n.Compute {
		if c.OutsideVPC {
			return true
		}
	}
	return false
}
