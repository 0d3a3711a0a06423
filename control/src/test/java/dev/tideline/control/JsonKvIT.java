package dev.tideline.control;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.kv.JsonKv;
import dev.tideline.control.spec.DatabaseInstanceSpec;
import dev.tideline.core.TidelineException;
import dev.tideline.core.naming.KvKeys;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@WithNats
class JsonKvIT {

    @Test
    void storesListsUpdatesAndWatches(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            JsonKv specs = ControlPlane.open(nc).specs();
            ControlPlane.open(nc); // a second service opening the same buckets is fine
            Map<String, DatabaseInstanceSpec> seen = new ConcurrentHashMap<>();
            List<String> deleted = new CopyOnWriteArrayList<>();
            String a = KvKeys.databaseInstance("a");
            specs.put(a, new DatabaseInstanceSpec("a", "conn-a", "u1", 1));
            try (AutoCloseable watch = specs.watch("instance.>", DatabaseInstanceSpec.class, (key, value) -> {
                if (value == null) {
                    deleted.add(key);
                } else {
                    seen.put(key, value);
                }
            }, (key, error) -> { })) {
                await().until(() -> seen.containsKey(a));
                String b = KvKeys.databaseInstance("b.with.dots");
                assertTrue(specs.create(b, new DatabaseInstanceSpec("b.with.dots", "conn-b", "u2", 2)).isPresent());
                assertTrue(specs.create(b, new DatabaseInstanceSpec("b.with.dots", "other", "u3", 3)).isEmpty(), "create is put-if-absent");
                await().until(() -> seen.containsKey(b));
                long revision = specs.get(b, DatabaseInstanceSpec.class).orElseThrow().revision();
                assertTrue(specs.update(b, new DatabaseInstanceSpec("b.with.dots", "conn-c", "u2", 2), revision).isPresent());
                assertTrue(specs.update(b, new DatabaseInstanceSpec("b.with.dots", "lost", "u2", 2), revision).isEmpty(), "stale revision loses");
                assertEquals(2, specs.list("instance.>", DatabaseInstanceSpec.class).size());
                specs.delete(a);
                await().until(() -> deleted.contains(a));
                assertEquals("conn-c", specs.value(b, DatabaseInstanceSpec.class).orElseThrow().connectionName());
            }
        }
    }

    @Test
    void anInvalidDocumentIsReportedWithItsKey(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            JsonKv specs = ControlPlane.open(nc).specs();
            nc.keyValue(specs.bucket()).put("instance.broken", "{not json".getBytes(StandardCharsets.UTF_8));
            TidelineException e = org.junit.jupiter.api.Assertions.assertThrows(TidelineException.class,
                    () -> specs.get("instance.broken", DatabaseInstanceSpec.class));
            assertTrue(e.getMessage().contains("instance.broken"), e.getMessage());
        }
    }
}
