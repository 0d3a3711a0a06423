package dev.tideline.delta.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The rule behind {@link KernelInternals}: no main source file of any module uses Delta Kernel's
 * {@code io.delta.kernel.internal} packages — by import, static import or fully qualified name —
 * except those of the facade package {@code dev.tideline.delta.kernel}. Test code may (it builds
 * fixtures with Kernel's own classes), but prefers the facade.
 *
 * <p>A plain scan of the source trees: from the working directory (Maven runs tests in the module's
 * directory) up to the repository root, then every {@code src/main/java} below it, comments left out.
 */
class KernelImportRuleTest {

    static final String INTERNAL = "io.delta.kernel.internal";
    static final Path FACADE = Path.of("delta", "src", "main", "java", "dev", "tideline", "delta", "kernel");

    @Test
    void onlyTheFacadePackageUsesKernelInternalsInMainCode() throws IOException {
        Path root = repositoryRoot();
        List<Path> trees = mainSourceTrees(root);
        Set<String> modules = new TreeSet<>();
        trees.forEach(t -> modules.add(root.relativize(t).getName(0).toString()));
        // A scan that found nothing would pass for the wrong reason.
        assertTrue(modules.containsAll(Set.of("core", "delta", "apply-service", "sync-service", "gateway-service")),
                "main source trees found under " + root + ": " + trees);

        List<String> offenders = new ArrayList<>();
        int facadeUses = 0;
        for (Path tree : trees) {
            try (Stream<Path> files = Files.walk(tree)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    List<String> uses = internalUses(Files.readString(file));
                    if (uses.isEmpty()) {
                        continue;
                    }
                    Path relative = root.relativize(file);
                    if (relative.startsWith(FACADE)) {
                        facadeUses += uses.size();
                    } else {
                        uses.forEach(line -> offenders.add(relative + ": " + line));
                    }
                }
            }
        }
        assertTrue(facadeUses > 0, "the facade in " + FACADE + " was not scanned");
        assertTrue(offenders.isEmpty(), "main code outside " + FACADE + " uses " + INTERNAL
                + " (Kernel's unstable internal API; add a method to dev.tideline.delta.kernel.KernelInternals"
                + " and call that instead):\n  " + String.join("\n  ", offenders));
    }

    @Test
    void theScanSeesImportsAndQualifiedNamesButNotComments() {
        String source = """
                package x;
                import io.delta.kernel.internal.actions.AddFile;
                import static io.delta.kernel.internal.util.Utils.toCloseableIterator;
                /** Not {@code io.delta.kernel.internal.SnapshotImpl}: see the facade. */
                class X { // io.delta.kernel.internal in a line comment
                    String url = "http://example.com"; Object s = (io.delta.kernel.internal.SnapshotImpl) null;
                    /* io.delta.kernel.internal
                       in a block comment */
                }
                """;
        List<String> uses = internalUses(source);
        assertEquals(3, uses.size(), uses.toString());
        assertTrue(uses.get(2).contains("SnapshotImpl) null"), uses.get(2));
        assertTrue(internalUses("import io.delta.kernel.data.Row; // io.delta.kernel.internal").isEmpty());
    }

    @Test
    void findsTheRepositoryRootFromTheWorkingDirectory() {
        Path root = repositoryRoot();
        assertNotNull(root);
        assertFalse(mainSourceTrees(root).isEmpty());
    }

    /** The lines of {@code source} that name the internal packages outside comments. */
    static List<String> internalUses(String source) {
        String code = withoutComments(source);
        List<String> out = new ArrayList<>();
        for (String line : code.split("\n")) {
            if (line.contains(INTERNAL)) {
                out.add(line.strip());
            }
        }
        return out;
    }

    /** The source with comments blanked (line breaks kept); string and char literals are kept, never taken for comments. */
    static String withoutComments(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                end = end < 0 ? s.length() : end + 2;
                s.substring(i, end).chars().filter(ch -> ch == '\n').forEach(ch -> out.append('\n'));
                i = end;
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                end = end < 0 ? s.length() : end + 3;
                out.append(s, i, end);
                i = end;
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != c && s.charAt(j) != '\n') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                j = Math.min(j + 1, s.length());
                out.append(s, i, j);
                i = j;
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    /** The repository root: the nearest directory at or above the working directory that holds the facade. */
    static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve(FACADE)) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new AssertionError("no repository root (a directory with pom.xml and " + FACADE + ") at or above "
                + Path.of("").toAbsolutePath());
    }

    /** Every {@code src/main/java} below the root, build output and hidden directories skipped. */
    static List<Path> mainSourceTrees(Path root) {
        List<Path> trees = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                    if (!dir.equals(root) && (name.startsWith(".") || name.equals("target") || name.equals("node_modules"))) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    if (dir.endsWith(Path.of("src", "main", "java"))) {
                        trees.add(dir);
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return trees;
    }
}
