package dev.tideline.control;

import dev.tideline.control.kv.ControlPlane;
import dev.tideline.control.message.UpdateRequest;
import dev.tideline.core.naming.Streams;
import dev.tideline.core.naming.Subjects;
import dev.tideline.testing.NatsServer;
import dev.tideline.testing.WithNats;
import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

@WithNats
class ControlRequestsIT {

    @Test
    void requestsSentWhileAServiceIsDownAreDeliveredWhenItListensAgain(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(nc);
            List<String> received = new CopyOnWriteArrayList<>();
            String filter = "tideline.control.pipeline.*.update";
            try (AutoCloseable listening = control.listen(Streams.CONTROL, "test-updates", filter, UpdateRequest.class,
                    (subject, request) -> received.add(subject + " " + request.updateId()))) {
                control.send(Subjects.pipelineUpdate("p1"), new UpdateRequest("u1", false, null, "TEST", 1));
                await().until(() -> received.size() == 1);
            }
            control.send(Subjects.pipelineUpdate("p2"), new UpdateRequest("u2", true, null, "TEST", 2)); // nobody listening
            try (AutoCloseable listening = control.listen(Streams.CONTROL, "test-updates", filter, UpdateRequest.class,
                    (subject, request) -> received.add(subject + " " + request.updateId()))) {
                await().until(() -> received.size() == 2);
            }
            assertEquals(List.of("tideline.control.pipeline.p1.update u1", "tideline.control.pipeline.p2.update u2"), received);
        }
    }

    @Test
    void aFailingHandlerGetsTheRequestAgain(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(nc);
            AtomicInteger attempts = new AtomicInteger();
            try (AutoCloseable listening = control.listen(Streams.CONTROL, "test-retry", "tideline.control.pipeline.p3.update",
                    UpdateRequest.class, (subject, request) -> {
                        if (attempts.incrementAndGet() == 1) {
                            throw new IllegalStateException("first attempt fails");
                        }
                    })) {
                control.send(Subjects.pipelineUpdate("p3"), new UpdateRequest("u3", false, null, "TEST", 3));
                await().atMost(java.time.Duration.ofSeconds(20)).until(() -> attempts.get() == 2);
            }
        }
    }

    @Test
    void aUnitsRequestsWaitForWhicheverReplicaTakesTheUnit(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(nc);
            List<String> received = new CopyOnWriteArrayList<>();
            String subject = Subjects.pipelineUpdate("p4");
            control.send(subject, new UpdateRequest("before", false, null, "TEST", 1)); // no consumer exists yet
            control.send(Subjects.pipelineUpdate("other"), new UpdateRequest("not-mine", false, null, "TEST", 1));
            try (AutoCloseable replicaA = control.listenFor(Streams.CONTROL, "test-update-p4", subject, UpdateRequest.class,
                    (s, request) -> received.add("a " + request.updateId()))) {
                await().until(() -> received.size() == 1);
            }
            control.send(subject, new UpdateRequest("between", false, null, "TEST", 2)); // the unit moves to replica b
            try (AutoCloseable replicaB = control.listenFor(Streams.CONTROL, "test-update-p4", subject, UpdateRequest.class,
                    (s, request) -> received.add("b " + request.updateId()))) {
                await().until(() -> received.size() == 2);
            }
            assertEquals(List.of("a before", "b between"), received);
            control.forget(Streams.CONTROL, "test-update-p4");
            assertEquals(false, nc.jetStreamManagement().getConsumerNames(Streams.CONTROL).contains("test-update-p4"));
        }
    }

    @Test
    void subscribersSeeEventsPublishedWhileTheyListen(NatsServer nats) throws Exception {
        try (Connection nc = Nats.connect(nats.url())) {
            ControlPlane control = ControlPlane.open(nc);
            List<String> received = new CopyOnWriteArrayList<>();
            try (AutoCloseable sub = control.subscribe("tideline.control.pipeline.*.update", UpdateRequest.class,
                    (s, request) -> received.add(request.updateId()))) {
                nc.flush(java.time.Duration.ofSeconds(5));
                nc.publish(Subjects.pipelineUpdate("p5"), "not json".getBytes(java.nio.charset.StandardCharsets.UTF_8));
                control.publish(Subjects.pipelineUpdate("p5"), new UpdateRequest("u5", false, null, "TEST", 1));
                await().until(() -> received.size() == 1);
            }
            assertEquals(List.of("u5"), received);
        }
    }
}
