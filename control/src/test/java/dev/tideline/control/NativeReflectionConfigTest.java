package dev.tideline.control;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every JSON document class of the control plane is registered for reflection in native images
 * (Jackson binds records reflectively), so adding a record without registering it fails here, not in
 * a native build somewhere else.
 */
class NativeReflectionConfigTest {

    @Test
    void everyDocumentClassIsRegistered() throws IOException, URISyntaxException {
        Set<String> registered = new TreeSet<>();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/native-image/dev.tideline/tideline-control/reflect-config.json")) {
            for (var node : ControlJson.mapper().readTree(in)) {
                registered.add(node.get("name").asText());
            }
        }
        Path classes = Path.of(ControlJson.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> documents = new TreeSet<>();
        for (String pkg : List.of("spec", "status", "message")) {
            try (Stream<Path> files = Files.list(classes.resolve("dev/tideline/control/" + pkg))) {
                files.map(f -> f.getFileName().toString())
                        .filter(n -> n.endsWith(".class") && !n.equals("package-info.class") && !n.equals("CapturePlan.class") && !n.startsWith("CapturePlan$"))
                        .forEach(n -> documents.add("dev.tideline.control." + pkg + "." + n.substring(0, n.length() - ".class".length())));
            }
        }
        assertEquals(documents, registered);
    }
}
