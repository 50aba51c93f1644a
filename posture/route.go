package posture

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// ExitKind is how a path leaves for the internet.
type ExitKind string

// Exits.
const (
	ExitInternetGateway ExitKind = "internet gateway"
	ExitEgressOnly      ExitKind = "egress-only internet gateway"
	ExitNAT             ExitKind = "NAT gateway"
	ExitCarrier         ExitKind = "carrier gateway"
	// ExitOutsideVPC: a Lambda function outside any VPC (Lambda's own
	// network reaches the internet).
	ExitOutsideVPC ExitKind = "Lambda's own network"
)

// Path is a way from a subnet to the internet the routes allow.
type Path struct {
	// From is the subnet the traffic starts in.
	From string
	// Hops describe each route taken, e.g.
	// "subnet-1 (rtb-1): 0.0.0.0/0 → tgw-1".
	Hops []string
	Exit ExitKind
	// Gateway is the exit's ID (igw-…, nat-…).
	Gateway string
	// VPC is the VPC the exit is in.
	VPC string
}

// Direct reports whether the path leaves from the subnet's own route table
// (no peering or transit gateway on the way).
func (p Path) Direct() bool { return len(p.Hops) == 1 }

func (p Path) String() string { return strings.Join(p.Hops, "; ") }

// Unknown is a way the snapshot cannot follow: traffic to public
// addresses goes somewhere it does not show (a VPN, an instance, a
// transit gateway attachment or peer VPC it lacks).
type Unknown struct {
	From   string
	Hops   []string
	Reason string
}

func (u Unknown) String() string {
	if len(u.Hops) == 0 {
		return u.Reason
	}
	return strings.Join(u.Hops, "; ") + ": " + u.Reason
}

// Egress is where traffic from a set of subnets can go.
type Egress struct {
	Paths   []Path
	Unknown []Unknown
}

func (e Egress) summary() string {
	var parts []string
	for i, p := range e.Paths {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(e.Paths)-3))
			break
		}
		parts = append(parts, p.String())
	}
	return strings.Join(parts, " | ")
}

// maxHops bounds the VPCs a walk crosses (peering and transit gateways).
const maxHops = 8

// Egress follows the routes of each subnet: a route to an internet, NAT,
// egress-only or carrier gateway is a way out; a route to a peering
// connection or transit gateway is followed into the VPC at its other end
// (its subnets, or the transit gateway attachment's, and their routes) as
// far as the snapshot shows; whatever lies beyond is Unknown when traffic
// to public addresses goes there. Routes in the blackhole state carry
// nothing.
func (f *Facts) Egress(subnets []string) Egress {
	var out Egress
	for _, s := range subnets {
		w := &walk{f: f, from: s, seen: map[string]bool{}}
		w.subnet(s, nil, 0)
		out.Paths = append(out.Paths, w.paths...)
		out.Unknown = append(out.Unknown, w.unknown...)
	}
	sort.SliceStable(out.Paths, func(i, j int) bool { return out.Paths[i].From < out.Paths[j].From })
	return out
}

type walk struct {
	f       *Facts
	from    string
	seen    map[string]bool
	paths   []Path
	unknown []Unknown
}

func (w *walk) unk(hops []string, format string, args ...any) {
	w.unknown = append(w.unknown, Unknown{From: w.from, Hops: append([]string(nil), hops...), Reason: fmt.Sprintf(format, args...)})
}

func (w *walk) subnet(id string, hops []string, depth int) {
	if w.seen[id] {
		return
	}
	w.seen[id] = true
	x := w.f.idx
	sub, ok := x.subnets[id]
	if !ok {
		w.unk(hops, "subnet %s is not in the snapshot", id)
		return
	}
	rt, ok := w.f.RouteTableOf(id)
	if !ok {
		w.unk(hops, "no route table of subnet %s (nor a main route table of %s) is in the snapshot", id, sub.V.VPCID)
		return
	}
	for _, r := range rt.V.Routes {
		if r.State == "blackhole" || r.Target == "local" {
			continue
		}
		hop := fmt.Sprintf("%s (%s): %s → %s", id, rt.V.ID, r.Destination, r.Target)
		h := append(append([]string(nil), hops...), hop)
		public := CoversPublic(r.Destination)
		exit := func(k ExitKind) {
			w.paths = append(w.paths, Path{From: w.from, Hops: h, Exit: k, Gateway: r.Target, VPC: sub.V.VPCID})
		}
		switch t := r.Target; {
		case strings.HasPrefix(t, "igw-"):
			exit(ExitInternetGateway)
		case strings.HasPrefix(t, "eigw-"):
			exit(ExitEgressOnly)
		case strings.HasPrefix(t, "nat-"):
			exit(ExitNAT)
		case strings.HasPrefix(t, "cagw-"):
			exit(ExitCarrier)
		case strings.HasPrefix(t, "vpce-"):
			ep, ok := x.endpoints[t]
			switch {
			case ok && ep.V.Type == "Gateway":
				// An S3 or DynamoDB gateway endpoint: AWS's own network.
			case ok && ep.V.Type == "GatewayLoadBalancer":
				if public {
					w.unk(h, "traffic goes to the appliances behind Gateway Load Balancer endpoint %s; where they send it is not in the control plane", t)
				}
			case public:
				w.unk(h, "endpoint %s is not in the snapshot", t)
			}
		case strings.HasPrefix(t, "pcx-"):
			w.peering(t, sub.V.VPCID, h, depth, public)
		case strings.HasPrefix(t, "tgw-"):
			w.transit(t, sub.V.VPCID, h, depth, public)
		case public:
			switch {
			case strings.HasPrefix(t, "vgw-"):
				w.unk(h, "traffic to public addresses goes to virtual private gateway %s (a VPN or Direct Connect): the network beyond is not in the snapshot", t)
			case strings.HasPrefix(t, "eni-"), strings.HasPrefix(t, "i-"):
				w.unk(h, "traffic to public addresses goes to %s, an instance or appliance that may forward it (a NAT instance, a firewall): its forwarding is not in the control plane", t)
			case strings.HasPrefix(t, "lgw-"):
				w.unk(h, "traffic to public addresses goes to Outposts local gateway %s: the network beyond is not in the snapshot", t)
			default:
				w.unk(h, "route target %s is of a kind pvaudit does not follow", t)
			}
		}
	}
}

// peering follows a peering connection into the peer VPC: any subnet there
// that reaches the internet is one hop (a host that relays) from it.
func (w *walk) peering(id, from string, hops []string, depth int, public bool) {
	pc, ok := w.f.idx.peerings[id]
	if !ok {
		if public {
			w.unk(hops, "peering connection %s is not in the snapshot", id)
		}
		return
	}
	if pc.V.Status != "" && pc.V.Status != "active" {
		return
	}
	peer := pc.V.Accepter
	if peer.VPCID == from {
		peer = pc.V.Requester
	}
	w.intoVPC(peer.VPCID, peer.OwnerID, "peering connection "+id, nil, hops, depth, public)
}

// transit follows a transit gateway: this VPC's attachment, its route
// table, and each attachment its routes send traffic to.
func (w *walk) transit(tgw, vpc string, hops []string, depth int, public bool) {
	x := w.f.idx
	var mine []string
	for _, id := range sortedKeys(x.tgwAttach) {
		a := x.tgwAttach[id]
		if a.V.TransitGatewayID == tgw && a.V.ResourceType == "vpc" && a.V.ResourceID == vpc && (a.V.State == "" || a.V.State == "available") {
			mine = append(mine, id)
		}
	}
	if len(mine) == 0 {
		if public {
			w.unk(hops, "no attachment of %s to transit gateway %s is in the snapshot", vpc, tgw)
		}
		return
	}
	for _, aid := range mine {
		a := x.tgwAttach[aid]
		if a.V.RouteTableID == "" {
			continue // not associated: the transit gateway routes none of its traffic
		}
		rt, ok := x.tgwRTs[a.V.RouteTableID]
		if !ok {
			if public {
				w.unk(hops, "transit gateway route table %s is not in the snapshot", a.V.RouteTableID)
			}
			continue
		}
		for _, r := range rt.V.Routes {
			if r.State == "blackhole" {
				continue
			}
			rpublic := public && CoversPublic(r.Destination)
			for _, target := range r.Attachments {
				if target == aid {
					continue
				}
				h := append(append([]string(nil), hops...), fmt.Sprintf("%s (%s): %s → %s", tgw, rt.V.ID, r.Destination, target))
				ta, ok := x.tgwAttach[target]
				switch {
				case !ok:
					if rpublic {
						w.unk(h, "transit gateway attachment %s is not in the snapshot", target)
					}
				case ta.V.ResourceType == "vpc":
					w.intoVPC(ta.V.ResourceID, ta.V.ResourceOwner, "transit gateway attachment "+target, ta.V.Subnets, h, depth, rpublic)
				case rpublic:
					w.unk(h, "traffic to public addresses leaves through a %s attachment (%s %s): the network beyond is not in the snapshot", ta.V.ResourceType, target, ta.V.ResourceID)
				}
			}
		}
	}
}

// intoVPC walks the subnets traffic enters another VPC by (the attachment's
// subnets, or every subnet of a peer VPC).
func (w *walk) intoVPC(vpc, owner, via string, entry []string, hops []string, depth int, public bool) {
	if depth+1 >= maxHops {
		w.unk(hops, "more than %d VPCs on the way: pvaudit stops following", maxHops)
		return
	}
	if _, ok := w.f.idx.vpcs[vpc]; !ok {
		if public {
			who := ""
			if owner != "" && owner != w.f.Snap.AccountID {
				who = " (account " + owner + ")"
			}
			w.unk(hops, "VPC %s%s at the other end of %s is not in the snapshot", vpc, who, via)
		}
		return
	}
	if len(entry) == 0 {
		entry = w.f.idx.subnetsByVPC[vpc]
	}
	for _, s := range sortedCopy(entry) {
		w.subnet(s, hops, depth+1)
	}
}

// ---- addresses ----

// privateV4 and privateV6 are the ranges no internet host has: RFC 1918,
// shared address space, link-local, loopback, unique local.
var (
	privateV4 = mustPrefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8", "0.0.0.0/32")
	privateV6 = mustPrefixes("fc00::/7", "fe80::/10", "::1/128")
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// CoversPublic reports whether a route destination or rule peer includes
// any public address. A prefix list (pl-…) counts as public: its entries
// are not in the snapshot. Anything unparsable counts as public too.
func CoversPublic(dest string) bool {
	p, err := netip.ParsePrefix(dest)
	if err != nil {
		return true
	}
	p = p.Masked()
	ranges := privateV4
	if p.Addr().Is6() && !p.Addr().Is4In6() {
		ranges = privateV6
	}
	for _, r := range ranges {
		if r.Bits() <= p.Bits() && r.Contains(p.Addr()) {
			return false
		}
	}
	return true
}

// IsWorld reports whether a CIDR is the whole address space (0.0.0.0/0 or
// ::/0).
func IsWorld(cidr string) bool {
	p, err := netip.ParsePrefix(cidr)
	return err == nil && p.Bits() == 0
}

// Within reports whether CIDR inner lies inside CIDR outer.
func Within(inner, outer string) bool {
	a, err1 := netip.ParsePrefix(inner)
	b, err2 := netip.ParsePrefix(outer)
	if err1 != nil || err2 != nil {
		return false
	}
	a, b = a.Masked(), b.Masked()
	return b.Bits() <= a.Bits() && b.Contains(a.Addr())
}
