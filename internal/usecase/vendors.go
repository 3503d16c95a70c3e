package usecase

import "github.com/riskd/riskd/internal/jobs"

// registerVendorJobs registers the family's job handlers.
func (a *App) registerVendorJobs(r *jobs.Runner) {
}
