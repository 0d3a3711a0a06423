package dev.tideline.core.wire;

import java.util.Map;
import java.util.Objects;

/**
 * A message ready to publish: subject, headers (including {@code Nats-Msg-Id}) and body. Core has no
 * NATS dependency; the publisher copies the headers into its client's header type.
 *
 * @param body owned by the caller from now on; Tideline keeps no reference to it
 */
public record EncodedMessage(String subject, Map<String, String> headers, byte[] body) {

    public EncodedMessage {
        Objects.requireNonNull(subject, "subject");
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    public String msgId() {
        return headers.get(WireHeaders.NATS_MSG_ID);
    }

    /** Headers plus body, roughly what the message costs against the server's {@code max_payload}. */
    public int approximateSize() {
        int size = body.length;
        for (Map.Entry<String, String> e : headers.entrySet()) {
            size += e.getKey().length() + e.getValue().length() + 4;
        }
        return size + 12;
    }

    @Override
    public String toString() {
        return "EncodedMessage[" + subject + ", " + headers.get(WireHeaders.KIND) + ", " + body.length + " bytes]";
    }
}
