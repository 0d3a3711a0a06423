package dev.tideline.delta;

import io.delta.kernel.engine.Engine;
import java.io.OutputStream;
import java.util.Random;

/**
 * A writer in a process of its own, for {@link S3KillIT}, to be ended with SIGKILL. Arguments: endpoint path mode.
 * <ul>
 *   <li>{@code UPLOAD}: writes 11 MiB to {@code path} in 5 MiB parts (so two parts are uploaded), prints
 *       {@code MID UPLOAD} and waits, the multipart upload open;</li>
 *   <li>{@code APPEND}: appends 100,000-row commits (ids {@code v * 1,000,000 …}, transaction id {@code app}/v) to the
 *       table at {@code path} (created by the caller) from its next version on, printing {@code COMMITTED v<n>} after
 *       each, until killed.</li>
 * </ul>
 * Credentials: the AWS SDK's system properties, passed by the parent.
 */
public final class S3UploadProcessMain {

    private S3UploadProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        S3Settings settings = S3Settings.compatible(args[0])
                .withPartSizeBytes(S3Settings.MIN_PART_SIZE);
        if (args[2].equals("UPLOAD")) {
            S3FileIO io = new S3FileIO(S3ObjectStore.shared(settings), java.util.Map.of());
            byte[] chunk = new byte[1024 * 1024];
            new Random(1).nextBytes(chunk);
            OutputStream out = io.newOutputFile(args[1]).create(true);
            for (int i = 0; i < 11; i++) {
                out.write(chunk);
            }
            System.out.println("MID UPLOAD");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        } else {
            Engine engine = DeltaEngines.forWarehouse(args[1], EngineSettings.defaults(), settings);
            // Go on from the table's version: a transaction id a killed predecessor committed is rejected.
            long next = io.delta.kernel.TableManager.loadSnapshot(args[1]).build(engine).getVersion() + 1;
            for (long v = next; ; v++) {
                KernelTables.append(engine, args[1], v * 1_000_000, 100_000, "app", v);
                System.out.println("COMMITTED v" + v);
                System.out.flush();
            }
        }
    }
}
