// Package audit defines the append-only, hash-chained audit log: what an
// event records, how its hash links to the one before, and how a chain is
// verified. The store persists events; this package only computes.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Event is one audited write. Each space has its own chain: Seq counts from 1
// and PrevHash is the Hash of the event before (empty for the first).
type Event struct {
	ID           int64     `json:"id"`
	SpaceID      int64     `json:"spaceId"`
	Seq          int64     `json:"seq"`
	ActorID      string    `json:"actorId"`
	Action       string    `json:"action"`
	ResourceType string    `json:"resourceType"`
	ResourceID   string    `json:"resourceId"`
	At           time.Time `json:"at"`
	StateHash    string    `json:"stateHash"`
	PrevHash     string    `json:"prevHash"`
	Hash         string    `json:"hash"`
}

// StateHash hashes the new state of a resource (its JSON form).
func StateHash(state any) (string, error) {
	b, ok := state.(Encoded)
	if !ok {
		var err error
		if b, err = json.Marshal(state); err != nil {
			return "", fmt.Errorf("audit: encode state: %w", err)
		}
	}
	return hexSum(b), nil
}

// Encoded is a state already in the JSON form json.Marshal gives it
// (compact, with <, > and & escaped). StateHash hashes it as it is: the
// hash of the value it encodes, without encoding it again. An inline
// text-risk job hashes the result it has just encoded, and encoding
// json.RawMessage again would re-scan it byte by byte.
type Encoded []byte

// ComputeHash links e to its predecessor: a change to any field, or to the
// previous hash, changes it.
func ComputeHash(e Event) string {
	// Each field length-prefixed so "ab"+"c" and "a"+"bc" differ. The
	// message is built in one buffer (on the stack for usual events)
	// rather than written field by field to a hash.Hash, which costs an
	// allocation per field.
	var buf [512]byte
	var num [20]byte
	b := appendField(buf[:0], e.PrevHash)
	b = appendField(b, strconv.AppendInt(num[:0], e.SpaceID, 10))
	b = appendField(b, strconv.AppendInt(num[:0], e.Seq, 10))
	b = appendField(b, e.ActorID)
	b = appendField(b, e.Action)
	b = appendField(b, e.ResourceType)
	b = appendField(b, e.ResourceID)
	// Microseconds: the precision the store keeps, so a stored event
	// hashes the same after it is read back.
	var at [32]byte
	b = appendField(b, e.At.UTC().AppendFormat(at[:0], "2006-01-02T15:04:05.000000Z"))
	b = appendField(b, e.StateHash)
	return hexSum(b)
}

// hexSum is the SHA-256 of b in hex, in one allocation (hex.EncodeToString
// makes two).
func hexSum(b []byte) string {
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// appendField appends f with its length before it.
func appendField[T string | []byte](b []byte, f T) []byte {
	b = strconv.AppendInt(b, int64(len(f)), 10)
	b = append(b, ':')
	return append(b, f...)
}

// Next fills Seq, PrevHash and Hash of e as the event after head.
func Next(head Head, e Event) Event {
	e.SpaceID = head.SpaceID
	e.Seq = head.Seq + 1
	e.PrevHash = head.Hash
	e.Hash = ComputeHash(e)
	return e
}

// Head is the last event of a space's chain, kept separately so that removing
// the newest events is detected too.
type Head struct {
	SpaceID int64
	Seq     int64
	Hash    string
}

// Verifier checks one space's chain event by event, in Seq order.
type Verifier struct {
	head Head
	err  error
}

// NewVerifier starts checking the chain of a space.
func NewVerifier(spaceID int64) *Verifier { return &Verifier{head: Head{SpaceID: spaceID}} }

// Add checks the next event and reports the first broken link.
func (v *Verifier) Add(e Event) error {
	if v.err != nil {
		return v.err
	}
	switch {
	case e.Seq != v.head.Seq+1:
		v.err = fmt.Errorf("space %d: event seq %d follows seq %d: events were removed", e.SpaceID, e.Seq, v.head.Seq)
	case e.PrevHash != v.head.Hash:
		v.err = fmt.Errorf("space %d: event seq %d (id %d) does not link to the event before it", e.SpaceID, e.Seq, e.ID)
	case ComputeHash(e) != e.Hash:
		v.err = fmt.Errorf("space %d: event seq %d (id %d) was changed after it was written", e.SpaceID, e.Seq, e.ID)
	}
	if v.err == nil {
		v.head = Head{SpaceID: e.SpaceID, Seq: e.Seq, Hash: e.Hash}
	}
	return v.err
}

// Finish compares the verified chain with the stored head.
func (v *Verifier) Finish(stored Head) error {
	if v.err != nil {
		return v.err
	}
	if stored.Seq != v.head.Seq || stored.Hash != v.head.Hash {
		return fmt.Errorf("space %d: the chain ends at seq %d but the head records seq %d: newest events were removed or the head was changed", stored.SpaceID, v.head.Seq, stored.Seq)
	}
	return nil
}
