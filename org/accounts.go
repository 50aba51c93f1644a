// Package org runs one pipeline (scan, evidence, drift) over many accounts:
// the accounts of an AWS Organization (or an accounts file), each read
// through an audit role, concurrently within an API budget per account and
// overall that slows down when AWS throttles. Every account's failure stays
// in its own row; an interrupted run resumes from a state file without
// redoing finished accounts; the rows, the findings and the provider's fleet
// view become one consolidated report (kind org).
package org

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/fsutil"
	"github.com/pvaudit/pvaudit/internal/yamlstrict"
)

// Account is one account to audit.
type Account struct {
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	// OU is the organisational unit path from the root ("Tenants/EU"),
	// when listed through Organizations.
	OU string `json:"ou,omitempty" yaml:"ou,omitempty"`
	// Contract and Parameters override the run's for this account (an
	// accounts file may give each tenant its own ExternalId, env, …).
	Contract   string              `json:"contract,omitempty" yaml:"contract,omitempty"`
	Parameters contract.Parameters `json:"parameters,omitzero" yaml:"parameters,omitempty"`
	// From reads the account from a snapshot file (or evidence bundle's
	// snapshot) instead of through the audit role: an offline fleet.
	From string `json:"from,omitempty" yaml:"from,omitempty"`
	// Baseline is the account's approved baseline (pvaudit baseline save):
	// the scan then reports its drift, and the fleet view drift per tenant.
	Baseline string `json:"baseline,omitempty" yaml:"baseline,omitempty"`
}

var accountRE = regexp.MustCompile(`^[0-9]{12}$`)

// OrganizationsAPI is what listing an organisation calls (read-only).
type OrganizationsAPI interface {
	ListRoots(ctx context.Context, in *organizations.ListRootsInput, optFns ...func(*organizations.Options)) (*organizations.ListRootsOutput, error)
	ListAccountsForParent(ctx context.Context, in *organizations.ListAccountsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListAccountsForParentOutput, error)
	ListOrganizationalUnitsForParent(ctx context.Context, in *organizations.ListOrganizationalUnitsForParentInput, optFns ...func(*organizations.Options)) (*organizations.ListOrganizationalUnitsForParentOutput, error)
}

// ListOptions filter an organisation's accounts.
type ListOptions struct {
	// OUs keep only accounts under these units (recursively): an OU ID
	// (ou-…) or a name path from the root ("Tenants" or "Tenants/EU").
	OUs []string
	// Exclude leaves these account IDs out (the management account, …).
	Exclude []string
	// IncludeSuspended also lists accounts that are not ACTIVE (they
	// cannot be read: each becomes an ERROR row).
	IncludeSuspended bool
}

// List walks the organisation from its root: every OU and its accounts,
// with their OU paths. Accounts that are not ACTIVE are left out unless
// asked for (and said so in skipped).
func List(ctx context.Context, api OrganizationsAPI, o ListOptions) (accts []Account, skipped []string, err error) {
	roots, err := api.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return nil, nil, fmt.Errorf("organizations ListRoots: %w", err)
	}
	exclude := map[string]bool{}
	for _, id := range o.Exclude {
		exclude[id] = true
	}
	type unit struct{ id, path string }
	var queue []unit
	for _, r := range roots.Roots {
		queue = append(queue, unit{id: aws.ToString(r.Id)})
	}
	seen := map[string]bool{}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		in := under(u.id, u.path, o.OUs)
		var token *string
		for {
			out, err := api.ListAccountsForParent(ctx, &organizations.ListAccountsForParentInput{ParentId: aws.String(u.id), NextToken: token})
			if err != nil {
				return nil, nil, fmt.Errorf("organizations ListAccountsForParent %s: %w", u.id, err)
			}
			for _, a := range out.Accounts {
				id := aws.ToString(a.Id)
				if !in || exclude[id] || seen[id] {
					continue
				}
				seen[id] = true
				if a.Status != orgtypes.AccountStatusActive && !o.IncludeSuspended {
					skipped = append(skipped, fmt.Sprintf("%s (%s)", id, a.Status))
					continue
				}
				accts = append(accts, Account{ID: id, Name: aws.ToString(a.Name), OU: u.path})
			}
			if token = out.NextToken; aws.ToString(token) == "" {
				break
			}
		}
		token = nil
		for {
			out, err := api.ListOrganizationalUnitsForParent(ctx, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(u.id), NextToken: token})
			if err != nil {
				return nil, nil, fmt.Errorf("organizations ListOrganizationalUnitsForParent %s: %w", u.id, err)
			}
			for _, c := range out.OrganizationalUnits {
				p := aws.ToString(c.Name)
				if u.path != "" {
					p = u.path + "/" + p
				}
				queue = append(queue, unit{id: aws.ToString(c.Id), path: p})
				if in {
					// a parent selected by the filter selects its children
					o.OUs = append(o.OUs, aws.ToString(c.Id))
				}
			}
			if token = out.NextToken; aws.ToString(token) == "" {
				break
			}
		}
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].ID < accts[j].ID })
	sort.Strings(skipped)
	return accts, skipped, nil
}

// under reports whether a unit is selected by the OU filters (all when
// none).
func under(id, path string, ous []string) bool {
	if len(ous) == 0 {
		return true
	}
	for _, f := range ous {
		if f == id || (path != "" && (path == f || strings.HasPrefix(path, f+"/"))) {
			return true
		}
	}
	return false
}

// accountsFile is the accounts file's shape.
type accountsFile struct {
	Accounts []Account `yaml:"accounts"`
}

// ReadAccounts reads an accounts file (strict YAML):
//
//	accounts:
//	  - id: "111122223333"
//	    name: tenant-a
//	    parameters: {external_id: …, env: prod}
func ReadAccounts(path string) ([]Account, error) {
	b, err := fsutil.ReadFile(path, fsutil.Config)
	if err != nil {
		return nil, err
	}
	var f accountsFile
	if err := yamlstrict.Decode(b, path, &f); err != nil {
		return nil, err
	}
	if len(f.Accounts) == 0 {
		return nil, fmt.Errorf("%s: no accounts", path)
	}
	seen := map[string]bool{}
	for i, a := range f.Accounts {
		if !accountRE.MatchString(a.ID) {
			return nil, fmt.Errorf("%s: accounts[%d]: id %q is not a 12-digit account ID (quote it in YAML)", path, i, a.ID)
		}
		if seen[a.ID] {
			return nil, fmt.Errorf("%s: account %s is listed twice", path, a.ID)
		}
		seen[a.ID] = true
		if err := a.Parameters.Validate(); err != nil {
			return nil, fmt.Errorf("%s: account %s: %w", path, a.ID, err)
		}
	}
	out := append([]Account(nil), f.Accounts...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
