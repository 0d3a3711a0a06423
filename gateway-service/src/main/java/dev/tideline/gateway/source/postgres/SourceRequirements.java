package dev.tideline.gateway.source.postgres;

import dev.tideline.core.TableId;
import java.util.List;
import java.util.Objects;

/**
 * What a gateway pipeline needs of its source database.
 *
 * @param publication       the publication to stream ({@code publication_names})
 * @param slot              the logical replication slot (plugin {@code pgoutput})
 * @param tables            the tables to capture; each must exist, be readable and be in the publication
 * @param createPublication create the publication when it is missing (otherwise a missing one is a problem)
 * @param createSlot        create the slot when it is missing (otherwise a missing one is a problem)
 */
public record SourceRequirements(String publication, String slot, List<TableId> tables,
                                 boolean createPublication, boolean createSlot) {

    public SourceRequirements {
        Objects.requireNonNull(publication, "publication");
        Objects.requireNonNull(slot, "slot");
        tables = List.copyOf(tables);
    }
}
