package policy

import "strings"

// baseOperators are IAM's condition operators without the IfExists suffix
// or set qualifier.
var baseOperators = map[string]bool{
	"stringequals": true, "stringnotequals": true, "stringequalsignorecase": true,
	"stringnotequalsignorecase": true, "stringlike": true, "stringnotlike": true,
	"numericequals": true, "numericnotequals": true, "numericlessthan": true,
	"numericlessthanequals": true, "numericgreaterthan": true, "numericgreaterthanequals": true,
	"dateequals": true, "datenotequals": true, "datelessthan": true, "datelessthanequals": true,
	"dategreaterthan": true, "dategreaterthanequals": true,
	"bool": true, "binaryequals": true, "ipaddress": true, "notipaddress": true,
	"arnequals": true, "arnlike": true, "arnnotequals": true, "arnnotlike": true,
	"null": true,
}

// KnownOperator reports whether op is a condition operator IAM accepts,
// including ForAllValues:/ForAnyValue: qualifiers and the IfExists suffix.
func KnownOperator(op string) bool {
	lower := strings.ToLower(op)
	if q, rest, ok := strings.Cut(lower, ":"); ok {
		if q != "forallvalues" && q != "foranyvalue" {
			return false
		}
		lower = rest
	}
	if base, ok := strings.CutSuffix(lower, "ifexists"); ok {
		return base != "null" && baseOperators[base]
	}
	return baseOperators[lower]
}
