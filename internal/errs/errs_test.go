package errs

import (
	"errors"
	"reflect"
	"testing"
)

func TestFieldsMerge(t *testing.T) {
	var inner Fields
	inner.Add("name", "is required")
	inner.Add("[2]", "is not a scale value")
	inner.Add("", "is empty")

	var f Fields
	f.Merge("dimensions[0]", nil) // a valid part adds nothing
	if !f.Empty() {
		t.Fatalf("Merge(nil) recorded %v", f.Err())
	}
	f.Merge("dimensions[0]", inner.Err())
	f.Merge("x", errors.New("plain"))
	var e *Error
	if !errors.As(f.Err(), &e) || e.Code != ValidationFailed {
		t.Fatalf("Err() = %v", f.Err())
	}
	want := []FieldError{
		{Field: "dimensions[0].name", Message: "is required"},
		{Field: "dimensions[0][2]", Message: "is not a scale value"},
		{Field: "dimensions[0]", Message: "is empty"},
		{Field: "x", Message: "plain"},
	}
	if !reflect.DeepEqual(e.Details, want) {
		t.Fatalf("details = %+v\nwant      %+v", e.Details, want)
	}
}
