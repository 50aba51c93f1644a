package probes

// Summary counts results by verdict.
type Summary struct {
	Total        int `json:"total"`
	Pass         int `json:"pass"`
	Fail         int `json:"fail"`
	Warn         int `json:"warn"`
	NotEvaluated int `json:"not_evaluated"`
	Manual       int `json:"manual"`
	Disagree     int `json:"disagree"`
}

// Summarize counts results.
func Summarize(rs []Result) Summary {
	var s Summary
	for _, r := range rs {
		s.Total++
		switch r.Verdict {
		case Pass:
			s.Pass++
		case Fail:
			s.Fail++
		case Warn:
			s.Warn++
		case NotEvaluated:
			s.NotEvaluated++
		case Manual:
			s.Manual++
		}
		if r.Disagree {
			s.Disagree++
		}
	}
	return s
}
