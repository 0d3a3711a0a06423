package dev.tideline.testing.pgoutput;

import java.util.List;

/**
 * One recorded pgoutput fixture: SQL run before the replication slot exists ({@code setup}), then the
 * SQL whose decoding is recorded ({@code script}), and the slot options to stream it with.
 *
 * @param name         file name stem: {@code <name>.bin} and {@code <name>.sql}
 * @param protoVersion pgoutput {@code proto_version}
 * @param binary       whether to ask for {@code binary 'true'}
 * @param streaming    whether to ask for {@code streaming 'on'} (protocol 2 and later)
 * @param expect       pgoutput message tags that must occur in the recording, so that a scenario that
 *                     silently stopped exercising its feature (e.g. too small to stream) fails loudly
 */
record FixtureScenario(String name, int protoVersion, boolean binary, boolean streaming,
                       List<String> setup, List<String> script, String expect) {

    /** A script step, not SQL: read the stream until a streamed segment has ended (Stream Stop). */
    static final String AWAIT_STREAMED = "-- recorder: wait until the open transaction has been streamed";

    /** A script step, not SQL: read the stream until a segment with a subtransaction's changes has ended. */
    static final String AWAIT_SUBTRANSACTION_STREAMED = "-- recorder: wait until the subtransaction's changes have been streamed";
}
