package awsfake

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// rtPageWindow is one page of a runtime listing: items [lo, hi) and the
// token of the next page ("" on the last).
type rtPageWindow struct {
	lo, hi int
	next   string
}

// rtPage cuts a runtime listing of n items into the page a request asks
// for. token is the request's NextToken / Marker ("" for the first page),
// max its page size (0: the service's default, here all). The fault
// injector's PageSize caps every page, so a client that does not follow
// tokens reads too little. Tokens name the action and the offset; a token
// of another action or past the end is refused, as AWS refuses stale ones.
func (s *Server) rtPage(ex *exchange, token string, max, n int) (rtPageWindow, *apiError) {
	lo := 0
	if token != "" {
		rest, ok := strings.CutPrefix(token, "awsfake-"+ex.action+"-")
		v, err := strconv.Atoi(rest)
		if !ok || err != nil || v < 0 || v > n {
			return rtPageWindow{}, newErr(http.StatusBadRequest, "InvalidNextToken", "The token %q is not valid for %s.", token, ex.action)
		}
		lo = v
	}
	if max < 0 {
		return rtPageWindow{}, newErr(http.StatusBadRequest, "InvalidParameterValue", "The page size %d is not valid.", max)
	}
	if max == 0 {
		max = n
	}
	if ps := s.faults.PageSize; ps > 0 && ps < max {
		max = ps
	}
	hi := min(lo+max, n)
	w := rtPageWindow{lo: lo, hi: hi}
	if hi < n {
		w.next = "awsfake-" + ex.action + "-" + strconv.Itoa(hi)
	}
	return w, nil
}

// intOf reads a page size from a query or form value ("" is 0).
func intOf(v string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0
	}
	return n
}

// bodyInt reads a page size from a JSON or CBOR body.
func bodyInt(m map[string]any, k string) int {
	f, ok := num(m, k)
	if !ok {
		return 0
	}
	return int(f)
}

// ec2Page pages an EC2 Describe* listing (NextToken, MaxResults).
func (s *Server) ec2Page(ex *exchange, n int) (rtPageWindow, *apiError) {
	return s.rtPage(ex, ex.form.get("NextToken"), intOf(ex.form.get("MaxResults")), n)
}

// queryPage pages a REST listing by its query parameters.
func (s *Server) queryPage(ex *exchange, q url.Values, tokenKey, maxKey string, n int) (rtPageWindow, *apiError) {
	return s.rtPage(ex, q.Get(tokenKey), intOf(q.Get(maxKey)), n)
}

// bodyPage pages a JSON or CBOR listing by its body fields.
func (s *Server) bodyPage(ex *exchange, in *rtInput, tokenKey, maxKey string, n int) (rtPageWindow, *apiError) {
	return s.rtPage(ex, str(in.body, tokenKey), bodyInt(in.body, maxKey), n)
}

// withToken adds the next-page token to a JSON answer when there is one.
func withToken(m map[string]any, key, next string) map[string]any {
	if next != "" {
		m[key] = next
	}
	return m
}
