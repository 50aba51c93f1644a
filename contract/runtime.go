package contract

import (
	"errors"
	"fmt"
	"strings"
)

// Deployment modes, as the Pennsieve document names them ("Pennsieve
// supports three deployment modes that control the level of network
// isolation").
const (
	ModeBasic     = "basic"
	ModeSecure    = "secure"
	ModeCompliant = "compliant"
)

// Modes lists the deployment modes from the least to the most isolated.
func Modes() []string { return []string{ModeBasic, ModeSecure, ModeCompliant} }

// ValidMode reports whether m names a deployment mode.
func ValidMode(m string) bool {
	return m == ModeBasic || m == ModeSecure || m == ModeCompliant
}

// Deployment says how a compute node's runtime resources (VPC, functions,
// tasks, state machines, file systems, log groups) are recognised and where
// its deployment mode is declared. What each mode requires is the
// document's table and lives in the MODE-* checks.
type Deployment struct {
	// ModeTagKeys are tag keys whose value declares a node's mode when
	// set on the node's VPC or any of its resources ("basic", "secure",
	// "compliant"; case-insensitive).
	ModeTagKeys []string `yaml:"mode_tag_keys"`
	// NodeTagKeys are tag keys whose value is a node identifier: a
	// resource carrying one belongs to that node.
	NodeTagKeys []string `yaml:"node_tag_keys"`
	// NodeNamePatterns are globs on resource names (functions, state
	// machines, clusters, services, task families, log groups, file
	// system Name tags) with {node_id}: a match belongs to that node.
	NodeNamePatterns []string `yaml:"node_name_patterns"`
}

// NodeNameMatches reports whether a resource name belongs to node id by
// the name patterns.
func (d *Deployment) NodeNameMatches(name, id string) bool {
	if d == nil || name == "" || id == "" {
		return false
	}
	for _, p := range d.NodeNamePatterns {
		if Glob(strings.ReplaceAll(p, "{node_id}", id), name) {
			return true
		}
	}
	return false
}

func (d *Deployment) validate() error {
	if len(d.ModeTagKeys) == 0 {
		return errors.New("mode_tag_keys: at least one tag key is needed")
	}
	for _, p := range d.NodeNamePatterns {
		if !strings.Contains(p, "{node_id}") {
			return fmt.Errorf("node_name_patterns: %q does not contain {node_id}", p)
		}
	}
	return nil
}

// PARRuntime is what the PAR document asks of the runtime around the
// roles: the log group and its retention, and the recommended alarms.
type PARRuntime struct {
	// LogGroup is the log group name ("/ecs/pixell-agent-runtime").
	LogGroup string `yaml:"log_group"`
	// RetentionDays is the least retention the log group must keep.
	RetentionDays int `yaml:"retention_days"`
	// Alarms are the recommended alarms.
	Alarms []AlarmRequirement `yaml:"alarms,omitempty"`
}

// AlarmRequirement is one recommended alarm: every signal must be watched
// by an enabled alarm with an action that fires whenever the value is
// above Above (within WindowSeconds, with Statistic, when set).
type AlarmRequirement struct {
	ID   string `yaml:"id"`
	Text string `yaml:"text"`
	// Signals must each be watched (CPU and memory are two signals of one
	// requirement).
	Signals []AlarmSignal `yaml:"signals"`
	// Above is the promised threshold: the alarm must be in ALARM for any
	// value above it.
	Above float64 `yaml:"above"`
	// Statistic, when set, is the statistic the alarm must use (Sum for
	// counts).
	Statistic string `yaml:"statistic,omitempty"`
	// WindowSeconds, when set, is the window the promise counts in ("in 5
	// minutes"): the alarm's period must be at least that long and one
	// datapoint must be enough.
	WindowSeconds int `yaml:"window_seconds,omitempty"`
}

// AlarmSignal is one thing an alarm must watch: a metric of the listed
// ones, or a metric filter on the log group whose pattern mentions one of
// LogPatterns.
type AlarmSignal struct {
	Name        string        `yaml:"name"`
	LogPatterns []string      `yaml:"log_patterns,omitempty"`
	Metrics     []AlarmMetric `yaml:"metrics,omitempty"`
}

// Alarm metric scopes: which dimension must name PAR's own resource.
const (
	ScopeService       = "service"        // ServiceName (and ClusterName) of the PAR service
	ScopeTargetGroup   = "target-group"   // TargetGroup of the PAR service's target group
	ScopePackageBucket = "package-bucket" // BucketName = the package_bucket parameter
)

// AlarmMetric is a CloudWatch metric that can carry a signal.
type AlarmMetric struct {
	Namespace string `yaml:"namespace"`
	Name      string `yaml:"name"`
	// Scope says which PAR resource the alarm's dimensions must name.
	Scope string `yaml:"scope,omitempty"`
}

func (r *PARRuntime) validate() error {
	if r.LogGroup == "" {
		return errors.New("log_group is empty")
	}
	if r.RetentionDays < 0 {
		return fmt.Errorf("retention_days %d", r.RetentionDays)
	}
	seen := map[string]bool{}
	for i, a := range r.Alarms {
		where := fmt.Sprintf("alarms[%d]", i)
		if a.ID == "" || seen[a.ID] {
			return fmt.Errorf("%s: missing or duplicate id %q", where, a.ID)
		}
		seen[a.ID] = true
		if a.Text == "" || len(a.Signals) == 0 {
			return fmt.Errorf("%s (%s): needs text and signals", where, a.ID)
		}
		for j, s := range a.Signals {
			if s.Name == "" || (len(s.LogPatterns) == 0 && len(s.Metrics) == 0) {
				return fmt.Errorf("%s (%s) signals[%d]: needs a name and log_patterns or metrics", where, a.ID, j)
			}
			for _, m := range s.Metrics {
				if m.Namespace == "" || m.Name == "" {
					return fmt.Errorf("%s (%s) signals[%d]: metric needs namespace and name", where, a.ID, j)
				}
				switch m.Scope {
				case "", ScopeService, ScopeTargetGroup, ScopePackageBucket:
				default:
					return fmt.Errorf("%s (%s) signals[%d]: unknown scope %q (want %s, %s or %s)", where, a.ID, j, m.Scope, ScopeService, ScopeTargetGroup, ScopePackageBucket)
				}
			}
		}
	}
	return nil
}

func (c *Contract) validateRuntime(wrap func(string, error) error) error {
	if c.Deployment != nil {
		if err := c.Deployment.validate(); err != nil {
			return wrap("deployment", err)
		}
	}
	if c.PAR != nil && c.PAR.Runtime != nil {
		if err := c.PAR.Runtime.validate(); err != nil {
			return wrap("par.runtime", err)
		}
	}
	if m := c.Parameters.DeploymentMode; m != "" && !ValidMode(m) {
		return wrap("parameters.deployment_mode", fmt.Errorf("%q is not a deployment mode (want %s)", m, strings.Join(Modes(), ", ")))
	}
	for _, s := range c.Scenarios {
		if s.Network != "" && s.Network != NetworkInternetEgress {
			return wrap("scenarios", fmt.Errorf("%s: network %q (want %s)", s.ID, s.Network, NetworkInternetEgress))
		}
	}
	return nil
}

// NetworkInternetEgress is the network question a scenario row can ask:
// can the principal's compute reach the internet? It is decided from the
// snapshot's network facts, not by simulating IAM.
const NetworkInternetEgress = "internet-egress"
