package awsfake

import (
	"sort"
	"strconv"
	"strings"

	"github.com/pvaudit/pvaudit/policy"
)

func iamHandlers() map[string]queryHandler {
	return map[string]queryHandler{
		"CreateRole":                     (*Server).iamCreateRole,
		"GetRole":                        (*Server).iamGetRole,
		"ListRoles":                      (*Server).iamListRoles,
		"DeleteRole":                     (*Server).iamDeleteRole,
		"UpdateAssumeRolePolicy":         (*Server).iamUpdateAssumeRolePolicy,
		"UpdateRole":                     (*Server).iamUpdateRole,
		"PutRolePolicy":                  (*Server).iamPutRolePolicy,
		"GetRolePolicy":                  (*Server).iamGetRolePolicy,
		"DeleteRolePolicy":               (*Server).iamDeleteRolePolicy,
		"ListRolePolicies":               (*Server).iamListRolePolicies,
		"AttachRolePolicy":               (*Server).iamAttachRolePolicy,
		"DetachRolePolicy":               (*Server).iamDetachRolePolicy,
		"ListAttachedRolePolicies":       (*Server).iamListAttachedRolePolicies,
		"PutRolePermissionsBoundary":     (*Server).iamPutRolePermissionsBoundary,
		"DeleteRolePermissionsBoundary":  (*Server).iamDeleteRolePermissionsBoundary,
		"CreatePolicy":                   (*Server).iamCreatePolicy,
		"GetPolicy":                      (*Server).iamGetPolicy,
		"GetPolicyVersion":               (*Server).iamGetPolicyVersion,
		"CreatePolicyVersion":            (*Server).iamCreatePolicyVersion,
		"DeletePolicyVersion":            (*Server).iamDeletePolicyVersion,
		"SetDefaultPolicyVersion":        (*Server).iamSetDefaultPolicyVersion,
		"ListPolicyVersions":             (*Server).iamListPolicyVersions,
		"DeletePolicy":                   (*Server).iamDeletePolicy,
		"ListPolicies":                   (*Server).iamListPolicies,
		"TagRole":                        (*Server).iamTagRole,
		"UntagRole":                      (*Server).iamUntagRole,
		"ListRoleTags":                   (*Server).iamListRoleTags,
		"TagPolicy":                      (*Server).iamTagPolicy,
		"UntagPolicy":                    (*Server).iamUntagPolicy,
		"ListPolicyTags":                 (*Server).iamListPolicyTags,
		"CreateInstanceProfile":          (*Server).iamCreateInstanceProfile,
		"AddRoleToInstanceProfile":       (*Server).iamAddRoleToInstanceProfile,
		"RemoveRoleFromInstanceProfile":  (*Server).iamRemoveRoleFromInstanceProfile,
		"DeleteInstanceProfile":          (*Server).iamDeleteInstanceProfile,
		"ListInstanceProfilesForRole":    (*Server).iamListInstanceProfilesForRole,
		"CreateUser":                     (*Server).iamCreateUser,
		"GetUser":                        (*Server).iamGetUser,
		"DeleteUser":                     (*Server).iamDeleteUser,
		"ListUsers":                      (*Server).iamListUsers,
		"CreateAccessKey":                (*Server).iamCreateAccessKey,
		"ListAccessKeys":                 (*Server).iamListAccessKeys,
		"DeleteAccessKey":                (*Server).iamDeleteAccessKey,
		"GetAccountAuthorizationDetails": (*Server).iamGetAccountAuthorizationDetails,
		"SimulatePrincipalPolicy":        (*Server).iamSimulatePrincipalPolicy,
	}
}

// validName checks IAM's pattern for role, user, policy and profile names.
func validName(kind, name string, max int) *apiError {
	if name == "" || len(name) > max || !nameChars(name) {
		return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+ and length %d", name, kind, max)
	}
	return nil
}

// nameChars reports whether s matches IAM's [\w+=,.@-]+.
func nameChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("_+=,.@-", c) >= 0:
		default:
			return false
		}
	}
	return s != ""
}

func validPath(p string) *apiError {
	if p == "/" || (strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") && len(p) <= 512) {
		return nil
	}
	return errValidation("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
}

// validateDoc checks a submitted policy document as IAM does, returning
// MalformedPolicyDocument for anything it would reject.
func validateDoc(doc string, trust bool) *apiError {
	if strings.TrimSpace(doc) == "" {
		return errMalformed("Syntax errors in policy.")
	}
	d, err := policy.ParseString(doc)
	if err != nil {
		return errMalformed("Syntax errors in policy. %v", err)
	}
	for i, st := range d.Statements {
		hasPrincipal := st.Principal != nil || st.NotPrincipal != nil
		if trust && !hasPrincipal {
			return errMalformed("Missing required field Principal in statement %d", i)
		}
		if trust && (st.Resource != nil || st.NotResource != nil) {
			return errMalformed("Has prohibited field Resource")
		}
		if !trust && hasPrincipal {
			return errMalformed("Policy document should not specify a principal.")
		}
		if !trust && st.Resource == nil && st.NotResource == nil {
			return errMalformed("Policy statement must contain resources.")
		}
	}
	return nil
}

func (s *Server) role(name string) (*role, *apiError) {
	if name == "" {
		return nil, errValidation("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	r, ok := s.st.roles[name]
	if !ok || s.hiddenNow("role/"+name) {
		return nil, errNoSuchEntity("The role with name %s cannot be found.", name)
	}
	return r, nil
}

func (s *Server) managedPolicy(arn string) (*managedPolicy, *apiError) {
	if arn == "" {
		return nil, errValidation("1 validation error detected: Value null at 'policyArn' failed to satisfy constraint: Member must not be null")
	}
	p, ok := s.st.policies[arn]
	if !ok || s.hiddenNow("policy/"+arn) {
		return nil, errNoSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	return p, nil
}

func (s *Server) iamUser(name string) (*user, *apiError) {
	u, ok := s.st.users[name]
	if !ok {
		return nil, errNoSuchEntity("The user with name %s cannot be found.", name)
	}
	return u, nil
}

func (ex *exchange) addResource(typ, name string) {
	ex.resources = append(ex.resources, trailResource{Type: typ, Name: name})
}

// ---- XML writers ------------------------------------------------------------

func writeTags(x *xmlBuilder, tags []tag) {
	if len(tags) == 0 {
		return
	}
	x.open("Tags")
	for _, t := range tags {
		x.open("member")
		x.el("Key", t.key)
		x.el("Value", t.value)
		x.close("member")
	}
	x.close("Tags")
}

func writeBoundary(x *xmlBuilder, arn string) {
	if arn == "" {
		return
	}
	x.open("PermissionsBoundary")
	x.el("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
	x.el("PermissionsBoundaryArn", arn)
	x.close("PermissionsBoundary")
}

// writeRoleFields writes a Role's members. full adds what ListRoles omits.
func (s *Server) writeRoleFields(x *xmlBuilder, r *role, full bool) {
	x.el("Path", r.path)
	x.el("RoleName", r.name)
	x.el("RoleId", r.id)
	x.el("Arn", r.arn)
	x.time("CreateDate", r.created)
	x.el("AssumeRolePolicyDocument", urlEncodeDoc(r.trust))
	x.opt("Description", r.description)
	x.int("MaxSessionDuration", int(r.maxSession))
	if full {
		writeBoundary(x, r.boundary)
		writeTags(x, r.tags)
		writeRoleLastUsed(x, r)
	}
}

func writeRoleLastUsed(x *xmlBuilder, r *role) {
	x.open("RoleLastUsed")
	if !r.lastUsed.IsZero() {
		x.time("LastUsedDate", r.lastUsed)
		x.el("Region", DefaultRegion)
	}
	x.close("RoleLastUsed")
}

func (s *Server) writeRole(x *xmlBuilder, elem string, r *role, full bool) {
	x.open(elem)
	s.writeRoleFields(x, r, full)
	x.close(elem)
}

func writePolicy(x *xmlBuilder, elem string, p *managedPolicy, withDescription bool) {
	x.open(elem)
	x.el("PolicyName", p.name)
	x.el("PolicyId", p.id)
	x.el("Arn", p.arn)
	x.el("Path", p.path)
	x.el("DefaultVersionId", p.defaultVersion)
	x.int("AttachmentCount", p.attachments)
	x.int("PermissionsBoundaryUsageCount", p.boundaryUses)
	x.bool("IsAttachable", true)
	if withDescription {
		x.opt("Description", p.description)
	}
	x.time("CreateDate", p.created)
	x.time("UpdateDate", p.updated)
	writeTags(x, p.tags)
	x.close(elem)
}

func writeVersion(x *xmlBuilder, elem string, p *managedPolicy, v *policyVersion, withDoc bool) {
	x.open(elem)
	if withDoc {
		x.el("Document", urlEncodeDoc(v.doc))
	}
	x.el("VersionId", v.id)
	x.bool("IsDefaultVersion", v.id == p.defaultVersion)
	x.time("CreateDate", v.created)
	x.close(elem)
}

func (s *Server) writeProfile(x *xmlBuilder, elem string, ip *instanceProfile) {
	x.open(elem)
	x.el("Path", ip.path)
	x.el("InstanceProfileName", ip.name)
	x.el("InstanceProfileId", ip.id)
	x.el("Arn", ip.arn)
	x.time("CreateDate", ip.created)
	x.open("Roles")
	for _, rn := range ip.roles {
		if r, ok := s.st.roles[rn]; ok {
			s.writeRole(x, "member", r, false)
		}
	}
	x.close("Roles")
	x.close(elem)
}

func writeUser(x *xmlBuilder, elem string, u *user, full bool) {
	x.open(elem)
	x.el("Path", u.path)
	x.el("UserName", u.name)
	x.el("UserId", u.id)
	x.el("Arn", u.arn)
	x.time("CreateDate", u.created)
	if full {
		writeBoundary(x, u.boundary)
		writeTags(x, u.tags)
	}
	x.close(elem)
}

func writePage(x *xmlBuilder, next string) {
	x.bool("IsTruncated", next != "")
	x.opt("Marker", next)
}

// page reads Marker and MaxItems and returns the [start, end) window of a
// list of n items and the next marker ("" when the page is the last).
func (s *Server) page(ex *exchange, kind string, n int) (int, int, string, *apiError) {
	start, ok := parseMarker(kind, ex.form.get("Marker"))
	if !ok || start > n {
		return 0, 0, "", errValidation("Invalid Marker.")
	}
	max, aerr := ex.form.int("MaxItems", 100)
	if aerr != nil {
		return 0, 0, "", aerr
	}
	if max < 1 || max > 1000 {
		return 0, 0, "", errValidation("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", max)
	}
	if s.faults.PageSize > 0 && s.faults.PageSize < max {
		max = s.faults.PageSize
	}
	end := min(start+max, n)
	next := ""
	if end < n {
		next = pageMarker(kind, end)
	}
	return start, end, next, nil
}

// ---- roles -----------------------------------------------------------------

func (s *Server) iamCreateRole(ex *exchange) (*xmlBuilder, *apiError) {
	f := ex.form
	if aerr := f.required("RoleName", "AssumeRolePolicyDocument"); aerr != nil {
		return nil, aerr
	}
	name := f.get("RoleName")
	if aerr := validName("roleName", name, 64); aerr != nil {
		return nil, aerr
	}
	path := f.get("Path")
	if path == "" {
		path = "/"
	}
	if aerr := validPath(path); aerr != nil {
		return nil, aerr
	}
	if _, exists := s.st.roles[name]; exists {
		return nil, errAlreadyExists("Role with name %s already exists.", name)
	}
	trust := f.get("AssumeRolePolicyDocument")
	if aerr := validateDoc(trust, true); aerr != nil {
		return nil, aerr
	}
	if aerr := checkTrustSize(trust); aerr != nil {
		return nil, aerr
	}
	maxSession, aerr := f.int("MaxSessionDuration", 3600)
	if aerr != nil {
		return nil, aerr
	}
	if maxSession < 3600 || maxSession > 43200 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", maxSession)
	}
	boundary := f.get("PermissionsBoundary")
	if boundary != "" {
		bp, ok := s.st.policies[boundary]
		if !ok || s.hiddenNow("policy/"+boundary) {
			return nil, errNoSuchEntity("Scope ARN: %s does not exist or is not attachable.", boundary)
		}
		bp.boundaryUses++
	}
	r := &role{
		name: name, id: s.newID("AROA", 17), path: path, arn: s.st.arn("role", path, name),
		description: f.get("Description"), created: ex.now, trust: trust, maxSession: int32(maxSession),
		boundary: boundary, inline: map[string]string{}, tags: f.tags(),
	}
	s.st.roles[name] = r
	s.hide("role/" + name)
	ex.addResource("AWS::IAM::Role", name)
	ex.responseElements = map[string]any{"role": map[string]any{
		"path": r.path, "roleName": r.name, "roleId": r.id, "arn": r.arn,
		"createDate": ctTime(r.created), "assumeRolePolicyDocument": urlEncodeDoc(r.trust),
	}}
	x := &xmlBuilder{}
	s.writeRole(x, "Role", r, true)
	return x, nil
}

func (s *Server) iamGetRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	ex.addResource("AWS::IAM::Role", r.name)
	x := &xmlBuilder{}
	s.writeRole(x, "Role", r, true)
	return x, nil
}

func (s *Server) iamListRoles(ex *exchange) (*xmlBuilder, *apiError) {
	prefix := ex.form.get("PathPrefix")
	var roles []*role
	for _, r := range sortedRoles(s.st.roles) {
		if strings.HasPrefix(r.path, prefix) {
			roles = append(roles, r)
		}
	}
	start, end, next, aerr := s.page(ex, "ListRoles", len(roles))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Roles")
	for _, r := range roles[start:end] {
		s.writeRole(x, "member", r, false)
	}
	x.close("Roles")
	writePage(x, next)
	return x, nil
}

func (s *Server) iamDeleteRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	switch {
	case len(r.attached) > 0:
		return nil, errDeleteConflict("Cannot delete entity, must detach all policies first.")
	case len(r.inline) > 0:
		return nil, errDeleteConflict("Cannot delete entity, must delete policies first.")
	case len(s.st.profilesOf(r.name)) > 0:
		return nil, errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	if r.boundary != "" {
		if bp, ok := s.st.policies[r.boundary]; ok {
			bp.boundaryUses--
		}
	}
	delete(s.st.roles, r.name)
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamUpdateAssumeRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	if aerr := ex.form.required("RoleName", "PolicyDocument"); aerr != nil {
		return nil, aerr
	}
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	doc := ex.form.get("PolicyDocument")
	if aerr := validateDoc(doc, true); aerr != nil {
		return nil, aerr
	}
	if aerr := checkTrustSize(doc); aerr != nil {
		return nil, aerr
	}
	r.trust = doc
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamUpdateRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	if ex.form.has("MaxSessionDuration") {
		d, aerr := ex.form.int("MaxSessionDuration", 3600)
		if aerr != nil {
			return nil, aerr
		}
		if d < 3600 || d > 43200 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200", d)
		}
		r.maxSession = int32(d)
	}
	if ex.form.has("Description") {
		r.description = ex.form.get("Description")
	}
	ex.addResource("AWS::IAM::Role", r.name)
	return &xmlBuilder{}, nil
}

func (s *Server) iamPutRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	if aerr := ex.form.required("RoleName", "PolicyName", "PolicyDocument"); aerr != nil {
		return nil, aerr
	}
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("PolicyName")
	if aerr := validName("policyName", name, 128); aerr != nil {
		return nil, aerr
	}
	doc := ex.form.get("PolicyDocument")
	if aerr := validateDoc(doc, false); aerr != nil {
		return nil, aerr
	}
	if aerr := checkInlineSize(r, name, doc); aerr != nil {
		return nil, aerr
	}
	r.inline[name] = doc
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamGetRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("PolicyName")
	doc, ok := r.inline[name]
	if !ok {
		return nil, errNoSuchEntity("The role policy with name %s cannot be found.", name)
	}
	x := &xmlBuilder{}
	x.el("RoleName", r.name)
	x.el("PolicyName", name)
	x.el("PolicyDocument", urlEncodeDoc(doc))
	return x, nil
}

func (s *Server) iamDeleteRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("PolicyName")
	if _, ok := r.inline[name]; !ok {
		return nil, errNoSuchEntity("The role policy with name %s cannot be found.", name)
	}
	delete(r.inline, name)
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamListRolePolicies(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	names := sortedNames(r.inline)
	start, end, next, aerr := s.page(ex, "ListRolePolicies", len(names))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("PolicyNames")
	for _, n := range names[start:end] {
		x.el("member", n)
	}
	x.close("PolicyNames")
	writePage(x, next)
	return x, nil
}

func (s *Server) iamAttachRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	if !contains(r.attached, p.arn) {
		if len(r.attached) >= 10 {
			return nil, errLimit("Cannot exceed quota for PoliciesPerRole: 10")
		}
		r.attached = append(r.attached, p.arn)
		p.attachments++
	}
	ex.addResource("AWS::IAM::Role", r.name)
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamDetachRolePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	arn := ex.form.get("PolicyArn")
	i := indexOf(r.attached, arn)
	if i < 0 {
		return nil, errNoSuchEntity("Policy %s was not found.", arn)
	}
	r.attached = append(r.attached[:i:i], r.attached[i+1:]...)
	if p, ok := s.st.policies[arn]; ok {
		p.attachments--
	}
	ex.addResource("AWS::IAM::Role", r.name)
	ex.addResource("AWS::IAM::Policy", arn)
	return nil, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func (s *Server) iamListAttachedRolePolicies(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	start, end, next, aerr := s.page(ex, "ListAttachedRolePolicies", len(r.attached))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("AttachedPolicies")
	for _, arn := range r.attached[start:end] {
		x.open("member")
		x.el("PolicyName", s.policyName(arn))
		x.el("PolicyArn", arn)
		x.close("member")
	}
	x.close("AttachedPolicies")
	writePage(x, next)
	return x, nil
}

func (s *Server) policyName(arn string) string {
	if p, ok := s.st.policies[arn]; ok {
		return p.name
	}
	return arn[strings.LastIndex(arn, "/")+1:]
}

func (s *Server) iamPutRolePermissionsBoundary(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	bp, aerr := s.managedPolicy(ex.form.get("PermissionsBoundary"))
	if aerr != nil {
		return nil, aerr
	}
	if r.boundary != bp.arn {
		if old, ok := s.st.policies[r.boundary]; ok {
			old.boundaryUses--
		}
		bp.boundaryUses++
		r.boundary = bp.arn
	}
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamDeleteRolePermissionsBoundary(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	if r.boundary == "" {
		return nil, errNoSuchEntity("The role %s has no permissions boundary.", r.name)
	}
	if old, ok := s.st.policies[r.boundary]; ok {
		old.boundaryUses--
	}
	r.boundary = ""
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamTagRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	tags := setTags(append([]tag(nil), r.tags...), ex.form.tags())
	if len(tags) > 50 {
		return nil, errLimit("The number of tags has reached the maximum limit.")
	}
	r.tags = tags
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamUntagRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	r.tags = removeTags(r.tags, ex.form.list("TagKeys"))
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamListRoleTags(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	start, end, next, aerr := s.page(ex, "ListRoleTags", len(r.tags))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Tags")
	for _, t := range r.tags[start:end] {
		x.open("member")
		x.el("Key", t.key)
		x.el("Value", t.value)
		x.close("member")
	}
	x.close("Tags")
	writePage(x, next)
	return x, nil
}

// ---- managed policies ------------------------------------------------------

func (s *Server) iamCreatePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	f := ex.form
	if aerr := f.required("PolicyName", "PolicyDocument"); aerr != nil {
		return nil, aerr
	}
	name := f.get("PolicyName")
	if aerr := validName("policyName", name, 128); aerr != nil {
		return nil, aerr
	}
	path := f.get("Path")
	if path == "" {
		path = "/"
	}
	if aerr := validPath(path); aerr != nil {
		return nil, aerr
	}
	for _, p := range s.st.policies {
		if !p.awsManaged && p.name == name {
			return nil, errAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
	}
	doc := f.get("PolicyDocument")
	if aerr := validateDoc(doc, false); aerr != nil {
		return nil, aerr
	}
	if aerr := checkManagedSize(doc); aerr != nil {
		return nil, aerr
	}
	p := &managedPolicy{
		name: name, id: s.newID("ANPA", 17), path: path, arn: s.st.arn("policy", path, name),
		description: f.get("Description"), created: ex.now, updated: ex.now, defaultVersion: "v1",
		nextVersion: 2, versions: []*policyVersion{{id: "v1", doc: doc, created: ex.now}}, tags: f.tags(),
	}
	s.st.policies[p.arn] = p
	s.hide("policy/" + p.arn)
	ex.addResource("AWS::IAM::Policy", p.arn)
	ex.responseElements = map[string]any{"policy": map[string]any{
		"policyName": p.name, "policyId": p.id, "arn": p.arn, "path": p.path, "defaultVersionId": "v1",
		"attachmentCount": 0, "permissionsBoundaryUsageCount": 0, "isAttachable": true,
		"createDate": ctTime(p.created), "updateDate": ctTime(p.updated),
	}}
	x := &xmlBuilder{}
	writePolicy(x, "Policy", p, false)
	return x, nil
}

func (s *Server) iamGetPolicy(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	writePolicy(x, "Policy", p, true)
	return x, nil
}

func (s *Server) policyVersion(ex *exchange) (*managedPolicy, *policyVersion, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, nil, aerr
	}
	id := ex.form.get("VersionId")
	v := p.version(id)
	if v == nil {
		return nil, nil, errNoSuchEntity("Policy %s version %s does not exist or is not attachable.", p.arn, id)
	}
	return p, v, nil
}

func (s *Server) iamGetPolicyVersion(ex *exchange) (*xmlBuilder, *apiError) {
	p, v, aerr := s.policyVersion(ex)
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	writeVersion(x, "PolicyVersion", p, v, true)
	return x, nil
}

func (s *Server) iamCreatePolicyVersion(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	if p.awsManaged {
		return nil, s.accessDenied(ex, "iam:CreatePolicyVersion", p.arn, "because AWS managed policies cannot be modified")
	}
	doc := ex.form.get("PolicyDocument")
	if aerr := validateDoc(doc, false); aerr != nil {
		return nil, aerr
	}
	if aerr := checkManagedSize(doc); aerr != nil {
		return nil, aerr
	}
	if len(p.versions) >= maxPolicyVersions {
		return nil, errLimit("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	}
	v := &policyVersion{id: "v" + strconv.Itoa(p.nextVersion), doc: doc, created: ex.now}
	p.nextVersion++
	p.versions = append(p.versions, v)
	if ex.form.get("SetAsDefault") == "true" {
		p.defaultVersion = v.id
	}
	p.updated = ex.now
	ex.addResource("AWS::IAM::Policy", p.arn)
	ex.responseElements = map[string]any{"policyVersion": map[string]any{
		"versionId": v.id, "isDefaultVersion": v.id == p.defaultVersion, "createDate": ctTime(v.created),
	}}
	x := &xmlBuilder{}
	writeVersion(x, "PolicyVersion", p, v, false)
	return x, nil
}

func (s *Server) iamDeletePolicyVersion(ex *exchange) (*xmlBuilder, *apiError) {
	p, v, aerr := s.policyVersion(ex)
	if aerr != nil {
		return nil, aerr
	}
	if v.id == p.defaultVersion {
		return nil, errDeleteConflict("Cannot delete the default version of a policy.")
	}
	out := p.versions[:0:0]
	for _, o := range p.versions {
		if o != v {
			out = append(out, o)
		}
	}
	p.versions = out
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamSetDefaultPolicyVersion(ex *exchange) (*xmlBuilder, *apiError) {
	p, v, aerr := s.policyVersion(ex)
	if aerr != nil {
		return nil, aerr
	}
	p.defaultVersion = v.id
	p.updated = ex.now
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamListPolicyVersions(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	// Newest first, as IAM lists them.
	vs := append([]*policyVersion(nil), p.versions...)
	for i, j := 0, len(vs)-1; i < j; i, j = i+1, j-1 {
		vs[i], vs[j] = vs[j], vs[i]
	}
	start, end, next, aerr := s.page(ex, "ListPolicyVersions", len(vs))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Versions")
	for _, v := range vs[start:end] {
		writeVersion(x, "member", p, v, false)
	}
	x.close("Versions")
	writePage(x, next)
	return x, nil
}

func (s *Server) iamDeletePolicy(ex *exchange) (*xmlBuilder, *apiError) {
	p, aerr := s.managedPolicy(ex.form.get("PolicyArn"))
	if aerr != nil {
		return nil, aerr
	}
	if p.awsManaged {
		return nil, s.accessDenied(ex, "iam:DeletePolicy", p.arn, "because AWS managed policies cannot be deleted")
	}
	if p.attachments > 0 || p.boundaryUses > 0 {
		return nil, errDeleteConflict("Cannot delete a policy attached to entities.")
	}
	if len(p.versions) > 1 {
		return nil, errDeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	delete(s.st.policies, p.arn)
	ex.addResource("AWS::IAM::Policy", p.arn)
	return nil, nil
}

func (s *Server) iamListPolicies(ex *exchange) (*xmlBuilder, *apiError) {
	scope := ex.form.get("Scope")
	if scope == "" {
		scope = "All"
	}
	onlyAttached := ex.form.get("OnlyAttached") == "true"
	prefix := ex.form.get("PathPrefix")
	var ps []*managedPolicy
	for _, p := range sortedPolicies(s.st.policies) {
		switch {
		case scope == "Local" && p.awsManaged, scope == "AWS" && !p.awsManaged:
			continue
		case onlyAttached && p.attachments == 0:
			continue
		case !strings.HasPrefix(p.path, prefix):
			continue
		}
		ps = append(ps, p)
	}
	start, end, next, aerr := s.page(ex, "ListPolicies", len(ps))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Policies")
	for _, p := range ps[start:end] {
		writePolicy(x, "member", p, false)
	}
	x.close("Policies")
	writePage(x, next)
	return x, nil
}

// ---- instance profiles -----------------------------------------------------

func (s *Server) profile(name string) (*instanceProfile, *apiError) {
	ip, ok := s.st.profiles[name]
	if !ok {
		return nil, errNoSuchEntity("Instance Profile %s cannot be found.", name)
	}
	return ip, nil
}

func (s *Server) iamCreateInstanceProfile(ex *exchange) (*xmlBuilder, *apiError) {
	if aerr := ex.form.required("InstanceProfileName"); aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("InstanceProfileName")
	if aerr := validName("instanceProfileName", name, 128); aerr != nil {
		return nil, aerr
	}
	if _, ok := s.st.profiles[name]; ok {
		return nil, errAlreadyExists("Instance Profile %s already exists.", name)
	}
	path := ex.form.get("Path")
	if path == "" {
		path = "/"
	}
	if aerr := validPath(path); aerr != nil {
		return nil, aerr
	}
	ip := &instanceProfile{name: name, id: s.newID("AIPA", 17), path: path, arn: s.st.arn("instance-profile", path, name), created: ex.now}
	s.st.profiles[name] = ip
	ex.addResource("AWS::IAM::InstanceProfile", name)
	x := &xmlBuilder{}
	s.writeProfile(x, "InstanceProfile", ip)
	return x, nil
}

func (s *Server) iamAddRoleToInstanceProfile(ex *exchange) (*xmlBuilder, *apiError) {
	ip, aerr := s.profile(ex.form.get("InstanceProfileName"))
	if aerr != nil {
		return nil, aerr
	}
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	if len(ip.roles) > 0 {
		return nil, errLimit("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	}
	ip.roles = append(ip.roles, r.name)
	ex.addResource("AWS::IAM::InstanceProfile", ip.name)
	ex.addResource("AWS::IAM::Role", r.name)
	return nil, nil
}

func (s *Server) iamRemoveRoleFromInstanceProfile(ex *exchange) (*xmlBuilder, *apiError) {
	ip, aerr := s.profile(ex.form.get("InstanceProfileName"))
	if aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("RoleName")
	i := indexOf(ip.roles, name)
	if i < 0 {
		return nil, errNoSuchEntity("The role with name %s cannot be found.", name)
	}
	ip.roles = append(ip.roles[:i:i], ip.roles[i+1:]...)
	ex.addResource("AWS::IAM::InstanceProfile", ip.name)
	ex.addResource("AWS::IAM::Role", name)
	return nil, nil
}

func (s *Server) iamDeleteInstanceProfile(ex *exchange) (*xmlBuilder, *apiError) {
	ip, aerr := s.profile(ex.form.get("InstanceProfileName"))
	if aerr != nil {
		return nil, aerr
	}
	if len(ip.roles) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	delete(s.st.profiles, ip.name)
	ex.addResource("AWS::IAM::InstanceProfile", ip.name)
	return nil, nil
}

func (s *Server) iamListInstanceProfilesForRole(ex *exchange) (*xmlBuilder, *apiError) {
	r, aerr := s.role(ex.form.get("RoleName"))
	if aerr != nil {
		return nil, aerr
	}
	ips := s.st.profilesOf(r.name)
	start, end, next, aerr := s.page(ex, "ListInstanceProfilesForRole", len(ips))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("InstanceProfiles")
	for _, ip := range ips[start:end] {
		s.writeProfile(x, "member", ip)
	}
	x.close("InstanceProfiles")
	writePage(x, next)
	return x, nil
}

// ---- users and access keys -------------------------------------------------

func (s *Server) iamCreateUser(ex *exchange) (*xmlBuilder, *apiError) {
	if aerr := ex.form.required("UserName"); aerr != nil {
		return nil, aerr
	}
	name := ex.form.get("UserName")
	if aerr := validName("userName", name, 64); aerr != nil {
		return nil, aerr
	}
	if _, ok := s.st.users[name]; ok {
		return nil, errAlreadyExists("User with name %s already exists.", name)
	}
	path := ex.form.get("Path")
	if path == "" {
		path = "/"
	}
	if aerr := validPath(path); aerr != nil {
		return nil, aerr
	}
	boundary := ex.form.get("PermissionsBoundary")
	if boundary != "" {
		bp, aerr := s.managedPolicy(boundary)
		if aerr != nil {
			return nil, aerr
		}
		bp.boundaryUses++
	}
	u := s.st.addUser(s, name, path, ex.now)
	u.boundary = boundary
	u.tags = ex.form.tags()
	ex.addResource("AWS::IAM::User", name)
	ex.responseElements = map[string]any{"user": map[string]any{
		"path": u.path, "userName": u.name, "userId": u.id, "arn": u.arn, "createDate": ctTime(u.created),
	}}
	x := &xmlBuilder{}
	writeUser(x, "User", u, true)
	return x, nil
}

// callerUserName is the user a user-scoped action defaults to.
func (s *Server) targetUser(ex *exchange) (*user, *apiError) {
	name := ex.form.get("UserName")
	if name == "" {
		if ex.p == nil || ex.p.kind != "IAMUser" {
			return nil, errValidation("Must specify userName when calling with non-User credentials")
		}
		name = ex.p.userName
	}
	return s.iamUser(name)
}

func (s *Server) iamGetUser(ex *exchange) (*xmlBuilder, *apiError) {
	u, aerr := s.targetUser(ex)
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	writeUser(x, "User", u, true)
	return x, nil
}

func (s *Server) iamDeleteUser(ex *exchange) (*xmlBuilder, *apiError) {
	u, aerr := s.iamUser(ex.form.get("UserName"))
	if aerr != nil {
		return nil, aerr
	}
	for _, k := range s.st.keys {
		if k.userName == u.name {
			return nil, errDeleteConflict("Cannot delete entity, must delete access keys first.")
		}
	}
	if len(u.attached) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must detach all policies first.")
	}
	if len(u.inline) > 0 {
		return nil, errDeleteConflict("Cannot delete entity, must delete policies first.")
	}
	if u.boundary != "" {
		if bp, ok := s.st.policies[u.boundary]; ok {
			bp.boundaryUses--
		}
	}
	delete(s.st.users, u.name)
	ex.addResource("AWS::IAM::User", u.name)
	return nil, nil
}

func (s *Server) iamListUsers(ex *exchange) (*xmlBuilder, *apiError) {
	prefix := ex.form.get("PathPrefix")
	var us []*user
	for _, u := range sortedUsers(s.st.users) {
		if strings.HasPrefix(u.path, prefix) {
			us = append(us, u)
		}
	}
	start, end, next, aerr := s.page(ex, "ListUsers", len(us))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("Users")
	for _, u := range us[start:end] {
		writeUser(x, "member", u, false)
	}
	x.close("Users")
	writePage(x, next)
	return x, nil
}

func (s *Server) userKeys(name string) []*accessKey {
	var out []*accessKey
	for _, k := range s.st.keys {
		if k.userName == name {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (s *Server) iamCreateAccessKey(ex *exchange) (*xmlBuilder, *apiError) {
	u, aerr := s.targetUser(ex)
	if aerr != nil {
		return nil, aerr
	}
	if len(s.userKeys(u.name)) >= 2 {
		return nil, errLimit("Cannot exceed quota for AccessKeysPerUser: 2")
	}
	k := s.st.addAccessKey(s, u.name, ex.now)
	ex.addResource("AWS::IAM::User", u.name)
	ex.addResource("AWS::IAM::AccessKey", k.id)
	ex.responseElements = map[string]any{"accessKey": map[string]any{
		"userName": u.name, "accessKeyId": k.id, "status": k.status, "createDate": ctTime(k.created),
	}}
	x := &xmlBuilder{}
	x.open("AccessKey")
	x.el("UserName", u.name)
	x.el("AccessKeyId", k.id)
	x.el("Status", k.status)
	x.el("SecretAccessKey", k.secret)
	x.time("CreateDate", k.created)
	x.close("AccessKey")
	return x, nil
}

func (s *Server) iamListAccessKeys(ex *exchange) (*xmlBuilder, *apiError) {
	u, aerr := s.targetUser(ex)
	if aerr != nil {
		return nil, aerr
	}
	keys := s.userKeys(u.name)
	start, end, next, aerr := s.page(ex, "ListAccessKeys", len(keys))
	if aerr != nil {
		return nil, aerr
	}
	x := &xmlBuilder{}
	x.open("AccessKeyMetadata")
	for _, k := range keys[start:end] {
		x.open("member")
		x.el("UserName", k.userName)
		x.el("AccessKeyId", k.id)
		x.el("Status", k.status)
		x.time("CreateDate", k.created)
		x.close("member")
	}
	x.close("AccessKeyMetadata")
	writePage(x, next)
	return x, nil
}

func (s *Server) iamDeleteAccessKey(ex *exchange) (*xmlBuilder, *apiError) {
	u, aerr := s.targetUser(ex)
	if aerr != nil {
		return nil, aerr
	}
	id := ex.form.get("AccessKeyId")
	k, ok := s.st.keys[id]
	if !ok || k.userName != u.name {
		return nil, errNoSuchEntity("The Access Key with id %s cannot be found.", id)
	}
	delete(s.st.keys, id)
	ex.addResource("AWS::IAM::AccessKey", id)
	return nil, nil
}

// ---- GetAccountAuthorizationDetails ------------------------------------------

func (s *Server) iamGetAccountAuthorizationDetails(ex *exchange) (*xmlBuilder, *apiError) {
	filter := ex.form.list("Filter")
	want := func(kind string) bool { return len(filter) == 0 || contains(filter, kind) }
	// One flat list, in the order the result lists appear, paged as a whole.
	type item struct {
		u *user
		r *role
		p *managedPolicy
	}
	var items []item
	if want("User") {
		for _, u := range sortedUsers(s.st.users) {
			items = append(items, item{u: u})
		}
	}
	if want("Role") {
		for _, r := range sortedRoles(s.st.roles) {
			items = append(items, item{r: r})
		}
	}
	for _, p := range sortedPolicies(s.st.policies) {
		switch {
		case p.awsManaged && want("AWSManagedPolicy") && (p.attachments > 0 || p.boundaryUses > 0):
		case !p.awsManaged && want("LocalManagedPolicy"):
		default:
			continue
		}
		items = append(items, item{p: p})
	}
	start, end, next, aerr := s.page(ex, "GetAccountAuthorizationDetails", len(items))
	if aerr != nil {
		return nil, aerr
	}
	window := items[start:end]
	x := &xmlBuilder{}
	x.open("UserDetailList")
	for _, it := range window {
		if it.u != nil {
			s.writeUserDetail(x, it.u)
		}
	}
	x.close("UserDetailList")
	x.open("GroupDetailList")
	x.close("GroupDetailList")
	x.open("RoleDetailList")
	for _, it := range window {
		if it.r != nil {
			s.writeRoleDetail(x, it.r)
		}
	}
	x.close("RoleDetailList")
	x.open("Policies")
	for _, it := range window {
		if it.p != nil {
			writePolicyDetail(x, it.p)
		}
	}
	x.close("Policies")
	writePage(x, next)
	return x, nil
}

func (s *Server) writeAttached(x *xmlBuilder, arns []string) {
	x.open("AttachedManagedPolicies")
	for _, arn := range arns {
		x.open("member")
		x.el("PolicyName", s.policyName(arn))
		x.el("PolicyArn", arn)
		x.close("member")
	}
	x.close("AttachedManagedPolicies")
}

func writeInline(x *xmlBuilder, elem string, inline map[string]string) {
	x.open(elem)
	for _, n := range sortedNames(inline) {
		x.open("member")
		x.el("PolicyName", n)
		x.el("PolicyDocument", urlEncodeDoc(inline[n]))
		x.close("member")
	}
	x.close(elem)
}

func (s *Server) writeUserDetail(x *xmlBuilder, u *user) {
	x.open("member")
	x.el("Path", u.path)
	x.el("UserName", u.name)
	x.el("UserId", u.id)
	x.el("Arn", u.arn)
	x.time("CreateDate", u.created)
	writeInline(x, "UserPolicyList", u.inline)
	x.open("GroupList")
	x.close("GroupList")
	s.writeAttached(x, u.attached)
	writeBoundary(x, u.boundary)
	writeTags(x, u.tags)
	x.close("member")
}

func (s *Server) writeRoleDetail(x *xmlBuilder, r *role) {
	x.open("member")
	x.el("Path", r.path)
	x.el("RoleName", r.name)
	x.el("RoleId", r.id)
	x.el("Arn", r.arn)
	x.time("CreateDate", r.created)
	x.el("AssumeRolePolicyDocument", urlEncodeDoc(r.trust))
	x.open("InstanceProfileList")
	for _, ip := range s.st.profilesOf(r.name) {
		s.writeProfile(x, "member", ip)
	}
	x.close("InstanceProfileList")
	writeInline(x, "RolePolicyList", r.inline)
	s.writeAttached(x, r.attached)
	writeBoundary(x, r.boundary)
	writeTags(x, r.tags)
	writeRoleLastUsed(x, r)
	x.close("member")
}

func writePolicyDetail(x *xmlBuilder, p *managedPolicy) {
	x.open("member")
	x.el("PolicyName", p.name)
	x.el("PolicyId", p.id)
	x.el("Arn", p.arn)
	x.el("Path", p.path)
	x.el("DefaultVersionId", p.defaultVersion)
	x.int("AttachmentCount", p.attachments)
	x.int("PermissionsBoundaryUsageCount", p.boundaryUses)
	x.bool("IsAttachable", true)
	x.opt("Description", p.description)
	x.time("CreateDate", p.created)
	x.time("UpdateDate", p.updated)
	x.open("PolicyVersionList")
	for _, v := range p.versions {
		writeVersion(x, "member", p, v, true)
	}
	x.close("PolicyVersionList")
	x.close("member")
}
