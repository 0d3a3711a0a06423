package dev.tideline.core.pgoutput;

import dev.tideline.core.TidelineException;
import dev.tideline.core.change.ChangeEvent;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Decodes a pgoutput message sequence that may contain protocol-2 streamed (in-progress)
 * transactions into one that holds committed transactions only: each as Begin, its events, Commit.
 *
 * <p><b>Bounded memory.</b> Postgres streams a transaction only once it outgrows
 * {@code logical_decoding_work_mem}, and such a transaction can be arbitrarily large (a nightly
 * {@code UPDATE} of millions of rows). Its messages are therefore never held in the heap: each
 * stream block is appended, as the raw bytes Postgres sent, to a spill file per top-level xid in
 * the spill directory. At Stream Commit the file is decoded again one message at a time, by a
 * decoder of its own, while {@link #next()} is called — so the heap holds one event of it at a
 * time, and the disk holds what Postgres itself would have spilled. Decoding the file on its own
 * is sound because pgoutput announces every relation (and type) a streamed transaction uses inside
 * that transaction's own stream blocks (its "schema sent" flag is kept per streamed top-level
 * transaction), and the file keeps the Stream Start/Stop framing the decoder expects.
 *
 * <p>Relation and Type messages inside a block are also decoded at once by the session's decoder,
 * whose relation cache later non-streamed transactions rely on (pgoutput does not announce a
 * relation again after a streamed transaction that announced it commits).
 *
 * <p>A Stream Abort for the top-level xid deletes its file; one for a subtransaction marks that
 * subtransaction so that its events are skipped when the file is released (pgoutput tags each
 * streamed change with the xid of the (sub)transaction that made it, and sends one abort per
 * aborted subtransaction, nested ones included).
 *
 * <p>Not thread-safe. {@link #close()} deletes every spill file; the instance can then be used for
 * a new replication session (Postgres streams an unfinished transaction again from its start).
 */
public final class StreamedTransactions implements AutoCloseable {

    private static final String SUFFIX = ".pgoutput";

    private final PgOutputDecoder decoder;
    private final Path spillDirectory;
    private final Map<Long, Spill> spills = new HashMap<>();
    /** Output in order: {@link ChangeEvent}s, and {@link Release}s of committed streamed transactions. */
    private final ArrayDeque<Object> ready = new ArrayDeque<>();
    /** The spill of the stream block being received, or null outside a block. */
    private Spill block;

    /**
     * @param decoder        the session's decoder, fed every message that is not spilled
     * @param spillDirectory where streamed transactions are written until they commit; created when
     *                       first needed; it must belong to this replication session alone
     */
    public StreamedTransactions(PgOutputDecoder decoder, Path spillDirectory) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.spillDirectory = Objects.requireNonNull(spillDirectory, "spillDirectory");
    }

    /**
     * Takes the next pgoutput message (the payload of one XLogData frame, position to limit); what
     * can be released is queued for {@link #next()}. Consumes the buffer.
     *
     * @throws TidelineException FATAL on a malformed message (see {@link PgOutputDecoder#decode});
     *                           RETRYABLE when the spill file cannot be written
     */
    public void accept(ByteBuffer message) {
        try {
            route(message);
        } finally {
            message.position(message.limit());
        }
    }

    private void route(ByteBuffer message) {
        byte type = message.hasRemaining() ? message.get(message.position()) : 0;
        if (block != null && type != 'E') {
            // Inside a stream block: only relation and type announcements concern the session.
            if (type == 'R' || type == 'Y') {
                decoder.decode(message.duplicate());
            }
            block.append(message);
            return;
        }
        ChangeEvent event = decoder.decode(message.duplicate());
        if (event instanceof ChangeEvent.StreamStart start) {
            block = spills.computeIfAbsent(start.xid(), this::openSpill);
            block.append(message);
        } else if (event instanceof ChangeEvent.StreamStop) {
            if (block != null) {
                block.append(message);
                block = null;
            }
        } else if (event instanceof ChangeEvent.StreamCommit commit) {
            ready.add(new ChangeEvent.Begin(commit.commitLsn(), commit.commitTime(), commit.xid()));
            Spill spill = spills.remove(commit.xid());
            if (spill != null) {
                ready.add(new Release(spill.finish()));
            }
            ready.add(new ChangeEvent.Commit(commit.flags(), commit.commitLsn(), commit.endLsn(), commit.commitTime()));
        } else if (event instanceof ChangeEvent.StreamAbort abort) {
            if (abort.subXid() == abort.xid() || abort.subXid() == 0) {
                Spill spill = spills.remove(abort.xid());
                if (spill != null) {
                    spill.discard();
                }
            } else {
                Spill spill = spills.get(abort.xid());
                if (spill != null) {
                    spill.aborted.add(abort.subXid());
                }
            }
        } else {
            ready.add(event);
        }
    }

    /** The next event of a committed transaction (or a non-transactional one), or {@code null}. */
    public ChangeEvent next() {
        Object head;
        while ((head = ready.peek()) != null) {
            if (head instanceof Release release) {
                ChangeEvent event = release.next();
                if (event != null) {
                    return event;
                }
                ready.poll();
            } else {
                ready.poll();
                return (ChangeEvent) head;
            }
        }
        return null;
    }

    /** Transactions currently held (streamed, neither committed nor aborted yet). */
    public int bufferedTransactions() {
        return spills.size();
    }

    /** Bytes written to spill files of transactions neither committed nor aborted yet. */
    public long spilledBytes() {
        long n = 0;
        for (Spill spill : spills.values()) {
            n += spill.bytes;
        }
        return n;
    }

    /** Deletes every spill file and forgets all state; a new session may follow. */
    @Override
    public void close() {
        for (Object o : ready) {
            if (o instanceof Release release) {
                release.close();
            }
        }
        ready.clear();
        spills.values().forEach(Spill::discard);
        spills.clear();
        block = null;
    }

    private Spill openSpill(long xid) {
        try {
            Files.createDirectories(spillDirectory);
            Path file = Files.createTempFile(spillDirectory, "xid-" + xid + "-", SUFFIX);
            return new Spill(file);
        } catch (IOException e) {
            throw spillFailure("create a spill file for streamed transaction " + xid + " in " + spillDirectory, e);
        }
    }

    private static TidelineException spillFailure(String what, IOException e) {
        return new TidelineException(TidelineException.Kind.RETRYABLE, "could not " + what + ": " + e.getMessage(),
                "a streamed transaction is written to disk until it commits; give the spill directory "
                        + "(tideline.gateway.spill-directory) room for the largest transaction", e);
    }

    /** One streamed transaction on disk: records of [int32 length][message bytes]. */
    private static final class Spill {
        final Path file;
        final Set<Long> aborted = new HashSet<>();
        DataOutputStream out;
        long bytes;

        Spill(Path file) throws IOException {
            this.file = file;
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16));
        }

        void append(ByteBuffer message) {
            int length = message.remaining();
            try {
                out.writeInt(length);
                if (message.hasArray()) {
                    out.write(message.array(), message.arrayOffset() + message.position(), length);
                } else {
                    byte[] copy = new byte[length];
                    message.duplicate().get(copy);
                    out.write(copy);
                }
            } catch (IOException e) {
                throw spillFailure("write spill file " + file, e);
            }
            bytes += 4 + length;
        }

        /** Closes the file for writing; returns this spill, ready to be read back. */
        Spill finish() {
            try {
                out.close();
            } catch (IOException e) {
                throw spillFailure("write spill file " + file, e);
            }
            return this;
        }

        void discard() {
            try {
                out.close();
            } catch (IOException ignored) {
                // deleted next anyway
            }
            deleteQuietly(file);
        }
    }

    /** Reads a committed transaction's spill back, one event at a time, and deletes it at the end. */
    private static final class Release {
        private final Spill spill;
        private final PgOutputDecoder decoder = new PgOutputDecoder();
        private DataInputStream in;
        private byte[] buffer = new byte[256];

        Release(Spill spill) {
            this.spill = spill;
        }

        /** The next event to pass on, or null (and the file deleted) when the transaction is done. */
        ChangeEvent next() {
            try {
                if (in == null) {
                    in = new DataInputStream(new BufferedInputStream(Files.newInputStream(spill.file), 1 << 16));
                }
                while (true) {
                    int length;
                    try {
                        length = in.readInt();
                    } catch (EOFException end) {
                        close();
                        return null;
                    }
                    if (length > buffer.length) {
                        buffer = new byte[Math.max(length, buffer.length * 2)];
                    }
                    in.readFully(buffer, 0, length);
                    ChangeEvent event = decoder.decode(ByteBuffer.wrap(buffer, 0, length));
                    if (event instanceof ChangeEvent.StreamStart || event instanceof ChangeEvent.StreamStop
                            || spill.aborted.contains(xidOf(event))) {
                        continue;
                    }
                    return event;
                }
            } catch (IOException e) {
                close();
                throw spillFailure("read spill file " + spill.file, e);
            }
        }

        void close() {
            try {
                if (in != null) {
                    in.close();
                }
            } catch (IOException ignored) {
                // deleted next anyway
            }
            deleteQuietly(spill.file);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover in a temporary directory; the next session's files have other names
        }
    }

    private static long xidOf(ChangeEvent event) {
        if (event instanceof ChangeEvent.Insert e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Update e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Delete e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Truncate e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.Relation e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.TypeDefinition e) {
            return e.xid();
        } else if (event instanceof ChangeEvent.LogicalMessage e) {
            return e.xid();
        }
        return -1;
    }
}
