package dev.tideline.apply.delta;

import dev.tideline.delta.FileIOEngine;
import dev.tideline.delta.kernel.DeletionVectorBitmap;
import dev.tideline.delta.kernel.DeletionVectorRef;
import dev.tideline.delta.kernel.KernelInternals;
import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.engine.Engine;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32;

/**
 * Writes the deletion vectors of one commit into one DV file in the table root, as the Delta protocol
 * lays it out ("Deletion Vector File Storage Format"): a version byte {@code 1}, then per vector its
 * data size (4 bytes, big-endian like the reference implementation and Kernel's reader), the
 * {@link DeletionVectorBitmap#serialize() bitmap data} and the CRC-32 of that data. Each vector gets a
 * descriptor with storage type {@code u} (file name derived from a random UUID, base85-encoded) and the
 * offset of its size field.
 *
 * <p>The file is written put-if-absent through the engine's own file layer (with its fsync), before
 * the commit that references it: a crash in between leaves an unreferenced file for VACUUM, never a
 * reference to a missing one.
 */
final class DeletionVectorFile {

    private DeletionVectorFile() {
    }

    /** Writes {@code vectors} into one new file under {@code tablePath}; returns their descriptors, in order. */
    static List<DeletionVectorRef> write(Engine engine, String tablePath, List<DeletionVectorBitmap> vectors) {
        if (!(engine instanceof FileIOEngine fileEngine)) {
            throw new IllegalStateException("deletion vectors need an engine from DeltaEngines.forWarehouse (got "
                    + engine.getClass().getName() + ")");
        }
        String encodedUuid = KernelInternals.encodeUuid(UUID.randomUUID());
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        List<DeletionVectorRef> descriptors = new ArrayList<>(vectors.size());
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeByte(1);
            for (DeletionVectorBitmap vector : vectors) {
                byte[] data = vector.serialize();
                int offset = out.size();
                out.writeInt(data.length);
                out.write(data);
                CRC32 crc = new CRC32();
                crc.update(data);
                out.writeInt((int) crc.getValue());
                descriptors.add(KernelInternals.onDiskDeletionVector(encodedUuid, offset, data.length, vector.cardinality()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (descriptors.isEmpty()) {
            return descriptors;
        }
        String path = descriptors.get(0).getAbsolutePath(tablePath);
        FileIO io = fileEngine.fileIO();
        try (PositionOutputStream out = io.newOutputFile(path).create(true)) {
            buffer.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write deletion vector file " + path, e);
        }
        return descriptors;
    }
}
