package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/riskd/riskd/internal/errs"
	"github.com/riskd/riskd/internal/riskmodel"
)

// Risk models are stored as their JSON documents: the API shows exactly the
// stored version, and a version never changes once a newer one exists.

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// InsertRiskModel stores version 1 of a new model. builtin names a built-in
// model ("" for users' models); a space has each built-in once.
func (s *Store) InsertRiskModel(ctx context.Context, q Q, spaceID int64, m riskmodel.Model, builtin string) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	var b any
	if builtin != "" {
		b = builtin
	}
	if _, err := q.ExecContext(ctx, `INSERT INTO risk_models (space_id, id, latest_version, active, builtin, created_on, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, spaceID, m.ID, m.Version, boolInt(m.Active), b, T(m.CreatedOn), string(doc)); err != nil {
		return fmt.Errorf("insert risk model: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO risk_model_versions (space_id, model_id, version, version_id, doc) VALUES ($1, $2, $3, $4, $5)`,
		spaceID, m.ID, m.Version, m.VersionID, string(doc))
	return err
}

// InsertRiskModelVersion stores a new latest version. It fails with a
// conflict if another version was added since the caller read the model.
func (s *Store) InsertRiskModelVersion(ctx context.Context, q Q, spaceID int64, m riskmodel.Model) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	res, err := q.ExecContext(ctx, `UPDATE risk_models SET latest_version = $3, active = $4, doc = $5
		WHERE space_id = $1 AND id = $2 AND latest_version = $6`, spaceID, m.ID, m.Version, boolInt(m.Active), string(doc), m.Version-1)
	if err != nil {
		return fmt.Errorf("update risk model: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.Conflictf("risk model %s changed meanwhile; read it and retry", m.ID)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO risk_model_versions (space_id, model_id, version, version_id, doc) VALUES ($1, $2, $3, $4, $5)`,
		spaceID, m.ID, m.Version, m.VersionID, string(doc))
	return err
}

// SetRiskModelActive stores a changed active state on the latest version.
func (s *Store) SetRiskModelActive(ctx context.Context, q Q, spaceID int64, m riskmodel.Model) error {
	doc, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := q.ExecContext(ctx, `UPDATE risk_models SET active = $3, doc = $4 WHERE space_id = $1 AND id = $2`,
		spaceID, m.ID, boolInt(m.Active), string(doc)); err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE risk_model_versions SET doc = $4 WHERE space_id = $1 AND model_id = $2 AND version = $3`,
		spaceID, m.ID, m.Version, string(doc))
	return err
}

// RiskModel returns the latest version of a model. In a transaction on
// PostgreSQL the row stays locked until commit (lock = true).
func (s *Store) RiskModel(ctx context.Context, q Q, spaceID int64, id string, lock bool) (riskmodel.Model, error) {
	suffix := ""
	if lock {
		suffix = s.ForUpdate()
	}
	return s.latestModel(ctx, q, `m.id = $2`+suffix, id, errs.NotFoundf("risk model %s not found", id), spaceID, decodeModel)
}

// RiskModelShape is RiskModel (unlocked) decoded only as far as scoring an
// assessment needs: ID, Version, VersionID, Active, NumberOfDimensions and
// NumberOfScales; the dimensions and their scales are left out. A model
// document is several kilobytes, and decoding all of it was a sixth of the
// CPU of creating an assessment.
func (s *Store) RiskModelShape(ctx context.Context, q Q, spaceID int64, id string) (riskmodel.Model, error) {
	return s.latestModel(ctx, q, `m.id = $2`, id, errs.NotFoundf("risk model %s not found", id), spaceID, decodeModelShape)
}

// BuiltinRiskModelShape returns the latest version of a space's built-in
// model, decoded as RiskModelShape is, or a not-found error when the space
// does not have it.
func (s *Store) BuiltinRiskModelShape(ctx context.Context, q Q, spaceID int64, builtin string) (riskmodel.Model, error) {
	return s.latestModel(ctx, q, `m.builtin = $2`, builtin, errs.NotFoundf("no built-in risk model %s in this space", builtin), spaceID, decodeModelShape)
}

// latestModel reads the latest version of the space's model that cond
// (on m, with key as $2) selects; notFound when there is none.
func (s *Store) latestModel(ctx context.Context, q Q, cond, key string, notFound error, spaceID int64, decode func(doc, versionID string) (riskmodel.Model, error)) (riskmodel.Model, error) {
	var doc, versionID string
	err := q.QueryRowContext(ctx, `SELECT m.doc, v.version_id FROM risk_models m
		JOIN risk_model_versions v ON v.space_id = m.space_id AND v.model_id = m.id AND v.version = m.latest_version
		WHERE m.space_id = $1 AND `+cond, spaceID, key).Scan(&doc, &versionID)
	if errors.Is(err, sql.ErrNoRows) {
		return riskmodel.Model{}, notFound
	}
	if err != nil {
		return riskmodel.Model{}, err
	}
	return decode(doc, versionID)
}

// BuiltinRiskModelID returns the id of a space's built-in model, or "".
func (s *Store) BuiltinRiskModelID(ctx context.Context, q Q, spaceID int64, builtin string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM risk_models WHERE space_id = $1 AND builtin = $2`, spaceID, builtin).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// RiskModelVersions returns every version of a model, newest first.
func (s *Store) RiskModelVersions(ctx context.Context, q Q, spaceID int64, id string) ([]riskmodel.Model, error) {
	return s.queryModels(ctx, q, `SELECT doc, version_id FROM risk_model_versions WHERE space_id = $1 AND model_id = $2 ORDER BY version DESC`, spaceID, id)
}

// RiskModelVersion returns one version of a model.
func (s *Store) RiskModelVersion(ctx context.Context, q Q, spaceID int64, id string, version int) (riskmodel.Model, error) {
	list, err := s.queryModels(ctx, q, `SELECT doc, version_id FROM risk_model_versions WHERE space_id = $1 AND model_id = $2 AND version = $3`, spaceID, id, version)
	if err != nil {
		return riskmodel.Model{}, err
	}
	if len(list) == 0 {
		return riskmodel.Model{}, errs.NotFoundf("risk model %s has no version %d", id, version)
	}
	return list[0], nil
}

// RiskModelFilter selects models for a list.
type RiskModelFilter struct {
	Active      *bool
	Skip, Limit int
}

// ListRiskModels returns the latest version of each model as stored JSON,
// oldest model first, and the number of models matching the filter. The
// documents are returned as stored: a page is served without decoding them.
func (s *Store) ListRiskModels(ctx context.Context, q Q, spaceID int64, f RiskModelFilter) ([]json.RawMessage, int, error) {
	active := -1
	if f.Active != nil {
		active = boolInt(*f.Active)
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM risk_models WHERE space_id = $1 AND ($2 = -1 OR active = $2)`, spaceID, active).Scan(&total); err != nil {
		return nil, 0, err
	}
	// The page's ids come from the index alone; only the page's documents
	// are read, each by its primary key: a correlated subquery is run per
	// row on both databases. (As id IN (page) SQLite walked the whole list
	// index to find the page's rows, 7 ms at 10,000 models at any skip; as
	// a join PostgreSQL hashed the whole table, 4 ms.)
	rows, err := q.QueryContext(ctx, `SELECT (SELECT m.doc FROM risk_models m WHERE m.space_id = $1 AND m.id = page.id) FROM (
			SELECT id, created_on FROM risk_models WHERE space_id = $1 AND ($2 = -1 OR active = $2)
			ORDER BY created_on, id LIMIT $3 OFFSET $4) page
		ORDER BY page.created_on, page.id`, spaceID, active, f.Limit, f.Skip)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var list []json.RawMessage
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, 0, err
		}
		list = append(list, doc)
	}
	return list, total, rows.Err()
}

func (s *Store) queryModels(ctx context.Context, q Q, query string, args ...any) ([]riskmodel.Model, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []riskmodel.Model
	for rows.Next() {
		var doc, versionID string
		if err := rows.Scan(&doc, &versionID); err != nil {
			return nil, err
		}
		m, err := decodeModel(doc, versionID)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// decodeModelShape decodes the fields RiskModelShape promises; the decoder
// skips the rest of the document without building it.
func decodeModelShape(doc, versionID string) (riskmodel.Model, error) {
	var shape struct {
		ID                 string `json:"id"`
		Version            int    `json:"version"`
		Active             bool   `json:"active"`
		NumberOfDimensions int    `json:"numberOfDimensions"`
		NumberOfScales     int    `json:"numberOfScales"`
	}
	if err := json.Unmarshal([]byte(doc), &shape); err != nil {
		return riskmodel.Model{}, fmt.Errorf("stored risk model: %w", err)
	}
	return riskmodel.Model{ID: shape.ID, Version: shape.Version, VersionID: versionID, Active: shape.Active,
		NumberOfDimensions: shape.NumberOfDimensions, NumberOfScales: shape.NumberOfScales}, nil
}

func decodeModel(doc, versionID string) (riskmodel.Model, error) {
	var m riskmodel.Model
	if err := json.Unmarshal([]byte(doc), &m); err != nil {
		return m, fmt.Errorf("stored risk model: %w", err)
	}
	m.VersionID = versionID
	return m, nil
}
