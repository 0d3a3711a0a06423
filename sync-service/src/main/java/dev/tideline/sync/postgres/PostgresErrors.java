package dev.tideline.sync.postgres;

import dev.tideline.core.postgres.SqlStates;
import dev.tideline.core.TidelineException;
import java.sql.SQLException;

/** Wraps pgjdbc errors once, at the adapter edge, with the operation and a kind from {@link SqlStates}. */
final class PostgresErrors {

    private PostgresErrors() {
    }

    static TidelineException wrap(String operation, SQLException e) {
        String state = e.getSQLState();
        SqlStates.Rule rule = SqlStates.rule(state);
        String hint;
        if (rule.kind() == TidelineException.Kind.RETRYABLE) {
            hint = "the sync retries; check that the target Postgres is up if this persists";
        } else if (state != null && (state.startsWith("42") || state.startsWith("28"))) {
            hint = "check the sync role's privileges on the target database and schema";
        } else {
            hint = rule.remedy();
        }
        return new TidelineException(rule.kind(), operation + " failed: " + e.getMessage() + SqlStates.describe(state), hint, e);
    }
}
