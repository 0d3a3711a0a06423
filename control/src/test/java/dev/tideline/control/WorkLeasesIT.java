package dev.tideline.control;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.lease.LeaseSettings;
import dev.tideline.control.lease.WorkLeases;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Replicas splitting units of work through {@link WorkLeases} on a real NATS server: every unit is held by
 * exactly one replica once they settle, a leaving or crashed replica's units move to the others, a
 * joining replica gets its share, and at no moment do two replicas work on one unit.
 */
@WithNats
class WorkLeasesIT {

    private static final Duration TTL = Duration.ofSeconds(3);
    private static final Set<String> UNITS = Set.of("p1", "p2", "p3", "p4", "p5", "orders.public.x y");

    /** Every acquire and release, in the order they happened, across all replicas of a test. */
    private final List<String[]> log = new CopyOnWriteArrayList<>();

    @Test
    void replicasSplitTheWorkAndHandItOverWhenOneLeaves(NatsServer nats) throws Exception {
        try (Connection ca = Nats.connect(nats.url()); Connection cb = Nats.connect(nats.url()); Connection cc = Nats.connect(nats.url())) {
            WorkLeases a = join(ca, "a");
            WorkLeases b = join(cb, "b");
            await().atMost(Duration.ofSeconds(20)).until(() -> a.held().size() == 3 && b.held().size() == 3);
            assertEquals(UNITS, union(a, b));

            a.close();
            await().atMost(TTL.multipliedBy(3)).until(() -> b.held().equals(UNITS));

            WorkLeases c = join(cc, "c");
            await().atMost(Duration.ofSeconds(20)).until(() -> b.held().size() == 3 && c.held().size() == 3);
            assertEquals(UNITS, union(b, c));
            b.close();
            c.close();
        }
        assertNoUnitHeldTwice();
    }

    @Test
    void aCrashedReplicasUnitsMoveAfterTheTtlAndItStopsFirst(NatsServer nats) throws Exception {
        Connection ca = Nats.connect(nats.url());
        try (Connection cb = Nats.connect(nats.url())) {
            WorkLeases a = join(ca, "a");
            await().atMost(Duration.ofSeconds(10)).until(() -> a.held().equals(UNITS));
            WorkLeases b = join(cb, "b");
            await().atMost(Duration.ofSeconds(20)).until(() -> a.held().size() == 3 && b.held().size() == 3);

            long crash = System.nanoTime();
            ca.close(); // a can no longer renew or release anything: its keys stay until they expire
            await().atMost(TTL.multipliedBy(4)).until(() -> b.held().equals(UNITS));
            assertTrue(System.nanoTime() - crash >= TTL.toNanos() / 2, "b must not take a's units before they expire");
            assertTrue(a.held().isEmpty(), "a gave its units up when it could not renew");
            a.close();
            b.close();
        }
        assertNoUnitHeldTwice();
    }

    @Test
    void aRestartedReplicaTakesItsOwnLeasesBackAtOnce(NatsServer nats) throws Exception {
        Connection first = Nats.connect(nats.url());
        WorkLeases a = join(first, "a");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.held().equals(UNITS));
        first.close(); // a crash: the leases stay in the bucket
        a.close();
        try (Connection second = Nats.connect(nats.url())) {
            long start = System.nanoTime();
            WorkLeases again = join(second, "a");
            await().atMost(TTL.dividedBy(2)).until(() -> again.held().equals(UNITS));
            assertTrue(System.nanoTime() - start < TTL.toNanos(), "no waiting for the old leases to expire");
            again.close();
        }
    }

    private WorkLeases join(Connection nc, String member) {
        WorkLeases leases = WorkLeases.start(ControlPlane.open(nc), "apply", new LeaseSettings(member, TTL), new WorkLeases.Listener() {
            @Override
            public void acquired(String unit) {
                log.add(new String[] {member, unit, "acquired"});
            }

            @Override
            public void released(String unit) {
                log.add(new String[] {member, unit, "released"});
            }
        });
        leases.offer(UNITS);
        return leases;
    }

    private static Set<String> union(WorkLeases x, WorkLeases y) {
        Set<String> all = new HashSet<>(x.held());
        Set<String> overlap = new HashSet<>(x.held());
        overlap.retainAll(y.held());
        assertTrue(overlap.isEmpty(), "held by both: " + overlap);
        all.addAll(y.held());
        return all;
    }

    /** Replays the log: a unit is acquired only while no other replica holds it. */
    private void assertNoUnitHeldTwice() {
        Map<String, String> holder = new HashMap<>();
        List<String> replay = new ArrayList<>();
        for (String[] e : log) {
            replay.add(String.join(" ", e));
            String current = holder.get(e[1]);
            if (e[2].equals("acquired")) {
                if (current != null) {
                    fail(e[0] + " acquired " + e[1] + " while " + current + " held it: " + replay);
                }
                holder.put(e[1], e[0]);
            } else {
                assertEquals(e[0], current, "released by a replica that did not hold it: " + replay);
                holder.remove(e[1]);
            }
        }
    }
}
