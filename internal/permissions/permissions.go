// Package permissions says what pvaudit itself needs from IAM: the minimal
// policy of each mode (read-only for all but provision), as `pvaudit
// iam-policy --for MODE` prints it. The action lists mirror the narrow AWS
// interfaces the packages declare (inventory/live, probes, trail,
// provision); a test checks that every method of those interfaces is
// listed, so a new call cannot be made without its permission here.
package permissions

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pvaudit/pvaudit/inventory/live"
)

// A Statement is one group of actions with the reason they are needed.
type Statement struct {
	// Sid names the group in the printed policy.
	Sid string
	// Why says which command or flag makes the calls.
	Why     string
	Actions []string
}

// The groups every mode is built from. sts:GetCallerIdentity needs no
// permission (AWS allows it to every caller), so it is not listed.
var (
	readAccount = Statement{Sid: "PvauditReadAccount", Why: "read the account's IAM state (every live command)",
		Actions: []string{"iam:GetAccountAuthorizationDetails", "iam:ListRoles", "iam:ListAccessKeys"}}
	// readRuntime is the runtime section of a live snapshot (network, logs,
	// alarms, compute): every live read of the account makes these calls.
	readRuntime = Statement{Sid: "PvauditReadRuntime", Why: "the runtime section (deployment modes, PAR's network and logging): MODE-*, PV-NET-*, PV-LOG-*",
		Actions: live.NetworkReadActions()}
	simulate = Statement{Sid: "PvauditSimulate", Why: "probe --engine aws|both: AWS's policy simulator",
		Actions: []string{"iam:SimulatePrincipalPolicy"}}
	lookup = Statement{Sid: "PvauditLookupEvents", Why: "--lookup / --trail-lookup: CloudTrail event history",
		Actions: []string{"cloudtrail:LookupEvents"}}
	digestKeys = Statement{Sid: "PvauditDigestKeys", Why: "--digest-keys-live: CloudTrail's digest signing keys",
		Actions: []string{"cloudtrail:ListPublicKeys"}}
	organizations = Statement{Sid: "PvauditListOrganization", Why: "scan/evidence export --org: the organisation's accounts and OUs (management or delegated-administrator account)",
		Actions: []string{"organizations:ListRoots", "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}}
	assumeAudit = Statement{Sid: "PvauditAssumeAuditRole", Why: "--org/--accounts: the audit role in each account (narrow Resource to arn:aws:iam::*:role/<--audit-role-name>); each audit role needs iam-policy --for scan",
		Actions: []string{"sts:AssumeRole"}}
	lakeQuery = Statement{Sid: "PvauditLakeQuery", Why: "trail sessions --lake / scan --trail-lake: a query over the event data store (it reads, writes nothing)",
		Actions: []string{"cloudtrail:StartQuery", "cloudtrail:DescribeQuery", "cloudtrail:GetQueryResults"}}
	athenaQuery = Statement{Sid: "PvauditAthenaQuery", Why: "--athena: the query, the table's Glue metadata, its S3 prefix (read) and --athena-output (Athena writes the result there; narrow Resource to both prefixes)",
		Actions: []string{"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
			"glue:GetDatabase", "glue:GetTable", "glue:GetPartitions",
			"s3:GetObject", "s3:ListBucket", "s3:GetBucketLocation", "s3:PutObject"}}
	policyTags = Statement{Sid: "PvauditReadPolicyTags", Why: "provision: which boundary policies pvaudit manages",
		Actions: []string{"iam:ListPolicyTags"}}
	provisionWrites = Statement{Sid: "PvauditProvisionWrite", Why: "provision apply|destroy, account deregister: the only writes",
		Actions: []string{
			"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy",
			"iam:CreateRole", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:TagRole", "iam:UntagRole",
			"iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy",
			"iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:RemoveRoleFromInstanceProfile",
		}}
)

// modes maps each mode to its statements.
var modes = map[string][]Statement{
	"scan":      {readAccount, readRuntime},
	"probe":     {readAccount, readRuntime, simulate},
	"trail":     {lookup, digestKeys},
	"drift":     {readAccount, readRuntime, lookup},
	"evidence":  {readAccount, readRuntime, lookup, digestKeys},
	"provision": {readAccount, readRuntime, policyTags, provisionWrites},
	"org":       {organizations, assumeAudit},
	"lake":      {lakeQuery},
	"athena":    {athenaQuery},
}

// Modes lists the modes, sorted.
func Modes() []string {
	out := make([]string, 0, len(modes))
	for m := range modes {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// Statements returns a mode's statements (copies), or an error naming the
// modes.
func Statements(mode string) ([]Statement, error) {
	ss, ok := modes[mode]
	if !ok {
		return nil, fmt.Errorf("unknown mode %q: want one of %s", mode, strings.Join(Modes(), ", "))
	}
	out := make([]Statement, len(ss))
	for i, s := range ss {
		s.Actions = append([]string(nil), s.Actions...)
		sort.Strings(s.Actions)
		out[i] = s
	}
	return out, nil
}

// Actions returns every action of a mode, sorted.
func Actions(mode string) ([]string, error) {
	ss, err := Statements(mode)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range ss {
		out = append(out, s.Actions...)
	}
	sort.Strings(out)
	return out, nil
}

// ReadOnly reports whether a mode only reads: every mode but provision,
// and athena (Athena writes each query's result to the output location).
func ReadOnly(mode string) bool { return mode != "provision" && mode != "athena" }

// Policy is the mode's identity policy as IAM JSON, indented, with the
// actions in without (if any) left out: the tests grant all but one.
func Policy(mode string, without ...string) ([]byte, error) {
	ss, err := Statements(mode)
	if err != nil {
		return nil, err
	}
	drop := map[string]bool{}
	for _, a := range without {
		drop[a] = true
	}
	type stmt struct {
		Sid      string   `json:"Sid"`
		Effect   string   `json:"Effect"`
		Action   []string `json:"Action"`
		Resource string   `json:"Resource"`
	}
	doc := struct {
		Version   string `json:"Version"`
		Statement []stmt `json:"Statement"`
	}{Version: "2012-10-17"}
	for _, s := range ss {
		var acts []string
		for _, a := range s.Actions {
			if !drop[a] {
				acts = append(acts, a)
			}
		}
		if len(acts) > 0 {
			doc.Statement = append(doc.Statement, stmt{Sid: s.Sid, Effect: "Allow", Action: acts, Resource: "*"})
		}
	}
	if len(doc.Statement) == 0 {
		doc.Statement = []stmt{}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("iam policy for %s: %w", mode, err)
	}
	return append(b, '\n'), nil
}
