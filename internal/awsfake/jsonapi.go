package awsfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

// The JSON 1.1 services, recognised by the X-Amz-Target prefix: CloudTrail
// (LookupEvents and the Lake queries), Athena and Organizations.
const (
	svcCloudTrail    = "cloudtrail"
	svcAthena        = "athena"
	svcOrganizations = "organizations"
)

// jsonService maps an X-Amz-Target header ("AmazonAthena.GetQueryResults")
// to the service and action it names.
func jsonService(target string) (service, action string) {
	prefix, action := target, target
	if i := strings.LastIndex(target, "."); i >= 0 {
		prefix, action = target[:i], target[i+1:]
	}
	switch {
	case strings.HasPrefix(prefix, "AmazonAthena"):
		return svcAthena, action
	case strings.HasPrefix(prefix, "AWSOrganizations"):
		return svcOrganizations, action
	}
	return svcCloudTrail, action
}

// isJSON reports whether a service speaks JSON 1.1 (X-Amz-Target).
func isJSON(service string) bool {
	return service == svcCloudTrail || service == svcAthena || service == svcOrganizations
}

// jsonHandlers are the operations of a JSON service.
func jsonHandlers(service string) map[string]ctHandler {
	switch service {
	case svcCloudTrail:
		h := cloudTrailHandlers()
		h["StartQuery"] = (*Server).lakeStartQuery
		h["DescribeQuery"] = (*Server).lakeDescribeQuery
		h["GetQueryResults"] = (*Server).lakeGetQueryResults
		return h
	case svcAthena:
		return map[string]ctHandler{
			"StartQueryExecution": (*Server).athenaStart,
			"GetQueryExecution":   (*Server).athenaGetExecution,
			"GetQueryResults":     (*Server).athenaGetResults,
		}
	case svcOrganizations:
		return map[string]ctHandler{
			"DescribeOrganization":             (*Server).orgDescribe,
			"ListRoots":                        (*Server).orgListRoots,
			"ListAccounts":                     (*Server).orgListAccounts,
			"ListAccountsForParent":            (*Server).orgListAccountsForParent,
			"ListOrganizationalUnitsForParent": (*Server).orgListUnitsForParent,
		}
	}
	return nil
}

// decodeJSON reads a JSON request body into v.
func decodeJSON(ex *exchange, v any) *apiError {
	if len(bytes.TrimSpace(ex.body)) == 0 {
		return nil
	}
	if err := json.Unmarshal(ex.body, v); err != nil {
		return newErr(http.StatusBadRequest, "SerializationException", "Could not parse request body: %v", err)
	}
	return nil
}

func encodeJSON(v any) ([]byte, *apiError) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, newErr(http.StatusInternalServerError, "InternalFailure", "encode: %v", err)
	}
	return b, nil
}
