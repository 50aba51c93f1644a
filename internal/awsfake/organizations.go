package awsfake

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Organization is the AWS Organizations view the endpoint serves when it
// is the management account: a root, organisational units and accounts.
type Organization struct {
	// ID is o-…; RootID r-….
	ID, RootID string
	Units      []OrgUnit
	Accounts   []OrgAccount
}

// OrgUnit is an organisational unit (ou-…) under Parent (the root or
// another unit).
type OrgUnit struct {
	ID, Name, Parent string
}

// OrgAccount is a member account under Parent. Status is ACTIVE (the
// default), SUSPENDED or PENDING_CLOSURE.
type OrgAccount struct {
	ID, Name, Email, Status, Parent string
}

// SetOrganization makes the endpoint the management account of o.
func (s *Server) SetOrganization(o Organization) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := o
	c.Units = append([]OrgUnit(nil), o.Units...)
	c.Accounts = append([]OrgAccount(nil), o.Accounts...)
	for i := range c.Accounts {
		if c.Accounts[i].Status == "" {
			c.Accounts[i].Status = "ACTIVE"
		}
		if c.Accounts[i].Parent == "" {
			c.Accounts[i].Parent = c.RootID
		}
	}
	sort.Slice(c.Accounts, func(i, j int) bool { return c.Accounts[i].ID < c.Accounts[j].ID })
	s.org = &c
}

func (s *Server) orgOr() (*Organization, *apiError) {
	if s.org == nil {
		return nil, newErr(http.StatusBadRequest, "AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	return s.org, nil
}

func (s *Server) orgAccountJSON(a OrgAccount) map[string]any {
	return map[string]any{
		"Id": a.ID, "Arn": "arn:aws:organizations::" + s.account + ":account/" + s.org.ID + "/" + a.ID,
		"Name": a.Name, "Email": a.Email, "Status": a.Status, "State": a.Status, "JoinedMethod": "CREATED",
	}
}

type orgPaged struct {
	ParentId   string
	NextToken  string
	MaxResults *int
}

// orgPage pages n items: the offset in NextToken, at most MaxResults (20
// by default, as the API).
func (s *Server) orgPage(in orgPaged, n int) (lo, hi int, next string, aerr *apiError) {
	if in.NextToken != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "org:"))
		if err != nil || v < 0 || v > n {
			return 0, 0, "", newErr(http.StatusBadRequest, "InvalidInputException", "The provided NextToken is not valid.")
		}
		lo = v
	}
	size := s.pageSize(in.MaxResults, 20)
	hi = min(lo+size, n)
	if hi < n {
		next = "org:" + strconv.Itoa(hi)
	}
	return lo, hi, next, nil
}

func paged(key string, items []any, next string) ([]byte, *apiError) {
	out := map[string]any{key: items}
	if next != "" {
		out["NextToken"] = next
	}
	return encodeJSON(out)
}

func (s *Server) orgDescribe(ex *exchange) ([]byte, *apiError) {
	o, aerr := s.orgOr()
	if aerr != nil {
		return nil, aerr
	}
	return encodeJSON(map[string]any{"Organization": map[string]any{"Id": o.ID, "MasterAccountId": s.account, "FeatureSet": "ALL",
		"Arn": "arn:aws:organizations::" + s.account + ":organization/" + o.ID}})
}

func (s *Server) orgListRoots(ex *exchange) ([]byte, *apiError) {
	o, aerr := s.orgOr()
	if aerr != nil {
		return nil, aerr
	}
	return paged("Roots", []any{map[string]any{"Id": o.RootID, "Name": "Root",
		"Arn": "arn:aws:organizations::" + s.account + ":root/" + o.ID + "/" + o.RootID}}, "")
}

func (s *Server) orgListAccounts(ex *exchange) ([]byte, *apiError) {
	o, aerr := s.orgOr()
	if aerr != nil {
		return nil, aerr
	}
	var in orgPaged
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	lo, hi, next, aerr := s.orgPage(in, len(o.Accounts))
	if aerr != nil {
		return nil, aerr
	}
	var items []any
	for _, a := range o.Accounts[lo:hi] {
		items = append(items, s.orgAccountJSON(a))
	}
	return paged("Accounts", items, next)
}

func (s *Server) orgParentKnown(id string) bool {
	if id == s.org.RootID {
		return true
	}
	for _, u := range s.org.Units {
		if u.ID == id {
			return true
		}
	}
	return false
}

func (s *Server) orgListAccountsForParent(ex *exchange) ([]byte, *apiError) {
	o, aerr := s.orgOr()
	if aerr != nil {
		return nil, aerr
	}
	var in orgPaged
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	if !s.orgParentKnown(in.ParentId) {
		return nil, newErr(http.StatusBadRequest, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	var under []OrgAccount
	for _, a := range o.Accounts {
		if a.Parent == in.ParentId {
			under = append(under, a)
		}
	}
	lo, hi, next, aerr := s.orgPage(in, len(under))
	if aerr != nil {
		return nil, aerr
	}
	var items []any
	for _, a := range under[lo:hi] {
		items = append(items, s.orgAccountJSON(a))
	}
	return paged("Accounts", items, next)
}

func (s *Server) orgListUnitsForParent(ex *exchange) ([]byte, *apiError) {
	o, aerr := s.orgOr()
	if aerr != nil {
		return nil, aerr
	}
	var in orgPaged
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	if !s.orgParentKnown(in.ParentId) {
		return nil, newErr(http.StatusBadRequest, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.")
	}
	var under []OrgUnit
	for _, u := range o.Units {
		if u.Parent == in.ParentId {
			under = append(under, u)
		}
	}
	sort.Slice(under, func(i, j int) bool { return under[i].ID < under[j].ID })
	lo, hi, next, aerr := s.orgPage(in, len(under))
	if aerr != nil {
		return nil, aerr
	}
	var items []any
	for _, u := range under[lo:hi] {
		items = append(items, map[string]any{"Id": u.ID, "Name": u.Name, "Arn": "arn:aws:organizations::" + s.account + ":ou/" + o.ID + "/" + u.ID})
	}
	return paged("OrganizationalUnits", items, next)
}
