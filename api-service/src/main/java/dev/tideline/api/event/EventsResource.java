package dev.tideline.api.event;

import dev.tideline.api.http.ApiException;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/** Recent events (a Tideline addition, no Databricks counterpart): {@code GET /api/2.0/tideline/events}. */
@Path("/api/2.0/tideline/events")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "events")
public class EventsResource {

    private final RecentEvents events;

    EventsResource(RecentEvents events) {
        this.events = events;
    }

    @RegisterForReflection
    public record EventList(List<RecentEvents.Event> events) {
    }

    @GET
    @Operation(summary = "The most recent events (pipeline state, Delta commits, synced table refreshes) seen by this API instance")
    public EventList recent(@QueryParam("subject_prefix") String subjectPrefix, @QueryParam("max_results") @DefaultValue("100") int max) {
        if (max < 1 || max > RecentEvents.CAPACITY) {
            throw ApiException.invalid("max_results", max + " is out of range; use 1 to " + RecentEvents.CAPACITY);
        }
        if (subjectPrefix != null && !subjectPrefix.startsWith("tideline.events")) {
            throw ApiException.invalid("subject_prefix", "'" + subjectPrefix + "' is not an event subject; use e.g. tideline.events.pipeline");
        }
        return new EventList(events.recent(subjectPrefix, max));
    }
}
