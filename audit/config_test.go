package audit

import (
	"strings"
	"testing"
	"time"
)

func TestNewFromEnvIsOffWithoutAURL(t *testing.T) {
	for _, v := range []string{"", "   "} {
		t.Setenv(EnvURL, v)
		t.Setenv(EnvToken, testToken)
		s, err := NewFromEnv(Config{URL: "http://127.0.0.1:1"})
		if s != nil || err != nil {
			t.Errorf("AUDIT_STREAM_URL=%q: got %v, %v; want a nil sink and no error", v, s, err)
		}
	}
}

func TestNewFromEnvReadsTheEnvironment(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{
			name: "defaults",
			env:  map[string]string{EnvURL: "http://127.0.0.1:9"},
			want: Config{URL: "http://127.0.0.1:9", Timeout: DefaultTimeout, Source: DefaultSource},
		},
		{
			name: "every variable",
			env:  map[string]string{EnvURL: " https://audit.example/api/ ", EnvToken: testToken, EnvTimeout: "500ms", EnvSource: "payments"},
			want: Config{URL: "https://audit.example/api/", Token: testToken, Timeout: 500 * time.Millisecond, Source: "payments"},
		},
		{
			name: "a timeout in seconds, as the Python package reads it",
			env:  map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "2.5"},
			want: Config{URL: "http://127.0.0.1:9", Timeout: 2500 * time.Millisecond, Source: DefaultSource},
		},
		{
			name: "the Python package's timeout in seconds",
			env:  map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeoutSeconds: " 0.3 "},
			want: Config{URL: "http://127.0.0.1:9", Timeout: 300 * time.Millisecond, Source: DefaultSource},
		},
		{
			name: "both timeout variables, agreeing",
			env:  map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "300ms", EnvTimeoutSeconds: "0.3"},
			want: Config{URL: "http://127.0.0.1:9", Timeout: 300 * time.Millisecond, Source: DefaultSource},
		},
		{
			name:    "both timeout variables, disagreeing",
			env:     map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "2s", EnvTimeoutSeconds: "5"},
			wantErr: `AUDIT_STREAM_TIMEOUT="2s" and AUDIT_STREAM_TIMEOUT_S="5" disagree (2s and 5s): set one of them`,
		},
		{name: "a duration in the seconds variable", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeoutSeconds: "2.5s"}, wantErr: `AUDIT_STREAM_TIMEOUT_S: "2.5s" is not a number of seconds`},
		{name: "a zero timeout in seconds", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeoutSeconds: "0"}, wantErr: `AUDIT_STREAM_TIMEOUT_S: "0" seconds is outside (0, 86400]`},
		{name: "an infinite timeout in seconds", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeoutSeconds: "inf"}, wantErr: `AUDIT_STREAM_TIMEOUT_S: "inf" seconds is outside (0, 86400]`},
		{name: "a bad seconds variable beside a good duration", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "2s", EnvTimeoutSeconds: "two"}, wantErr: `AUDIT_STREAM_TIMEOUT_S: "two" is not a number of seconds`},
		{name: "an unreadable timeout", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "soon"}, wantErr: `AUDIT_STREAM_TIMEOUT: "soon" is neither`},
		{name: "a zero timeout", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "0s"}, wantErr: `AUDIT_STREAM_TIMEOUT: "0s" is outside`},
		{name: "a negative timeout", env: map[string]string{EnvURL: "http://127.0.0.1:9", EnvTimeout: "-1"}, wantErr: `AUDIT_STREAM_TIMEOUT: "-1" seconds is outside`},
		{name: "a URL without scheme", env: map[string]string{EnvURL: "audit.example:8080"}, wantErr: `URL (AUDIT_STREAM_URL): "audit.example:8080": the scheme must be http or https`},
		{name: "a URL without host", env: map[string]string{EnvURL: "http:///events"}, wantErr: "has no host"},
		{name: "a URL with a query", env: map[string]string{EnvURL: "http://a.example/?x=1"}, wantErr: "takes no query"},
		{name: "a token with a newline", env: map[string]string{EnvURL: "http://a.example", EnvToken: testToken + "\nX-Evil: 1"}, wantErr: "Token (AUDIT_STREAM_TOKEN): contains a control character (the token is not shown)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{EnvURL, EnvToken, EnvTimeout, EnvTimeoutSeconds, EnvSource} {
				t.Setenv(k, tc.env[k])
			}
			s, err := NewFromEnv(Config{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), testToken) {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(t.Context())
			got := Config{URL: s.cfg.URL, Token: s.cfg.Token, Timeout: s.cfg.Timeout, Source: s.cfg.Source}
			if got != tc.want {
				t.Errorf("config %+v, want %+v", got, tc.want)
			}
			if !strings.HasSuffix(s.events, "/events") || strings.Contains(s.events, "//events") {
				t.Errorf("events URL %q", s.events)
			}
		})
	}
}

func TestNewNamesEveryInvalidField(t *testing.T) {
	_, err := New(Config{URL: "ftp://x", Timeout: -time.Second, QueueSize: -1, MaxAttempts: -2, Backoff: -1})
	if err == nil {
		t.Fatal("no error")
	}
	for _, field := range []string{"URL", "Timeout", "QueueSize", "MaxAttempts", "Backoff"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("the error does not name %s: %v", field, err)
		}
	}
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "URL: empty") {
		t.Errorf("an empty config: %v", err)
	}
}

func TestURLPasswordIsRedactedInLogs(t *testing.T) {
	s, err := New(Config{URL: "http://user:hunter2@127.0.0.1:9/base"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(t.Context())
	if strings.Contains(s.logURL, "hunter2") || s.logURL != "http://user:xxxxx@127.0.0.1:9/base/events" {
		t.Errorf("log URL %q", s.logURL)
	}
}
