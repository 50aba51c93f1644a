package posture

import "strings"

// EndpointServicesOf returns the VPC endpoint services (the last part of
// com.amazonaws.REGION.NAME) a call of action needs from inside a VPC
// without internet access, by the same table EndpointNeeds uses: nil for an
// action served without an AWS API endpoint (EFS client mounts) or by a
// service without one (IAM); ok is false when the action's service cannot
// be told (a wildcard prefix, no colon). The provisioner renders endpoints
// from it, so what it builds and what MODE-006 requires cannot drift apart.
func EndpointServicesOf(action string) (services []string, ok bool) {
	prefix, _, found := strings.Cut(action, ":")
	if !found || prefix == "" || strings.ContainsAny(prefix, "*?") {
		return nil, false
	}
	if noEndpointAction(action) {
		return nil, true
	}
	prefix = strings.ToLower(prefix)
	if svcs, listed := endpointServices[prefix]; listed {
		return append([]string(nil), svcs...), true
	}
	return []string{prefix}, true
}

// ManagedPolicyServices returns the IAM service prefixes an AWS managed
// policy that compute roles commonly carry grants (the table EndpointNeeds
// falls back on when a snapshot lacks the policy's document).
func ManagedPolicyServices(arn string) ([]string, bool) {
	s, ok := knownManagedServices[arn]
	return append([]string(nil), s...), ok
}

// ContainerServices returns the IAM service prefixes an ECS container needs
// to start, as EndpointNeeds derives them from a task definition: ECR for
// an image in ECR, CloudWatch Logs for the awslogs driver.
func ContainerServices(image, logDriver string) []string {
	var out []string
	if strings.Contains(image, ".dkr.ecr.") {
		out = append(out, "ecr")
	}
	if logDriver == "awslogs" {
		out = append(out, "logs")
	}
	return out
}
