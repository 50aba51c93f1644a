package awsfake

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Query engines the endpoint answers for.
const (
	EngineLake   = "lake"
	EngineAthena = "athena"
)

// QueryResult is the canned answer to every query an engine is sent: the
// endpoint has no SQL engine, it checks that the query is a SELECT over the
// target and serves these rows, paged as the service pages them.
type QueryResult struct {
	// Target must appear in the query: the event data store ID (Lake) or
	// the table (Athena); empty accepts any.
	Target string
	// Columns and Rows are the result; a nil value is SQL NULL.
	Columns []string
	Rows    [][]*string
	// State is the final state ("" is success: FINISHED for Lake,
	// SUCCEEDED for Athena; or FAILED, CANCELLED, TIMED_OUT) and Reason its
	// message.
	State, Reason string
	// BytesScanned is reported by the status call.
	BytesScanned int64
	// Running is how many status calls answer RUNNING first.
	Running int
	// LoseRows serves that many fewer rows than the result has (the last
	// ones), while the counts still say all: a result cut short.
	LoseRows int
}

// StartedQuery is a query the endpoint was sent.
type StartedQuery struct {
	Engine, ID, SQL string
	// Database and Output are Athena's QueryExecutionContext.Database and
	// ResultConfiguration.OutputLocation; WorkGroup its work group.
	Database, Output, WorkGroup string
}

type runningQuery struct {
	StartedQuery
	res     QueryResult
	polls   int
	account string
}

// SetQueryResult sets the canned result of an engine (EngineLake or
// EngineAthena) for the queries started from now on.
func (s *Server) SetQueryResult(engine string, r QueryResult) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queryResults == nil {
		s.queryResults = map[string]QueryResult{}
	}
	r.Columns = append([]string(nil), r.Columns...)
	r.Rows = append([][]*string(nil), r.Rows...)
	s.queryResults[engine] = r
}

// StartedQueries returns the queries started so far, in order.
func (s *Server) StartedQueries() []StartedQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StartedQuery, 0, len(s.queryOrder))
	for _, id := range s.queryOrder {
		out = append(out, s.queries[id].StartedQuery)
	}
	return out
}

// startQuery checks the statement and registers the query.
func (s *Server) startQuery(ex *exchange, engine, sql string, invalid string) (*runningQuery, *apiError) {
	body := strings.TrimSpace(stripComments(sql))
	up := strings.ToUpper(body)
	if !strings.HasPrefix(up, "SELECT") && !strings.HasPrefix(up, "WITH") {
		return nil, newErr(http.StatusBadRequest, invalid, "Only SELECT statements are allowed")
	}
	res, ok := s.queryResults[engine]
	if !ok {
		res = QueryResult{Columns: []string{}}
	}
	if res.Target != "" && !strings.Contains(sql, res.Target) {
		if engine == EngineLake {
			return nil, newErr(http.StatusBadRequest, "EventDataStoreNotFoundException", "The specified event data store was not found.")
		}
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "Table %s does not exist", res.Target)
	}
	id := fmt.Sprintf("%s-%s-%s-%s", strings.ToLower(s.newID("", 8)), strings.ToLower(s.newID("", 4)), strings.ToLower(s.newID("", 4)), strings.ToLower(s.newID("", 12)))
	q := &runningQuery{StartedQuery: StartedQuery{Engine: engine, ID: id, SQL: sql}, res: res, account: s.account}
	if s.queries == nil {
		s.queries = map[string]*runningQuery{}
	}
	s.queries[id] = q
	s.queryOrder = append(s.queryOrder, id)
	return q, nil
}

// stripComments drops leading "-- …" lines.
func stripComments(sql string) string {
	for {
		t := strings.TrimLeft(sql, " \t\r\n")
		if !strings.HasPrefix(t, "--") {
			return t
		}
		i := strings.IndexByte(t, '\n')
		if i < 0 {
			return ""
		}
		sql = t[i+1:]
	}
}

// state advances a query by one status call and returns its state.
func (q *runningQuery) state(success string) string {
	if q.polls < q.res.Running {
		q.polls++
		return "RUNNING"
	}
	if q.res.State != "" {
		return q.res.State
	}
	return success
}

// page returns the rows of one page: from offset token, at most size.
func (q *runningQuery) page(token string, size int) (rows [][]*string, next string, aerr *apiError) {
	off := 0
	if token != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(token, q.ID+":"))
		if err != nil || !strings.HasPrefix(token, q.ID+":") || n < 0 {
			return nil, "", newErr(http.StatusBadRequest, "InvalidNextTokenException", "The next token is not valid.")
		}
		off = n
	}
	served := len(q.res.Rows) - q.res.LoseRows
	if off > served {
		off = served
	}
	end := min(off+size, served)
	if end < served {
		next = q.ID + ":" + strconv.Itoa(end)
	}
	return q.res.Rows[off:end], next, nil
}

func (s *Server) queryByID(id, engine string) (*runningQuery, *apiError) {
	q, ok := s.queries[id]
	if !ok || q.Engine != engine {
		if engine == EngineLake {
			return nil, newErr(http.StatusBadRequest, "QueryIdNotFoundException", "The query ID does not exist or does not map to a query.")
		}
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "QueryExecution %s was not found", id)
	}
	return q, nil
}

func (s *Server) pageSize(asked *int, def int) int {
	n := def
	if asked != nil && *asked > 0 && *asked < n {
		n = *asked
	}
	if ps := s.faults.PageSize; ps > 0 && ps < n {
		n = ps
	}
	return n
}

// CloudTrail Lake.

func (s *Server) lakeStartQuery(ex *exchange) ([]byte, *apiError) {
	var in struct {
		QueryStatement string
		QueryAlias     string
	}
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueryStatement == "" {
		return nil, newErr(http.StatusBadRequest, "InvalidParameterException", "A query statement is required.")
	}
	q, aerr := s.startQuery(ex, EngineLake, in.QueryStatement, "InvalidQueryStatementException")
	if aerr != nil {
		return nil, aerr
	}
	return encodeJSON(map[string]any{"QueryId": q.ID})
}

func (s *Server) lakeDescribeQuery(ex *exchange) ([]byte, *apiError) {
	var in struct{ QueryId string }
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queryByID(in.QueryId, EngineLake)
	if aerr != nil {
		return nil, aerr
	}
	st := q.state("FINISHED")
	out := map[string]any{"QueryId": q.ID, "QueryString": q.SQL, "QueryStatus": st,
		"QueryStatistics": map[string]any{"BytesScanned": q.res.BytesScanned, "EventsMatched": len(q.res.Rows), "EventsScanned": len(q.res.Rows),
			"ExecutionTimeInMillis": 1200, "CreationTime": float64(ex.now.Unix())}}
	if st != "FINISHED" && st != "RUNNING" && q.res.Reason != "" {
		out["ErrorMessage"] = q.res.Reason
	}
	return encodeJSON(out)
}

func (s *Server) lakeGetQueryResults(ex *exchange) ([]byte, *apiError) {
	var in struct {
		QueryId         string
		NextToken       string
		MaxQueryResults *int
	}
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queryByID(in.QueryId, EngineLake)
	if aerr != nil {
		return nil, aerr
	}
	if q.polls < q.res.Running || (q.res.State != "" && q.res.State != "FINISHED") {
		st := q.state("FINISHED")
		return encodeJSON(map[string]any{"QueryStatus": st, "QueryResultRows": [][]map[string]string{}, "ErrorMessage": q.res.Reason})
	}
	rows, next, aerr := q.page(in.NextToken, s.pageSize(in.MaxQueryResults, 1000))
	if aerr != nil {
		return nil, aerr
	}
	out := make([][]map[string]string, 0, len(rows))
	for _, r := range rows {
		cells := []map[string]string{}
		for i, c := range q.res.Columns {
			if i < len(r) && r[i] != nil {
				cells = append(cells, map[string]string{c: *r[i]})
			}
		}
		out = append(out, cells)
	}
	resp := map[string]any{"QueryStatus": "FINISHED", "QueryResultRows": out,
		"QueryStatistics": map[string]any{"ResultsCount": len(rows), "TotalResultsCount": len(q.res.Rows), "BytesScanned": q.res.BytesScanned}}
	if next != "" {
		resp["NextToken"] = next
	}
	return encodeJSON(resp)
}

// Athena.

func (s *Server) athenaStart(ex *exchange) ([]byte, *apiError) {
	var in struct {
		QueryString           string
		QueryExecutionContext *struct{ Database, Catalog string }
		ResultConfiguration   *struct{ OutputLocation string }
		WorkGroup             string
	}
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueryString == "" {
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "QueryString is required")
	}
	out := ""
	if in.ResultConfiguration != nil {
		out = in.ResultConfiguration.OutputLocation
	}
	if out == "" && in.WorkGroup == "" {
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.")
	}
	if out != "" && !strings.HasPrefix(out, "s3://") {
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "The output location %s is not an s3:// URI", out)
	}
	q, aerr := s.startQuery(ex, EngineAthena, in.QueryString, "InvalidRequestException")
	if aerr != nil {
		return nil, aerr
	}
	q.Output, q.WorkGroup = out, in.WorkGroup
	if in.QueryExecutionContext != nil {
		q.Database = in.QueryExecutionContext.Database
	}
	return encodeJSON(map[string]any{"QueryExecutionId": q.ID})
}

func (s *Server) athenaGetExecution(ex *exchange) ([]byte, *apiError) {
	var in struct{ QueryExecutionId string }
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queryByID(in.QueryExecutionId, EngineAthena)
	if aerr != nil {
		return nil, aerr
	}
	st := q.state("SUCCEEDED")
	status := map[string]any{"State": st, "SubmissionDateTime": float64(ex.now.Unix())}
	if st != "SUCCEEDED" && st != "RUNNING" && q.res.Reason != "" {
		status["StateChangeReason"] = q.res.Reason
	}
	return encodeJSON(map[string]any{"QueryExecution": map[string]any{
		"QueryExecutionId": q.ID, "Query": q.SQL, "StatementType": "DML", "Status": status,
		"ResultConfiguration":   map[string]any{"OutputLocation": strings.TrimSuffix(q.Output, "/") + "/" + q.ID + ".csv"},
		"QueryExecutionContext": map[string]any{"Database": q.Database},
		"Statistics":            map[string]any{"DataScannedInBytes": q.res.BytesScanned, "EngineExecutionTimeInMillis": 900},
		"WorkGroup":             q.WorkGroup,
	}})
}

func (s *Server) athenaGetResults(ex *exchange) ([]byte, *apiError) {
	var in struct {
		QueryExecutionId string
		NextToken        string
		MaxResults       *int
	}
	if aerr := decodeJSON(ex, &in); aerr != nil {
		return nil, aerr
	}
	q, aerr := s.queryByID(in.QueryExecutionId, EngineAthena)
	if aerr != nil {
		return nil, aerr
	}
	if q.polls < q.res.Running || (q.res.State != "" && q.res.State != "SUCCEEDED") {
		return nil, newErr(http.StatusBadRequest, "InvalidRequestException", "Query has not yet finished. Current state: %s", q.state("SUCCEEDED"))
	}
	size := s.pageSize(in.MaxResults, 1000)
	var rows []any
	if in.NextToken == "" {
		// The first page starts with the column names, and counts in the page.
		hdr := []any{}
		for _, c := range q.res.Columns {
			hdr = append(hdr, map[string]any{"VarCharValue": c})
		}
		rows = append(rows, map[string]any{"Data": hdr})
		size--
	}
	page, next, aerr := q.page(in.NextToken, max(size, 1))
	if aerr != nil {
		return nil, aerr
	}
	for _, r := range page {
		data := []any{}
		for i := range q.res.Columns {
			if i < len(r) && r[i] != nil {
				data = append(data, map[string]any{"VarCharValue": *r[i]})
			} else {
				data = append(data, map[string]any{})
			}
		}
		rows = append(rows, map[string]any{"Data": data})
	}
	cols := []any{}
	for _, c := range q.res.Columns {
		cols = append(cols, map[string]any{"Name": c, "Label": c, "Type": "varchar", "CatalogName": "hive", "Nullable": "UNKNOWN"})
	}
	resp := map[string]any{"ResultSet": map[string]any{"Rows": rows, "ResultSetMetadata": map[string]any{"ColumnInfo": cols}}, "UpdateCount": 0}
	if next != "" {
		resp["NextToken"] = next
	}
	return encodeJSON(resp)
}
