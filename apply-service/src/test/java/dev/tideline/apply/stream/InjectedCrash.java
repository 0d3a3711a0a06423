package dev.tideline.apply.stream;

/**
 * An abrupt stop injected at an {@link ApplyFaults} point: the applier that threw it must be discarded,
 * as if its process had been killed there.
 */
final class InjectedCrash extends RuntimeException {

    InjectedCrash(String point) {
        super("stopped at " + point);
    }

    /** Stops at {@code point} every time it is reached, once {@link #arm armed}. */
    static At at(String point) {
        return new At(point);
    }

    /** Faults that throw {@link InjectedCrash} at one point while armed. */
    static final class At implements ApplyFaults {
        private final String point;
        private volatile boolean armed;

        private At(String point) {
            this.point = point;
        }

        /** From now on, reaching the point stops the applier. */
        At arm() {
            armed = true;
            return this;
        }

        @Override
        public void at(String reached) {
            if (armed && reached.equals(point)) {
                throw new InjectedCrash(reached);
            }
        }
    }
}
