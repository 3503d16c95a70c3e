package usecase

import "github.com/riskd/riskd/internal/jobs"

// registerTextRiskJobs registers the family's job handlers.
func (a *App) registerTextRiskJobs(r *jobs.Runner) {
}
