package httpapi

import (
	"strings"
	"testing"
)

func TestJSONDepth(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{`{}`, 1},
		{`{"a":[1,{"b":2}]}`, 3},
		{`{"a":"[[[[{{{{"}`, 1},
		{`{"a":"\"[[["}`, 1},
		{`"plain"`, 0},
		{strings.Repeat("[", 100) + strings.Repeat("]", 100), 100},
		{`{"a":"\\","b":[[1]]}`, 3},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := jsonDepth([]byte(tt.in)); got != tt.want {
				t.Fatalf("jsonDepth = %d, want %d", got, tt.want)
			}
		})
	}
}
