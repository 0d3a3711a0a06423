package dev.tideline.e2e;

import com.databricks.sdk.core.logging.ILoggerFactory;
import com.databricks.sdk.core.logging.Logger;
import com.databricks.sdk.core.logging.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Records what the Databricks SDK logs at WARN and ERROR, through the SDK's own logging hook
 * ({@link LoggerFactory#setDefault}), so a test can say "the SDK started without warnings". Install it before
 * the first SDK class is used: the SDK's classes take their loggers once, when they load.
 */
final class SdkWarnings implements ILoggerFactory {

    private final List<String> messages = new CopyOnWriteArrayList<>();

    static SdkWarnings install() {
        SdkWarnings warnings = new SdkWarnings();
        LoggerFactory.setDefault(warnings);
        return warnings;
    }

    /** Every WARN or ERROR so far, as {@code LEVEL logger: message}. */
    List<String> messages() {
        return List.copyOf(messages);
    }

    @Override
    public Logger getLogger(Class<?> type) {
        return getLogger(type.getName());
    }

    @Override
    public Logger getLogger(String name) {
        return new Logger() {
            @Override public void debug(String msg) { }
            @Override public void debug(String format, Object... args) { }
            @Override public void debug(Supplier<String> msgSupplier) { }
            @Override public void info(String msg) { }
            @Override public void info(String format, Object... args) { }
            @Override public void info(Supplier<String> msgSupplier) { }
            @Override public void warn(String msg) { record("WARN", msg); }
            @Override public void warn(String format, Object... args) { record("WARN", format(format, args)); }
            @Override public void warn(Supplier<String> msgSupplier) { record("WARN", msgSupplier.get()); }
            @Override public void error(String msg) { record("ERROR", msg); }
            @Override public void error(String format, Object... args) { record("ERROR", format(format, args)); }
            @Override public void error(Supplier<String> msgSupplier) { record("ERROR", msgSupplier.get()); }

            private void record(String level, String message) {
                messages.add(level + " " + name + ": " + message);
            }
        };
    }

    /** SLF4J-style {@code {}} placeholders, filled in order; extra arguments (e.g. an exception) appended. */
    private static String format(String format, Object... args) {
        StringBuilder out = new StringBuilder();
        int arg = 0;
        int from = 0;
        for (int at = format.indexOf("{}"); at >= 0; at = format.indexOf("{}", from)) {
            out.append(format, from, at).append(arg < args.length ? args[arg++] : "{}");
            from = at + 2;
        }
        out.append(format.substring(from));
        for (; arg < args.length; arg++) {
            out.append(' ').append(args[arg]);
        }
        return out.toString();
    }
}
