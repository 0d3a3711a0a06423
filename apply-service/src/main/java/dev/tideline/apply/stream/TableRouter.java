package dev.tideline.apply.stream;

import dev.tideline.core.TableId;
import java.util.Collection;
import java.util.Optional;

/** Which source tables an ingestion pipeline applies, and where to. Thread-safe, immutable. */
public interface TableRouter {

    /** The destination of a source table, or empty when the pipeline does not ingest it. */
    Optional<TableTarget> route(TableId source);

    /** The targets known without seeing data (explicit table objects); schema objects add more as tables appear. */
    Collection<TableTarget> knownTargets();
}
