package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pvaudit/pvaudit/internal/permissions"
)

func newIAMPolicyCmd(a *app) *cobra.Command {
	var mode string
	var why bool
	cmd := &cobra.Command{
		Use:   "iam-policy --for " + strings.Join(permissions.Modes(), "|"),
		Short: "Print the minimal IAM policy pvaudit needs for a mode",
		Long: `iam-policy prints the identity policy to grant the principal pvaudit runs as,
for one mode: every action that mode calls and nothing else. Every mode but
provision and athena is read-only. sts:GetCallerIdentity needs no permission.

  scan       the account's IAM state and runtime section (also snapshot and roles)
  probe      scan's reads and iam:SimulatePrincipalPolicy (--engine aws|both)
  trail      cloudtrail:LookupEvents (--lookup) and cloudtrail:ListPublicKeys (--digest-keys-live)
  drift      scan's reads and cloudtrail:LookupEvents (attribution)
  evidence   scan's reads and the CloudTrail reads of --trail-lookup / --trail-digest-keys-live
  provision  scan's reads, iam:ListPolicyTags and the writes of apply, destroy and account deregister
  org        --org/--accounts: the organisation's account and OU listing, sts:AssumeRole on the audit roles
  lake       --lake/--trail-lake: a CloudTrail Lake query
  athena     --athena/--trail-athena: an Athena query, its Glue table, its S3 data and result location`,
		Example: `  pvaudit iam-policy --for scan > pvaudit-scan.json
  aws iam put-role-policy --role-name pvaudit-audit --policy-name pvaudit --policy-document file://pvaudit-scan.json
  pvaudit iam-policy --for provision --why`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if mode == "" {
				return usageErr("iam-policy needs --for MODE (%s)", strings.Join(permissions.Modes(), ", "))
			}
			doc, err := permissions.Policy(mode)
			if err != nil {
				return usageErr("--for: %w", err)
			}
			if why {
				ss, _ := permissions.Statements(mode)
				for _, s := range ss {
					fmt.Fprintf(a.stderr, "%s: %s\n", s.Sid, s.Why)
				}
			}
			_, err = a.stdout.Write(doc)
			return err
		},
	}
	cmd.Flags().StringVar(&mode, "for", "", "the mode: "+strings.Join(permissions.Modes(), ", "))
	cmd.Flags().BoolVar(&why, "why", false, "say on standard error why each statement is needed")
	return cmd
}
