// Package ids generates and parses every identifier riskd hands out, so each
// family's documented format (UUIDs, job_ + ULID, URNs) is produced in one place.
package ids

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"
)

// crockford is the ULID alphabet (Crockford's base32, no I, L, O, U).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ULID returns a new 26-character ULID for time t: 48 bits of milliseconds
// followed by 80 random bits, so ids sort by creation time.
func ULID(t time.Time) string {
	b := ulidTime(t)
	if _, err := rand.Read(b[6:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error()) // the OS entropy source is gone; nothing is safe to do
	}
	return encodeULID(b)
}

func encodeULID(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	// 128 bits in 26 base32 digits: the first digit holds the top 3 bits.
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// ValidULID reports whether s is a well-formed ULID.
func ValidULID(s string) bool {
	if len(s) != 26 || s[0] > '7' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(crockford, s[i]) < 0 {
			return false
		}
	}
	return true
}

// JobPrefix starts every job id.
const JobPrefix = "job_"

// JobID returns a new job id: "job_" + ULID.
func JobID(t time.Time) string { return JobPrefix + ULID(t) }

// JobIDFloor returns the smallest job id of t's millisecond: every job id
// made before it sorts below, every one made at or after it does not. It
// lets a query range over jobs by age through the primary key.
func JobIDFloor(t time.Time) string { return JobPrefix + encodeULID(ulidTime(t)) }

// ulidTime returns a ULID's bytes for time t with zero random bits.
func ulidTime(t time.Time) [16]byte {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	return b
}

// ValidJobID reports whether s looks like a job id.
func ValidJobID(s string) bool {
	return strings.HasPrefix(s, JobPrefix) && ValidULID(s[len(JobPrefix):])
}

// UUID returns a new version 7 UUID (time-ordered, so indexes stay compact).
// UUIDs made for the same millisecond in one process increase in the order
// they are made (RFC 9562's 12-bit counter in rand_a, started at a random
// value below 2048): lists ordered by creation time and then id keep the
// creation order of a burst. Past 4,095 in one millisecond, or for an
// earlier millisecond than the last, the bits are random again.
func UUID(t time.Time) string {
	var b [16]byte
	if _, err := rand.Read(b[6:]); err != nil {
		panic("ids: crypto/rand failed: " + err.Error())
	}
	ms := uint64(t.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	seq := uuidClock.next(ms, uint16(b[6])<<8|uint16(b[7]))
	b[6] = byte(seq>>8)&0x0f | 0x70 // version 7
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return formatUUID(b)
}

// uuidClock is the counter of UUID.
var uuidClock monotonic

type monotonic struct {
	mu   sync.Mutex
	ms   uint64
	seq  uint16
	full bool // the counter ran out in ms
}

// next returns the 12-bit counter for a UUID of millisecond ms; random
// seeds it for a new millisecond and stands in when there is no counter.
func (m *monotonic) next(ms uint64, random uint16) uint16 {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case ms > m.ms:
		m.ms, m.seq, m.full = ms, random&0x7ff, false
	case ms == m.ms && !m.full && m.seq < 0xfff:
		m.seq++
	case ms == m.ms:
		m.full = true
		return random & 0xfff
	default:
		return random & 0xfff // an earlier millisecond: no order to keep
	}
	return m.seq
}

func formatUUID(b [16]byte) string {
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}

// ErrBadUUID is returned by ParseUUID for anything that is not a UUID.
var ErrBadUUID = errors.New("must be a UUID")

// ParseUUID validates s as a UUID in its canonical 8-4-4-4-12 form and
// returns it lower-cased.
func ParseUUID(s string) (string, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return "", ErrBadUUID
	}
	var b [16]byte
	if _, err := hex.Decode(b[0:4], []byte(s[0:8])); err != nil {
		return "", ErrBadUUID
	}
	if _, err := hex.Decode(b[4:6], []byte(s[9:13])); err != nil {
		return "", ErrBadUUID
	}
	if _, err := hex.Decode(b[6:8], []byte(s[14:18])); err != nil {
		return "", ErrBadUUID
	}
	if _, err := hex.Decode(b[8:10], []byte(s[19:23])); err != nil {
		return "", ErrBadUUID
	}
	if _, err := hex.Decode(b[10:16], []byte(s[24:36])); err != nil {
		return "", ErrBadUUID
	}
	return formatUUID(b), nil
}

// URN returns "urn:riskd:<kind>:<ULID>".
func URN(kind string, t time.Time) string { return "urn:riskd:" + kind + ":" + ULID(t) }

// ParseURN checks that s is a riskd URN of the given kind.
func ParseURN(kind, s string) (string, bool) {
	prefix := "urn:riskd:" + kind + ":"
	if !strings.HasPrefix(s, prefix) {
		return "", false
	}
	u := strings.ToUpper(s[len(prefix):])
	if !ValidULID(u) {
		return "", false
	}
	return prefix + u, true
}

// spaceNamespace is the fixed namespace of space UUIDs (RFC 9562 version 5).
var spaceNamespace = [16]byte{0x6b, 0x1f, 0x2e, 0x3d, 0x4c, 0x5b, 0x4a, 0x69, 0x98, 0x87, 0x76, 0x65, 0x54, 0x43, 0x32, 0x21}

// SpaceUUID is the stable UUID of a space, for APIs that identify spaces by
// UUID: derived from the space's numeric id, so nothing extra is stored.
func SpaceUUID(spaceID int64) string {
	h := sha1.New()
	h.Write(spaceNamespace[:])
	h.Write([]byte("space:" + strconv.FormatInt(spaceID, 10)))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x50 // version 5
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}
