package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/riskd/riskd/internal/store"
)

// seedParams bounds the parameters of one seeding statement, under both
// SQLite's (32,766) and PostgreSQL's (65,535) limits.
const seedParams = 30_000

// insertRows seeds n rows of table straight into the database with
// multi-row INSERTs, row(i) giving the i-th row's values in columns' order.
// Through the API, 100,000 or 1,000,000 rows would take far longer than the
// benchmark that reads them. Each statement commits on its own, so the
// server's writers never wait long behind the seeding.
func insertRows(ctx context.Context, st *store.Store, table string, columns []string, n int, row func(i int) ([]any, error)) error {
	perStmt := max(1, min(1000, seedParams/len(columns)))
	head := "INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES "
	for done := 0; done < n; done += perStmt {
		rows := min(perStmt, n-done)
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, rows*len(columns))
		for r := range rows {
			vals, err := row(done + r)
			if err != nil {
				return err
			}
			if len(vals) != len(columns) {
				return fmt.Errorf("seeding %s: row %d has %d values for %d columns", table, done+r, len(vals), len(columns))
			}
			if r > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := range vals {
				if c > 0 {
					q.WriteByte(',')
				}
				q.WriteString(placeholder(st.Dialect(), len(args)+c+1))
			}
			q.WriteByte(')')
			args = append(args, vals...)
		}
		err := st.Tx(ctx, func(tx store.Q) error {
			_, err := tx.ExecContext(ctx, q.String(), args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("seeding %s: %w", table, err)
		}
	}
	return nil
}

// placeholder is the n-th bind parameter (from 1). SQLite gets an anonymous
// "?": it resolves "$N" through a list it searches linearly, which makes a
// statement of thousands of parameters quadratic to prepare and to bind.
func placeholder(d store.Dialect, n int) string {
	if d == store.SQLite {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}

// vacuumAnalyze brings freshly seeded tables to the state of tables in use.
// PostgreSQL's autovacuum gets to a bulk load within a minute or so, and
// until then the planner takes the tables for nearly empty and picks plans
// (for the risk event list, a join over every vendor's events and a sort,
// 300 ms instead of 0.3 ms) that a server in use does not run for long;
// when it does get to them, its first pass over the new rows competes with
// the measurement for the machine's two cores. So, as pgbench does before a
// run, the seeded tables are vacuumed (which also sets their visibility
// maps) and analysed first. SQLite keeps no statistics unless asked, and
// riskd does not ask, so it is left as riskd leaves it.
func vacuumAnalyze(ctx context.Context, st *store.Store, tables ...string) error {
	if st.Dialect() != store.Postgres {
		return nil
	}
	for _, t := range tables {
		if _, err := st.Writer().ExecContext(ctx, "VACUUM (ANALYZE) "+t); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}
