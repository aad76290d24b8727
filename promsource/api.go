package promsource

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxResponse bounds an answer of the HTTP API the source reads.
const maxResponse = 64 << 20

// A sample is one series of an instant query's answer.
type sample struct {
	labels map[string]string // without __name__
	name   string            // __name__, when the query kept it
	value  float64
}

// A rangeSeries is one series of a range query's answer: its values by
// Unix millisecond.
type rangeSeries struct {
	labels map[string]string
	values map[int64]float64
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string  `json:"status"`
	ErrorType string  `json:"errorType"`
	Error     string  `json:"error"`
	Data      apiData `json:"data"`
}

// apiData is the data of an answer: a query's result, or the list of
// label sets the series endpoint answers (its ResultType empty).
type apiData struct {
	ResultType string `json:"resultType"`
	Result     []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
		Values [][2]any          `json:"values"`
	} `json:"result"`
	Series []map[string]string `json:"-"`
}

// UnmarshalJSON reads a query's result, or the series endpoint's list.
func (d *apiData) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		return json.Unmarshal(b, &d.Series)
	}
	type plain apiData // without this method
	return json.Unmarshal(b, (*plain)(d))
}

// call GETs an endpoint of the HTTP API with params, within the source's
// timeout, and returns the decoded answer of a successful query.
func (s *Source) call(ctx context.Context, endpoint string, params url.Values, wantType string) (*apiResponse, error) {
	query := cmp.Or(params.Get("query"), params.Get("match[]")) // what the errors name
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	u := s.base.JoinPath("api", "v1", endpoint)
	u.RawQuery = params.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", s.base.Redacted(), err)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: %w", s.base.Redacted(), err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("prometheus %s: reading the answer to %s: %w", s.base.Redacted(), query, err)
	}
	var r apiResponse
	jerr := json.Unmarshal(body, &r)
	switch {
	case jerr == nil && r.Status == "error":
		return nil, fmt.Errorf("prometheus %s refused the query %s: %s: %s", s.base.Redacted(), query, r.ErrorType, r.Error)
	case res.StatusCode/100 != 2:
		return nil, fmt.Errorf("prometheus %s: %s answering %s: %s", s.base.Redacted(), res.Status, query, snippet(body))
	case jerr != nil:
		return nil, fmt.Errorf("prometheus %s: the answer to %s is not the HTTP API's JSON: %w", s.base.Redacted(), query, jerr)
	case r.Status != "success" || r.Data.ResultType != wantType:
		return nil, fmt.Errorf("prometheus %s: unexpected answer to %s: status %q, result type %q", s.base.Redacted(), query, r.Status, r.Data.ResultType)
	}
	return &r, nil
}

// snippet is the start of an answer that is not the API's JSON, for an
// error message.
func snippet(body []byte) string {
	const n = 200
	s := strings.TrimSpace(string(body))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strconv.Quote(s)
}

// instant runs an instant query at the instant at. Series whose value is
// not a finite number are left out: the rules never record one, and a
// missing series reads as no data.
func (s *Source) instant(ctx context.Context, expr string, at time.Time) ([]sample, error) {
	r, err := s.call(ctx, "query", url.Values{"query": {expr}, "time": {formatTime(at)}}, "vector")
	if err != nil {
		return nil, err
	}
	out := make([]sample, 0, len(r.Data.Result))
	for _, res := range r.Data.Result {
		v, ok := parseValue(res.Value)
		if !ok {
			continue
		}
		name := res.Metric["__name__"]
		delete(res.Metric, "__name__")
		out = append(out, sample{labels: res.Metric, name: name, value: v})
	}
	return out, nil
}

// rangeQuery runs a range query from start to end every step.
func (s *Source) rangeQuery(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]rangeSeries, error) {
	r, err := s.call(ctx, "query_range", url.Values{
		"query": {expr}, "start": {formatTime(start)}, "end": {formatTime(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)},
	}, "matrix")
	if err != nil {
		return nil, err
	}
	out := make([]rangeSeries, 0, len(r.Data.Result))
	for _, res := range r.Data.Result {
		delete(res.Metric, "__name__")
		rs := rangeSeries{labels: res.Metric, values: make(map[int64]float64, len(res.Values))}
		for _, p := range res.Values {
			t, ok := p[0].(float64)
			v, vok := parseValue(p)
			if ok && vok {
				rs.values[int64(math.Round(t*1000))] = v
			}
		}
		out = append(out, rs)
	}
	return out, nil
}

// series returns the label sets, __name__ included, of the series
// matching the selector match that hold samples between start and end:
// the names of recorded series, whatever their evaluation interval.
func (s *Source) series(ctx context.Context, match string, start, end time.Time) ([]map[string]string, error) {
	r, err := s.call(ctx, "series", url.Values{"match[]": {match}, "start": {formatTime(start)}, "end": {formatTime(end)}}, "")
	if err != nil {
		return nil, err
	}
	return r.Data.Series, nil
}

// parseValue reads a [time, "value"] pair of the API; ok is false for a
// value that is not a finite number.
func parseValue(p [2]any) (float64, bool) {
	text, ok := p[1].(string)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// formatTime spells t as the API's Unix seconds with milliseconds.
func formatTime(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)
}

// labelKey is one string per label set: its sorted names and values.
func labelKey(ls map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(ls)) {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(ls[k])
		b.WriteByte(0)
	}
	return b.String()
}

// contains reports whether every label of sub has the same value in ls.
func contains(ls, sub map[string]string) bool {
	for k, v := range sub {
		if ls[k] != v {
			return false
		}
	}
	return true
}
