//go:build !unix

package textrisk

import "time"

func cpuNow() time.Duration { return 0 }
