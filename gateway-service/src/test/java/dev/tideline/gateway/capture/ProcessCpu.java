package dev.tideline.gateway.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * For the benchmark: CPU seconds used so far by this JVM, by the test's Postgres cluster (the
 * postmaster and every process it started: backends, walsender, writers) and by the test's
 * nats-server (a child of this JVM), read from Linux' {@code /proc/<pid>/stat}. A backend that
 * exits between two samples takes its CPU with it, so sample before closing connections.
 */
final class ProcessCpu {

    /** CPU seconds per process group at one moment. */
    record Sample(double jvm, double postgres, double nats) {
        Sample minus(Sample earlier) {
            return new Sample(jvm - earlier.jvm, postgres - earlier.postgres, nats - earlier.nats);
        }

        @Override
        public String toString() {
            return String.format("CPU s: gateway JVM %.2f, postgres %.2f, nats-server %.2f (total %.2f)", jvm, postgres, nats, jvm + postgres + nats);
        }
    }

    /** Clock ticks per second of {@code utime}/{@code stime} (USER_HZ, 100 on Linux). */
    private static final double TICKS = 100.0;

    private final long postmaster;

    /** @param backendPid any backend of the cluster ({@code pg_backend_pid()}): its parent is the postmaster */
    ProcessCpu(int backendPid) {
        this.postmaster = field(backendPid, 3);
    }

    Sample sample() {
        long jvm = ticks(ProcessHandle.current().pid());
        long postgres = ticks(postmaster);
        long nats = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(name);
                if (field(pid, 3) == postmaster) {
                    postgres += ticks(pid);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        nats += ProcessHandle.current().descendants().filter(h -> h.info().command().orElse("").endsWith("nats-server"))
                .mapToLong(h -> ticks(h.pid())).sum();
        return new Sample(jvm / TICKS, postgres / TICKS, nats / TICKS);
    }

    /**
     * CPU seconds so far of this JVM's live threads, by group (thread name without its numbers):
     * what is not in any group of the JVM's total is GC, JIT and the VM's own threads.
     */
    static java.util.Map<String, Double> threads() {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        java.util.Map<String, Double> groups = new java.util.TreeMap<>();
        for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long nanos = mx.getThreadCpuTime(info.getThreadId());
            if (nanos > 0) {
                groups.merge(info.getThreadName().replaceAll("[0-9]+", "N"), nanos / 1e9, Double::sum);
            }
        }
        return groups;
    }

    /**
     * CPU seconds so far of the threads of this process that are not Java threads (GC workers, JIT
     * compilers, the VM thread), by their kernel name without numbers, from {@code /proc/self/task}.
     */
    static java.util.Map<String, Double> vmThreads() {
        java.util.Map<String, Double> groups = new java.util.TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    String comm = Files.readString(task.resolve("comm")).trim();
                    if (!(comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("C1 ") || comm.startsWith("C2 ")
                            || comm.startsWith("VM ") || comm.startsWith("Compiler"))) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double seconds = (Long.parseLong(rest[11]) + Long.parseLong(rest[12])) / TICKS;
                    groups.merge(comm.replaceAll("[0-9]+", "N"), seconds, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return groups;
    }

    /** Collections so far and the wall seconds they took, over all of this JVM's collectors. */
    static double[] gc() {
        double count = 0;
        double seconds = 0;
        for (java.lang.management.GarbageCollectorMXBean gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
            seconds += Math.max(0, gc.getCollectionTime()) / 1000.0;
        }
        return new double[] {count, seconds};
    }

    /** {@code after - before} per group, the groups over 0.05 s, largest first. */
    static String threadsDelta(java.util.Map<String, Double> before, java.util.Map<String, Double> after) {
        StringBuilder out = new StringBuilder();
        after.entrySet().stream().map(e -> java.util.Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0.0)))
                .filter(e -> e.getValue() >= 0.01).sorted(java.util.Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> out.append(out.length() == 0 ? "" : ", ").append(String.format("%s %.2f", e.getKey(), e.getValue())));
        return out.toString();
    }

    /** utime + stime of a process, 0 when it is gone. */
    private static long ticks(long pid) {
        return field(pid, 13) + field(pid, 14);
    }

    /** The n-th field (0-based) of /proc/pid/stat, counted after the parenthesised command; -1 when unreadable. */
    private static long field(long pid, int n) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(rest[n - 2]);
        } catch (IOException | RuntimeException e) {
            return n == 3 ? -1 : 0;
        }
    }
}
