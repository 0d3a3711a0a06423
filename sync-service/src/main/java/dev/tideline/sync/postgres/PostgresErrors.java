package dev.tideline.sync.postgres;

import dev.tideline.core.TidelineException;
import java.sql.SQLException;

/** Wraps pgjdbc errors once, at the adapter edge, with the operation and a kind from the SQLSTATE class. */
final class PostgresErrors {

    private PostgresErrors() {
    }

    static TidelineException wrap(String operation, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        TidelineException.Kind kind;
        String hint;
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("40001") || state.equals("40P01")
                || state.equals("55P03") || state.startsWith("53")) {
            // connection failures, shutdown, serialization failures, deadlocks, lock timeouts, resources
            kind = TidelineException.Kind.RETRYABLE;
            hint = "the sync retries; check that the target Postgres is up if this persists";
        } else if (state.startsWith("42") || state.startsWith("28")) {
            kind = TidelineException.Kind.NEEDS_OPERATOR;
            hint = "check the sync role's privileges on the target database and schema";
        } else {
            kind = TidelineException.Kind.NEEDS_OPERATOR;
            hint = null;
        }
        return new TidelineException(kind, operation + " failed: " + e.getMessage() + (state.isEmpty() ? "" : " [SQLSTATE " + state + "]"), hint, e);
    }
}
