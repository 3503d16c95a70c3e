package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for a Fetcher. Upstream status pages, feeds and EDGAR answer in
// well under a second with bodies of tens of kilobytes; the limits only stop
// a hung or hostile server from holding a worker or its memory.
const (
	DefaultTimeout  = 15 * time.Second
	DefaultMaxBytes = 5 << 20
	// maxRetryAfter bounds a Retry-After a server sends: the next periodic
	// poll comes anyway, and a huge value must not overflow a Duration.
	maxRetryAfter = 24 * time.Hour
)

// ErrTooLarge is returned when a response body is bigger than the
// Fetcher's MaxBytes. The body is refused rather than cut, because a
// truncated JSON or XML document would parse wrong or not at all.
var ErrTooLarge = errors.New("source: response body exceeds the size limit")

// StatusError is a response with a non-2xx status.
type StatusError struct {
	URL        string
	StatusCode int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("source: GET %s: HTTP %d %s", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// RetryAfterError is a 429 or 503: the server is asking to be left alone for
// a while. RetryAfter is what its Retry-After header asked for (seconds or
// an HTTP date), zero when it did not say. The fetcher does not sleep: the
// job that called it decides when to come back. It unwraps to a
// *StatusError, so a caller looking only for status errors still sees it.
type RetryAfterError struct {
	StatusError
	RetryAfter time.Duration
}

func (e *RetryAfterError) Error() string {
	if e.RetryAfter <= 0 {
		return e.StatusError.Error() + ", no Retry-After given"
	}
	return fmt.Sprintf("%s, retry after %s", e.StatusError.Error(), e.RetryAfter)
}

func (e *RetryAfterError) Unwrap() error { return &e.StatusError }

// UserAgent is the User-Agent riskd sends, naming the program and its
// purpose so an upstream operator who sees the traffic knows what it is.
// contact (an organisation and an email address, set by the operator) is
// appended when given: SEC's fair-access policy asks automated EDGAR
// clients to declare one.
func UserAgent(version, contact string) string {
	ua := "riskd/" + version + " (+vendor risk monitor)"
	if contact = strings.Join(strings.Fields(contact), " "); contact != "" {
		ua += " " + contact
	}
	return ua
}

// Fetcher performs bounded GET requests for the connectors.
type Fetcher struct {
	// Client sends the requests; nil means http.DefaultClient. riskd serve
	// passes PublicClient, which refuses private and loopback addresses
	// unless the operator allows them.
	Client    *http.Client
	UserAgent string
	// Timeout bounds each request, body included.
	Timeout time.Duration
	// MaxBytes bounds each response body (after decompression).
	MaxBytes int64
	// Now reads the clock for Retry-After given as a date.
	Now func() time.Time
}

// NewFetcher returns a Fetcher with the default limits that identifies
// itself as riskd of the given version.
func NewFetcher(client *http.Client, version string) *Fetcher {
	return &Fetcher{Client: client, UserAgent: UserAgent(version, ""), Timeout: DefaultTimeout, MaxBytes: DefaultMaxBytes, Now: time.Now}
}

// Get fetches rawURL and returns its body. Errors: *RetryAfterError for 429
// and 503, *StatusError for any other non-2xx status, ErrTooLarge (wrapped)
// for a body over MaxBytes, and context.DeadlineExceeded (wrapped) when the
// timeout passes.
func (f *Fetcher) Get(ctx context.Context, rawURL, accept string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("source: %q is not an absolute http or https URL", rawURL)
	}
	shown := u.Redacted() // never put credentials from a URL into errors or logs
	ctx, cancel := context.WithTimeout(ctx, cmpDuration(f.Timeout, DefaultTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("source: GET %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", f.UserAgent)
	req.Header.Set("Accept", accept)
	client := f.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("source: GET %s: %w", shown, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		now := time.Now
		if f.Now != nil {
			now = f.Now
		}
		return nil, &RetryAfterError{
			StatusError: StatusError{URL: shown, StatusCode: resp.StatusCode},
			RetryAfter:  retryAfter(resp.Header.Get("Retry-After"), now()),
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &StatusError{URL: shown, StatusCode: resp.StatusCode}
	}
	limit := f.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	// A declared length over the limit is refused before reading a byte;
	// a missing or false one is caught while reading, one byte past it.
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: GET %s declares %d bytes, limit %d", ErrTooLarge, shown, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("source: GET %s: reading body: %w", shown, err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: GET %s sent more than %d bytes", ErrTooLarge, shown, limit)
	}
	return body, nil
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3). Anything unreadable, or a date in the past, is zero.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(v, 10, 64); err == nil {
		if secs > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}
