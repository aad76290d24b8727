package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Config's zero fields.
const (
	DefaultTimeout    = 2500 * time.Millisecond
	DefaultSource     = "slo-budget-tracker"
	DefaultQueueSize  = 1024
	DefaultBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// maxRetryAfter caps the wait a Retry-After header may ask for.
const maxRetryAfter = 5 * time.Minute

// The environment variables NewFromEnv reads.
const (
	EnvURL     = "AUDIT_STREAM_URL"
	EnvToken   = "AUDIT_STREAM_TOKEN"
	EnvTimeout = "AUDIT_STREAM_TIMEOUT"
	EnvSource  = "AUDIT_STREAM_SOURCE"
	// EnvTimeoutSeconds is the Python package's name for the timeout, in
	// seconds ("2.5"), read beside EnvTimeout.
	EnvTimeoutSeconds = "AUDIT_STREAM_TIMEOUT_S"
)

// Config configures a Sink. Zero fields take the defaults above.
type Config struct {
	// URL is the base URL of the audit stream (AUDIT_STREAM_URL); events
	// are posted to URL + "/events". It must be an absolute http or https
	// URL.
	URL string
	// Token is sent as "Authorization: Bearer <Token>" when not empty
	// (AUDIT_STREAM_TOKEN). It is never logged.
	Token string
	// Timeout bounds each delivery attempt (AUDIT_STREAM_TIMEOUT).
	Timeout time.Duration
	// Source is the "source" of every event that names none
	// (AUDIT_STREAM_SOURCE).
	Source string
	// QueueSize is how many events wait for delivery at most; when the
	// queue is full the oldest waiting event is dropped.
	QueueSize int
	// Backoff is the wait before the first retry; each further retry
	// doubles it up to MaxBackoff. Every wait is jittered to between half
	// and all of its value.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts gives up an event after that many failed attempts. Zero
	// means retry until delivered or until Close's context ends, so that an
	// outage loses nothing that fits in the queue.
	MaxAttempts int
	// Client sends the requests; nil means a client of the sink's own.
	// Its Timeout, if any, applies on top of Timeout.
	Client *http.Client
	// Logger receives delivery problems; nil means slog.Default().
	Logger *slog.Logger
}

// ConfigFromEnv returns base with URL, Token, Timeout and Source replaced
// by the environment variables AUDIT_STREAM_URL, AUDIT_STREAM_TOKEN,
// AUDIT_STREAM_TIMEOUT (or AUDIT_STREAM_TIMEOUT_S) and AUDIT_STREAM_SOURCE
// where they are set and not blank. AUDIT_STREAM_TIMEOUT is a Go duration
// ("2.5s", "500ms") or a number of seconds ("2.5"); AUDIT_STREAM_TIMEOUT_S,
// the Python package's variable, is a number of seconds. Both may be set
// when they give the same timeout; different timeouts are an error.
func ConfigFromEnv(base Config) (Config, error) {
	if v := env(EnvURL); v != "" {
		base.URL = v
	}
	if v := env(EnvToken); v != "" {
		base.Token = v
	}
	if v := env(EnvSource); v != "" {
		base.Source = v
	}
	d, err := timeoutFromEnv()
	if err != nil {
		return base, fmt.Errorf("audit: %w", err)
	}
	if d != 0 {
		base.Timeout = d
	}
	return base, nil
}

func env(name string) string { return strings.TrimSpace(os.Getenv(name)) }

// timeoutFromEnv reads AUDIT_STREAM_TIMEOUT and AUDIT_STREAM_TIMEOUT_S: 0
// when neither is set, an error naming the variable at fault when one is
// unreadable or the two disagree.
func timeoutFromEnv() (time.Duration, error) {
	v, vs := env(EnvTimeout), env(EnvTimeoutSeconds)
	var d, ds time.Duration
	var err error
	if v != "" {
		if d, err = parseTimeout(v); err != nil {
			return 0, fmt.Errorf("%s: %w", EnvTimeout, err)
		}
	}
	if vs == "" {
		return d, nil
	}
	if ds, err = parseSeconds(vs); err != nil {
		return 0, fmt.Errorf("%s: %w", EnvTimeoutSeconds, err)
	}
	if v != "" && d != ds {
		return 0, fmt.Errorf("%s=%q and %s=%q disagree (%v and %v): set one of them", EnvTimeout, v, EnvTimeoutSeconds, vs, d, ds)
	}
	return ds, nil
}

// parseTimeout reads a timeout in (0, 24h]: a Go duration or a number of
// seconds.
func parseTimeout(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 || d > 24*time.Hour {
			return 0, fmt.Errorf("%q is outside (0, 24h]", s)
		}
		return d, nil
	}
	d, err := parseSeconds(s)
	if errors.Is(err, errNotSeconds) {
		return 0, fmt.Errorf("%q is neither a duration like \"2.5s\" nor a number of seconds", s)
	}
	return d, err
}

// errNotSeconds is what parseSeconds says of text that is not a number.
var errNotSeconds = errors.New("not a number of seconds")

// parseSeconds reads a timeout in (0, 86400] seconds, rounded to the
// nanosecond ("0.3" is 300ms).
func parseSeconds(s string) (time.Duration, error) {
	secs, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is %w", s, errNotSeconds)
	}
	if !(secs > 0 && secs <= 24*3600) {
		return 0, fmt.Errorf("%q seconds is outside (0, 86400]", s)
	}
	return max(time.Duration(math.Round(secs*float64(time.Second))), 1), nil
}

// withDefaults fills the zero fields of c and checks it, naming each field
// at fault (and the variable it came from, when env is set). The errors
// never show the token or a password in the URL.
func (c Config) withDefaults(env bool) (Config, *url.URL, error) {
	var problems []string
	bad := func(field, variable, format string, args ...any) {
		if env && variable != "" {
			field += " (" + variable + ")"
		}
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(strings.TrimSpace(c.URL))
	switch {
	case c.URL == "":
		bad("URL", EnvURL, "empty")
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which may hold a password
		}
		bad("URL", EnvURL, "not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		bad("URL", EnvURL, "%q: the scheme must be http or https", u.Redacted())
	case u.Host == "":
		bad("URL", EnvURL, "%q has no host", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		bad("URL", EnvURL, "%q: a base URL takes no query or fragment", u.Redacted())
	}
	if strings.ContainsFunc(c.Token, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		bad("Token", EnvToken, "contains a control character (the token is not shown)")
	}
	if c.Timeout < 0 {
		bad("Timeout", "", "%v is negative", c.Timeout)
	}
	if c.QueueSize < 0 {
		bad("QueueSize", "", "%d is negative", c.QueueSize)
	}
	if c.Backoff < 0 {
		bad("Backoff", "", "%v is negative", c.Backoff)
	}
	if c.MaxBackoff < 0 {
		bad("MaxBackoff", "", "%v is negative", c.MaxBackoff)
	}
	if c.MaxAttempts < 0 {
		bad("MaxAttempts", "", "%d is negative", c.MaxAttempts)
	}
	if len(problems) > 0 {
		return c, nil, fmt.Errorf("audit: invalid config: %s", strings.Join(problems, "; "))
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Source == "" {
		c.Source = DefaultSource
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Backoff == 0 {
		c.Backoff = DefaultBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.Backoff {
		c.MaxBackoff = c.Backoff
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 2
		c.Client = &http.Client{Transport: t}
	}
	events := u.JoinPath("events")
	return c, events, nil
}
