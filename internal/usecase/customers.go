package usecase

import "github.com/riskd/riskd/internal/jobs"

// registerCustomerJobs registers the family's job handlers.
func (a *App) registerCustomerJobs(r *jobs.Runner) {
}
