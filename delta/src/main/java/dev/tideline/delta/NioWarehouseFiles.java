package dev.tideline.delta;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** {@link WarehouseFiles} of a {@code file:} warehouse. */
final class NioWarehouseFiles implements WarehouseFiles {

    private static Path path(String location) {
        return WarehouseLocation.localPath(location);
    }

    @Override
    public List<String> directories(String location) throws IOException {
        Path dir = path(location);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Override
    public List<Entry> files(String location) throws IOException {
        Path dir = path(location);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                    if (a.isRegularFile()) {
                        out.add(new Entry(p.getFileName().toString(), a.size(), a.lastModifiedTime().toMillis()));
                    }
                } catch (NoSuchFileException raced) {
                    // deleted while listing (a temporary file, log cleanup)
                }
            }
        }
        out.sort(Comparator.comparing(Entry::name));
        return out;
    }

    @Override
    public InputStream open(String location) throws IOException {
        try {
            return Files.newInputStream(path(location));
        } catch (NoSuchFileException e) {
            throw new FileNotFoundException("No such file: " + location);
        }
    }
}
