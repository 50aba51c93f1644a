package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/classify"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/inventory"
	"github.com/pvaudit/pvaudit/reports"
)

type rolesOpts struct {
	src      sourceOpts
	contract string
	output   string
}

func newRolesCmd(a *app) *cobra.Command {
	o := &rolesOpts{}
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "List the account's roles: kind, boundary, trusted principals, last use, max session",
		Long: `roles is the quick first look: every IAM role with what the contract makes of it
(cross-account, child of a compute node, or other, and why), its permissions
boundary, who may assume it, when it was last used and its maximum session.`,
		Example: `  pvaudit roles --from testdata/accounts/sample.json
  pvaudit roles --profile audit -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.src.validate(); err != nil {
				return err
			}
			if o.output != "table" && o.output != "json" {
				return usageErr("-o %q: want table or json", o.output)
			}
			c, err := contract.Load(o.contract)
			if err != nil {
				return usageErr("%w", err)
			}
			snap, _, err := o.src.load(cmd.Context(), a)
			if err != nil {
				return err
			}
			env := checks.NewEnv(snap, c, a.now())
			if o.output == "json" {
				return writeRolesJSON(a, env)
			}
			t := reports.NewTable(a.stdout, "ROLE", "KIND", "BOUNDARY", "TRUSTED PRINCIPALS", "LAST USED", "MAX SESSION")
			for _, rc := range env.Roles {
				r := rc.Role
				boundary := "-"
				if r.PermissionsBoundary != nil {
					boundary = reports.ShortResource(r.PermissionsBoundary.ARN)
					if acct := inventory.AccountFromARN(r.PermissionsBoundary.ARN); acct != snap.AccountID {
						boundary = acct + ":" + boundary // not this account's: say so
					}
				}
				last := "never/unknown"
				if r.LastUsed != nil {
					last = r.LastUsed.Date.UTC().Format("2006-01-02")
				}
				session := "unknown"
				if r.MaxSessionDuration > 0 {
					session = humanDuration(time.Duration(r.MaxSessionDuration) * time.Second)
				}
				if err := t.Append([]string{r.Name, string(rc.Kind), boundary, strings.Join(trusted(rc), "\n"), last, session}); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			if len(snap.Gaps) > 0 {
				fmt.Fprintf(a.stdout, "\nIncomplete: %d coverage gap(s); run `pvaudit scan` for details.\n", len(snap.Gaps))
				return withCode(exitError)
			}
			return nil
		},
	}
	o.src.register(cmd.Flags())
	cmd.Flags().StringVar(&o.contract, "contract", "pennsieve", "contract (built-in name or YAML file) that decides which roles are cross-account and child roles")
	cmd.Flags().StringVarP(&o.output, "output", "o", "table", "output format: table or json")
	return cmd
}

// humanDuration writes 1h, 12h, 1h30m, 45m.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d == 0 {
		return "0s"
	}
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	h := d / time.Hour
	m := (d % time.Hour) / time.Minute
	s := (d % time.Minute) / time.Second
	var b strings.Builder
	b.WriteString(sign)
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 || (h > 0 && s > 0) {
		fmt.Fprintf(&b, "%dm", m)
	}
	if s > 0 {
		fmt.Fprintf(&b, "%ds", s)
	}
	return b.String()
}

func trusted(rc classify.Role) []string {
	var out []string
	if rc.Role.TrustPolicy == nil {
		return []string{"(unknown)"}
	}
	for _, st := range rc.Role.TrustPolicy.Statements {
		if st.Effect != "Allow" {
			continue
		}
		out = append(out, st.Principal.Values()...)
	}
	return out
}

func writeRolesJSON(a *app, env *checks.Env) error {
	type row struct {
		Name               string   `json:"name"`
		ARN                string   `json:"arn"`
		Kind               string   `json:"kind"`
		Reasons            []string `json:"reasons,omitempty"`
		NodeID             string   `json:"node_id,omitempty"`
		Boundary           string   `json:"boundary,omitempty"`
		Trusted            []string `json:"trusted_principals"`
		LastUsed           string   `json:"last_used,omitempty"`
		MaxSessionDuration int      `json:"max_session_duration,omitempty"`
	}
	rows := []row{}
	for _, rc := range env.Roles {
		r := rc.Role
		x := row{Name: r.Name, ARN: r.ARN, Kind: string(rc.Kind), Reasons: rc.Reasons, NodeID: rc.NodeID, Trusted: trusted(rc), MaxSessionDuration: r.MaxSessionDuration}
		if r.PermissionsBoundary != nil {
			x.Boundary = r.PermissionsBoundary.ARN
		}
		if r.LastUsed != nil {
			x.LastUsed = r.LastUsed.Date.UTC().Format(time.RFC3339)
		}
		rows = append(rows, x)
	}
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(map[string]any{"account": env.Snap.AccountID, "roles": rows, "coverage_gaps": len(env.Snap.Gaps)}); err != nil {
		return err
	}
	if len(env.Snap.Gaps) > 0 {
		return withCode(exitError)
	}
	return nil
}
