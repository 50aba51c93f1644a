package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/pvaudit/pvaudit/checks"
	"github.com/pvaudit/pvaudit/contract"
	"github.com/pvaudit/pvaudit/internal/finding"
	"github.com/pvaudit/pvaudit/probes"
	"github.com/pvaudit/pvaudit/reports"
	"github.com/pvaudit/pvaudit/suppress"
	"github.com/pvaudit/pvaudit/trail"
)

// defaultConfigFile is looked up in the current directory when --config is
// not given.
const defaultConfigFile = "pvaudit.yaml"

// fileConfig is pvaudit.yaml.
type fileConfig struct {
	// Contract is a built-in name or a file (relative to the config file).
	Contract   string              `yaml:"contract,omitempty"`
	Parameters contract.Parameters `yaml:"parameters,omitempty"`
	// Suppress is a suppression file (relative to the config file).
	Suppress string `yaml:"suppress,omitempty"`

	path string
}

// loadConfig reads the config file: path when given (it must exist), else
// pvaudit.yaml in the current directory when present.
func loadConfig(path string) (*fileConfig, error) {
	explicit := path != ""
	if !explicit {
		path = defaultConfigFile
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return &fileConfig{}, nil
		}
		return nil, fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var c fileConfig
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if err := c.Parameters.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: parameters: %w", path, err)
	}
	c.path = path
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(filepath.Dir(path), p)
	}
	if c.Contract != "" && !contains(contract.Names(), c.Contract) {
		c.Contract = rel(c.Contract)
	}
	c.Suppress = rel(c.Suppress)
	return &c, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// contractOpts are the flags that choose the contract, its parameters, the
// config file and the suppressions.
type contractOpts struct {
	name     string
	config   string
	suppress string
	params   contract.Parameters
	flags    *pflag.FlagSet
	supp     *suppress.File
}

func (o *contractOpts) register(fs *pflag.FlagSet) {
	o.flags = fs
	fs.StringVar(&o.name, "contract", "pennsieve", "contract: built-in name (pennsieve, par) or YAML file")
	fs.StringVar(&o.config, "config", "", "config file (default: ./"+defaultConfigFile+" when present)")
	fs.StringVar(&o.params.ProvisionerAccountID, "provisioner-account", "", "the provider's provisioner account ID the cross-account role must trust")
	fs.StringVar(&o.params.Env, "env", "", "environment part of the cross-account role name")
	fs.StringSliceVar(&o.params.NodeIDs, "node-id", nil, "compute node identifiers you know of (comma-separated, repeatable)")
	fs.StringVar(&o.params.ExternalID, "required-external-id", "", "the sts:ExternalId the cross-account role's trust must require")
	fs.StringVar(&o.params.WorkflowBucket, "workflow-bucket", "", "the only S3 bucket child roles may reach")
	fs.StringVar(&o.params.PackageBucket, "package-bucket", "", "the PAR agent package bucket (par contract default: pixell-agent-packages)")
	fs.StringVar(&o.params.LLMGovernorFunctionARN, "llm-governor-arn", "", "the LLM governor Lambda function ARN processor roles may invoke")
}

// registerTrail registers what the trail commands use of a contract: the
// contract, the config file and the provisioner account.
func (o *contractOpts) registerTrail(fs *pflag.FlagSet) {
	o.flags = fs
	fs.StringVar(&o.name, "contract", "pennsieve", "contract: built-in name (pennsieve, par) or YAML file")
	fs.StringVar(&o.config, "config", "", "config file (default: ./"+defaultConfigFile+" when present)")
	fs.StringVar(&o.params.ProvisionerAccountID, "provisioner-account", "", "the provider's provisioner account ID, trusted to assume the cross-account role")
}

func (o *contractOpts) registerSuppress(fs *pflag.FlagSet) {
	fs.StringVar(&o.suppress, "suppress", "", "suppression file (YAML): findings to mark suppressed, with reason and expiry")
}

// load resolves the contract: flags override the config file, which
// overrides the contract's own parameter defaults.
func (o *contractOpts) load() (*contract.Contract, *fileConfig, error) {
	cfg, err := loadConfig(o.config)
	if err != nil {
		return nil, nil, usageErr("%w", err)
	}
	name := o.name
	if cfg.Contract != "" && (o.flags == nil || !o.flags.Changed("contract")) {
		name = cfg.Contract
	}
	c, err := contract.Load(name)
	if err != nil {
		return nil, nil, usageErr("%w", err)
	}
	if err := o.params.Validate(); err != nil {
		return nil, nil, usageErr("%w", err)
	}
	c.Parameters = c.Parameters.Merge(cfg.Parameters).Merge(o.params)
	if o.suppress == "" {
		o.suppress = cfg.Suppress
	}
	if o.suppress != "" {
		if o.supp, err = suppress.Load(o.suppress); err != nil {
			return nil, nil, usageErr("--suppress: %w", err)
		}
	}
	return c, cfg, nil
}

// applySuppressions marks suppressed findings (load must have run) and logs
// expired and unused rules.
func (o *contractOpts) applySuppressions(a *app, fs []finding.Finding) {
	if o.supp == nil {
		return
	}
	res := o.supp.Apply(fs, a.now())
	for _, r := range res.Expired {
		a.log.Warn("suppression expired; the finding is reported again", "rule", r.Describe(), "expired", r.Expires, "reason", r.Reason)
	}
	for _, r := range res.Unused {
		a.log.Info("suppression matched no failing finding", "rule", r.Describe())
	}
}

func newContractCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "contract",
		Short: "List, show or start a contract (the promises, as data)",
		Long: `A contract is what a provider's document promises, as YAML: the cross-account
role's naming, trust, ExternalId and session length, the boundary pattern, the
allowed and forbidden services, how child, processor and PAR roles are
recognised and what they may do. Built-ins: pennsieve (default) and par.`,
		Example: `  pvaudit contract list
  pvaudit contract init > my-contract.yaml
  pvaudit scan --from account.json --contract my-contract.yaml`,
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:     "list",
			Short:   "List the built-in contracts",
			Example: "  pvaudit contract list",
			Args:    cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				t := reports.NewTable(a.stdout, "NAME", "TITLE", "DOCUMENT")
				for _, n := range contract.Names() {
					c, err := contract.Load(n)
					if err != nil {
						return err
					}
					if err := t.Append([]string{c.Name, c.Title, c.Document}); err != nil {
						return err
					}
				}
				return t.Render()
			},
		},
		&cobra.Command{
			Use:     "show NAME|FILE",
			Short:   "Print a contract's YAML",
			Example: "  pvaudit contract show pennsieve\n  pvaudit contract show par",
			Args:    cobra.ExactArgs(1),
			RunE: func(_ *cobra.Command, args []string) error {
				b, err := contract.Builtin(args[0])
				if err != nil {
					if b, err = os.ReadFile(args[0]); err != nil {
						return usageErr("contract %q is neither a built-in (%s) nor a readable file", args[0], strings.Join(contract.Names(), ", "))
					}
					if _, err := contract.Parse(b, args[0]); err != nil {
						return usageErr("%w", err)
					}
				}
				_, err = a.stdout.Write(b)
				return err
			},
		},
		newContractInitCmd(a),
	)
	return cmd
}

func newContractInitCmd(a *app) *cobra.Command {
	from := "pennsieve"
	name := "my-contract"
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Print a contract to start from (a copy of a built-in)",
		Example: `  pvaudit contract init > my-contract.yaml
  pvaudit contract init --from par --name our-par > par.yaml
  pvaudit scan --contract my-contract.yaml`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := contract.Builtin(from)
			if err != nil {
				return usageErr("--from: %w", err)
			}
			src := strings.Replace(string(b), "name: "+from+"\n", "name: "+name+"\n", 1)
			out := "# Contract " + name + ", started from the built-in " + from + " (pvaudit contract init).\n" +
				"# Set parameters (provisioner_account_id, external_id, workflow_bucket, …), tighten the rules,\n" +
				"# then: pvaudit scan --contract THIS_FILE\n" + src
			if _, err := contract.Parse([]byte(out), "init"); err != nil {
				return fmt.Errorf("generated contract does not load: %w", err)
			}
			_, err = io.WriteString(a.stdout, out)
			return err
		},
	}
	cmd.Flags().StringVar(&from, "from", from, "built-in to copy: "+strings.Join(contract.Names(), ", "))
	cmd.Flags().StringVar(&name, "name", name, "name of the new contract")
	return cmd
}

// checkInfo is one catalogue entry in `checks list -o json`.
type checkInfo struct {
	ID     string `json:"id"`
	Source string `json:"source"` // catalogue, probe (scenario rows) or trail (CloudTrail replay)
	Title  string `json:"title"`
	// Severity is the check's; probe and trail findings take theirs from
	// the row or the event ("varies").
	Severity    string            `json:"severity"`
	Rationale   string            `json:"rationale,omitempty"`
	Remediation string            `json:"remediation"`
	Controls    []finding.Control `json:"controls"`
}

// checkInfos lists everything scan can report: the catalogue, the probe
// checks and the CloudTrail session checks.
func checkInfos() []checkInfo {
	norm := func(cs []finding.Control) []finding.Control {
		f := finding.Finding{Controls: append([]finding.Control(nil), cs...)}
		f.Finalize()
		return f.Controls
	}
	var out []checkInfo
	for _, c := range checks.Catalogue() {
		out = append(out, checkInfo{ID: c.ID, Source: "catalogue", Title: c.Title, Severity: c.Severity.String(),
			Rationale: c.Rationale, Remediation: c.Remediation, Controls: norm(c.Controls)})
	}
	for _, id := range probes.CheckIDs() {
		title, fix, ctl := probes.Describe(id)
		out = append(out, checkInfo{ID: id, Source: "probe", Title: title, Severity: "varies", Remediation: fix, Controls: norm(ctl)})
	}
	for _, id := range trail.CheckIDs() {
		title, fix, ctl := trail.Describe(id)
		out = append(out, checkInfo{ID: id, Source: "trail", Title: title, Severity: "varies", Remediation: fix, Controls: norm(ctl)})
	}
	return out
}

func newChecksCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "checks",
		Short:   "Show the check catalogue",
		Example: "  pvaudit checks list\n  pvaudit checks list -o json | jq '.checks[] | select(.severity == \"critical\") | .id'",
	}
	output := "table"
	list := &cobra.Command{
		Use:   "list",
		Short: "List every check with its severity and control mappings",
		Long: `list shows every check scan can report: the catalogue (PV-…), the probe checks
(PV-PRB-…, one finding per scenario row, with the row's severity) and the
CloudTrail session checks (TRAIL-…, reported when scan is given --trail-*).
Any of these IDs can be given to scan --checks and --skip-checks.`,
		Example: "  pvaudit checks list\n  pvaudit checks list -o json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			infos := checkInfos()
			switch output {
			case "json":
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"schema": "pvaudit.checks/v1", "checks": infos})
			case "table":
				t := reports.NewTable(a.stdout, "ID", "SOURCE", "SEVERITY", "TITLE", "CONTROLS")
				for _, c := range infos {
					var ctl []string
					for _, x := range c.Controls {
						ctl = append(ctl, x.String())
					}
					if err := t.Append([]string{c.ID, c.Source, c.Severity, c.Title, strings.Join(ctl, " ")}); err != nil {
						return err
					}
				}
				return t.Render()
			}
			return usageErr("-o %q: want table or json", output)
		},
	}
	list.Flags().StringVarP(&output, "output", "o", output, "output format: table or json")
	cmd.AddCommand(list)
	return cmd
}
