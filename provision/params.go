package provision

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Params are the customer's values the desired state is built from.
type Params struct {
	// Account is the account the resources live in (12 digits).
	Account string
	// Region is the region of the node's regional ARNs (EFS, logs, the LLM
	// governor); us-east-1 when empty.
	Region string
	// Manager is the value of the pvaudit:managed-by tag (ManagedByValue
	// when empty).
	Manager string

	// pennsieve: Pennsieve-Compute-{Env}-{RoleID}, trusted by
	// ProvisionerAccount with ExternalID.
	Env                string
	RoleID             string
	ProvisionerAccount string
	ExternalID         string
	Nodes              []Node
	// WorkflowBucket is added to what the node boundaries let through.
	WorkflowBucket string
	// LLMGovernor lets processor roles invoke the node's LLM governor
	// (LLMGovernorARN, which may use {account_id} and {node_id}).
	LLMGovernor    bool
	LLMGovernorARN string

	// par: the agent package bucket and, when both are given, the
	// execution role's EFS statement.
	PackageBucket  string
	EFSFileSystem  string
	EFSAccessPoint string

	// DeploymentMode is the mode the nodes' network is rendered for
	// (basic, secure, compliant); the contract's deployment_mode
	// parameter when empty, and no network at all when both are.
	DeploymentMode string
}

// Node is one compute node.
type Node struct {
	ID string
	// FileSystem is the node's EFS file system ID (fs-…), the only one its
	// processors may mount.
	FileSystem string
}

var (
	accountRE    = regexp.MustCompile(`^[0-9]{12}$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	envRE        = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)
	roleIDRE     = regexp.MustCompile(`^[A-Za-z0-9]{1,16}$`)
	nodeIDRE     = regexp.MustCompile(`^[a-z0-9]{1,32}$`)
	fileSystemRE = regexp.MustCompile(`^fs-[0-9a-f]{8,40}$`)
	accessPtRE   = regexp.MustCompile(`^fsap-[0-9a-f]{8,40}$`)
	externalIDRE = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
	bucketRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// ErrParams is wrapped by every error about the parameters.
var ErrParams = errors.New("invalid provisioning parameters")

func paramErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrParams, fmt.Sprintf(format, args...))
}

func (p *Params) region() string {
	if p.Region == "" {
		return "us-east-1"
	}
	return p.Region
}

func (p *Params) manager() string {
	if p.Manager == "" {
		return ManagedByValue
	}
	return p.Manager
}

func (p *Params) validateCommon() error {
	if !accountRE.MatchString(p.Account) {
		return paramErr("account %q is not a 12-digit account ID", p.Account)
	}
	if p.Region != "" && !regionRE.MatchString(p.Region) {
		return paramErr("region %q is not an AWS region name", p.Region)
	}
	return nil
}

func (p *Params) validatePennsieve(requireExternalID bool) error {
	if err := p.validateCommon(); err != nil {
		return err
	}
	switch {
	case !envRE.MatchString(p.Env):
		return paramErr("--env %q: want 1–16 letters or digits (the {env} of Pennsieve-Compute-{env}-{id})", p.Env)
	case !roleIDRE.MatchString(p.RoleID):
		return paramErr("role ID %q: want 1–16 letters or digits (the {id} of Pennsieve-Compute-{env}-{id})", p.RoleID)
	case !accountRE.MatchString(p.ProvisionerAccount):
		return paramErr("--provisioner-account %q is not a 12-digit account ID", p.ProvisionerAccount)
	case p.ProvisionerAccount == p.Account:
		return paramErr("the provisioner account %s is the account itself; the cross-account role must trust the provider's account", p.Account)
	case requireExternalID && p.ExternalID == "":
		return paramErr("--external-id is required: the contract's trust demands sts:ExternalId")
	case p.ExternalID != "" && (len(p.ExternalID) < 2 || len(p.ExternalID) > 1224 || !externalIDRE.MatchString(p.ExternalID)):
		return paramErr("--external-id %q: want 2–1224 characters of [A-Za-z0-9+=,.@:/-]", p.ExternalID)
	case p.WorkflowBucket != "" && !bucketRE.MatchString(p.WorkflowBucket):
		return paramErr("workflow bucket %q is not a bucket name", p.WorkflowBucket)
	}
	seen := map[string]bool{}
	for _, n := range p.Nodes {
		switch {
		case !nodeIDRE.MatchString(n.ID):
			// No hyphen: node namespaces pennsieve-<node>-* must never
			// overlap (pennsieve-a-* would cover node a-b's roles).
			return paramErr("node %q: want 1–32 lower-case letters or digits (no hyphen, so that node namespaces cannot overlap)", n.ID)
		case seen[n.ID]:
			return paramErr("node %s is given twice", n.ID)
		case n.FileSystem == "":
			return paramErr("node %s has no EFS file system: give --file-system %s=fs-…", n.ID, n.ID)
		case !fileSystemRE.MatchString(n.FileSystem):
			return paramErr("node %s: file system %q is not an EFS file system ID (fs-…)", n.ID, n.FileSystem)
		}
		seen[n.ID] = true
	}
	return nil
}

func (p *Params) validatePAR() error {
	if err := p.validateCommon(); err != nil {
		return err
	}
	switch {
	case !bucketRE.MatchString(p.PackageBucket):
		return paramErr("package bucket %q is not a bucket name", p.PackageBucket)
	case (p.EFSFileSystem == "") != (p.EFSAccessPoint == ""):
		return paramErr("the execution role's EFS statement needs both --file-system and --access-point")
	case p.EFSFileSystem != "" && !fileSystemRE.MatchString(p.EFSFileSystem):
		return paramErr("file system %q is not an EFS file system ID (fs-…)", p.EFSFileSystem)
	case p.EFSAccessPoint != "" && !accessPtRE.MatchString(p.EFSAccessPoint):
		return paramErr("access point %q is not an EFS access point ID (fsap-…)", p.EFSAccessPoint)
	case len(p.Nodes) > 0:
		return paramErr("the par contract has no compute nodes (--node)")
	}
	return nil
}

// NewRoleID returns 8 random hex digits from r (crypto/rand when nil): the
// {id} of a new cross-account role.
func NewRoleID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 4)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("random role ID: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// ParseFileSystems turns NODE=fs-… values into a map; a value without
// NODE= is returned as the single unnamed file system (the par contract's).
func ParseFileSystems(values []string) (byNode map[string]string, single string, err error) {
	byNode = map[string]string{}
	for _, v := range values {
		node, fs, ok := strings.Cut(v, "=")
		if !ok {
			if single != "" {
				return nil, "", paramErr("--file-system %q: give NODE=fs-… for each node", v)
			}
			single = v
			continue
		}
		if _, dup := byNode[node]; dup {
			return nil, "", paramErr("--file-system names node %s twice", node)
		}
		byNode[node] = fs
	}
	return byNode, single, nil
}

// NodesFrom pairs node IDs with their file systems, sorted by ID.
func NodesFrom(ids []string, fileSystems map[string]string) ([]Node, error) {
	var out []Node
	known := map[string]bool{}
	for _, id := range ids {
		if known[id] {
			continue
		}
		known[id] = true
		out = append(out, Node{ID: id, FileSystem: fileSystems[id]})
	}
	for id := range fileSystems {
		if !known[id] {
			return nil, paramErr("--file-system names node %s, which is not a --node", id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
