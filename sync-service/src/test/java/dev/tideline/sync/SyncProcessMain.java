package dev.tideline.sync;

import dev.tideline.delta.DeltaEngines;
import dev.tideline.sync.delta.DeltaSource;
import dev.tideline.sync.delta.FoldLimits;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.engine.SyncedTableSyncer;
import dev.tideline.sync.model.NullBytePolicy;
import dev.tideline.sync.model.SchedulingPolicy;
import dev.tideline.sync.model.SyncedTableDefinition;
import dev.tideline.sync.model.TargetTable;
import dev.tideline.sync.postgres.PostgresTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A sync in a process of its own, for {@link SyncProcessKillIT}: it runs one sync and, at the named
 * fault point, prints {@code PAUSED} and waits to be killed with SIGKILL.
 *
 * <p>Arguments: host port user password database warehouse tablePath table pausePoint fullRefresh
 * [foldMemoryBytes foldPartitions spillRoot]
 */
public final class SyncProcessMain {

    private SyncProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        PostgresTarget target = new PostgresTarget(host, port, args[2], args[3], args[4]);
        var engine = DeltaEngines.forWarehouse(args[5]);
        String path = args[6];
        String table = args[7];
        String pausePoint = args[8];
        boolean full = Boolean.parseBoolean(args[9]);
        SyncedTableDefinition def = new SyncedTableDefinition("synced.public." + table, "main.src." + table, path,
                new TargetTable(args[4], "public", table), List.of("id"), Optional.empty(), SchedulingPolicy.TRIGGERED, NullBytePolicy.FAIL, true);
        SyncedTableSyncer syncer = new SyncedTableSyncer(def, target, new DeltaSource(engine, path, def.sourceTableName()),
                args.length > 10 ? new SyncOptions(4, 100).withFold(new FoldLimits(Long.parseLong(args[10]), Integer.parseInt(args[11]),
                        Path.of(args[12]))) : new SyncOptions(4, 100), point -> {
                    if (point.equals(pausePoint)) {
                        System.out.println("PAUSED at " + point);
                        System.out.flush();
                        try {
                            Thread.sleep(Long.MAX_VALUE);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
        syncer.sync(full);
        System.out.println("FINISHED");
    }
}
