package dev.tideline.sync.service;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.secret.SecretBox;
import dev.tideline.sync.engine.SyncOptions;
import dev.tideline.sync.model.SyncFaults;
import io.delta.kernel.engine.Engine;
import java.time.Duration;

/** Starts a {@link SyncSupervisor} from tests outside its package. */
public final class SyncSupervisorAccess {

    private SyncSupervisorAccess() {
    }

    public static AutoCloseable start(ControlPlane control, SecretBox secrets, String warehouse, Engine engine, Duration poll) {
        SyncSupervisor s = new SyncSupervisor(control, secrets, warehouse, engine, new SyncOptions(4, 0.10), poll, Duration.ofSeconds(2),
                SyncFaults.NONE);
        s.start();
        return s;
    }
}
