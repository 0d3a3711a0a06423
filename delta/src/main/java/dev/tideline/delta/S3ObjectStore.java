package dev.tideline.delta;

import dev.tideline.core.TidelineException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileAlreadyExistsException;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.AwsRegionProviderChain;
import software.amazon.awssdk.regions.providers.SystemSettingsRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Every S3 request Tideline makes, on one {@link S3Client} per {@link S3Settings} (shared: a client holds a
 * connection pool). No Kernel and no Hadoop types, so that a service that only reads the log (api-service) can
 * use it too. Failures are {@code IOException}s with the operation and the object named:
 * {@link FileNotFoundException} for a missing object, {@link FileAlreadyExistsException} when a conditional
 * create finds the key taken — the two Kernel reacts to.
 *
 * <p>Cost rules: a listing is one {@code ListObjectsV2} per 1,000 keys, starting at the key asked for (never the
 * whole directory); no request checks an object before reading or writing it, except the conditional create of
 * a store run with {@link S3Settings#singleWriter()}. Throttling (503 SlowDown) and transient errors are retried
 * by the SDK's standard strategy with exponential backoff and jitter, {@link S3Settings#maxAttempts()} times.
 */
public final class S3ObjectStore {

    private static final Map<S3Settings, S3ObjectStore> SHARED = new ConcurrentHashMap<>();

    private final S3Client client;
    private final S3Settings settings;

    private S3ObjectStore(S3Client client, S3Settings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** The store for these settings, one client per distinct settings for the life of the JVM. */
    public static S3ObjectStore shared(S3Settings settings) {
        return SHARED.computeIfAbsent(settings, s -> new S3ObjectStore(buildClient(s), s));
    }

    private static S3Client buildClient(S3Settings settings) {
        S3ClientBuilder b = S3Client.builder()
                .forcePathStyle(settings.pathStyleAccess())
                .region(region(settings))
                // The SDK's default since 2.30 signs streaming uploads with trailing CRC checksums, which several
                // S3-compatible stores reject; send checksums only where an operation requires them.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                        .maxAttempts(settings.maxAttempts()).build()));
        settings.endpoint().ifPresent(e -> b.endpointOverride(URI.create(e)));
        return b.build();
    }

    private static Region region(S3Settings settings) {
        if (settings.region().isPresent()) {
            return Region.of(settings.region().get());
        }
        try {
            // AWS_REGION / aws.region, then the profile. Not the SDK's default chain: its last step asks the EC2
            // instance metadata service, a network call (with timeouts) on every machine that is not EC2.
            return new AwsRegionProviderChain(new SystemSettingsRegionProvider(), new AwsProfileRegionProvider()).getRegion();
        } catch (SdkException none) {
            return Region.US_EAST_1; // what MinIO, S3Proxy, R2 ("auto") and most compatible stores accept
        }
    }

    /** The settings this store was built with. */
    public S3Settings settings() {
        return settings;
    }

    /** One object of a listing. */
    public record Entry(String key, long size, long lastModifiedMillis) {
        /** The last segment of the key. */
        public String name() {
            return key.substring(key.lastIndexOf('/') + 1);
        }
    }

    /**
     * The objects directly in {@code directoryKey} (not below it) whose name sorts at or after {@code fromName},
     * in key order, fetched a page at a time as the iterator advances.
     */
    Iterator<Entry> listFrom(String bucket, String directoryKey, String fromName) {
        String prefix = directoryKey.isEmpty() ? "" : directoryKey + "/";
        String from = prefix + fromName;
        ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).delimiter("/");
        if (!fromName.isEmpty()) {
            // StartAfter is exclusive; starting after the name less its last character includes the name
            // itself, and the few keys between the two are filtered out below.
            request.startAfter(from.substring(0, from.length() - 1));
        }
        Iterator<S3Object> objects = client.listObjectsV2Paginator(request.build()).contents().iterator();
        return new Iterator<>() {
            private Entry next = advance();

            private Entry advance() {
                while (objects.hasNext()) {
                    S3Object o = objects.next();
                    if (o.key().compareTo(from) >= 0) {
                        return new Entry(o.key(), o.size(), millis(o.lastModified()));
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Entry next() {
                if (next == null) {
                    throw new java.util.NoSuchElementException();
                }
                Entry e = next;
                next = advance();
                return e;
            }
        };
    }

    /** The names of the "directories" (common prefixes) directly in {@code directoryKey}, sorted. */
    public List<String> directories(String bucket, String directoryKey) throws IOException {
        String prefix = directoryKey.isEmpty() ? "" : directoryKey + "/";
        try {
            return client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/")).commonPrefixes().stream()
                    .map(CommonPrefix::prefix)
                    .map(p -> p.substring(prefix.length(), p.length() - 1))
                    .sorted()
                    .toList();
        } catch (SdkException e) {
            throw failure("list", bucket, prefix, e);
        }
    }

    /** Whether any object has a key starting with {@code directoryKey + "/"} (one request, one key). */
    boolean anyUnder(String bucket, String directoryKey) throws IOException {
        String prefix = directoryKey.isEmpty() ? "" : directoryKey + "/";
        try {
            return client.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1)).keyCount() > 0;
        } catch (SdkException e) {
            throw failure("list", bucket, prefix, e);
        }
    }

    /** The objects directly in {@code directoryKey}, in key order (all pages). */
    public List<Entry> files(String bucket, String directoryKey) throws IOException {
        try {
            List<Entry> out = new java.util.ArrayList<>();
            listFrom(bucket, directoryKey, "").forEachRemaining(out::add);
            return out;
        } catch (SdkException e) {
            throw failure("list", bucket, directoryKey + "/", e);
        }
    }

    /** Size and modification time of an object, or empty when it does not exist. */
    public Optional<Entry> head(String bucket, String key) throws IOException {
        try {
            HeadObjectResponse r = client.headObject(b -> b.bucket(bucket).key(key));
            return Optional.of(new Entry(key, r.contentLength(), millis(r.lastModified())));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (AwsServiceException e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failure("head", bucket, key, e);
        } catch (SdkException e) {
            throw failure("head", bucket, key, e);
        }
    }

    /**
     * The bytes {@code [from, toExclusive)} of an object ({@code toExclusive < 0}: to the end). Closing the stream
     * before its end aborts the connection, so callers that stop early should ask for less.
     */
    public InputStream get(String bucket, String key, long from, long toExclusive) throws IOException {
        try {
            String range = toExclusive < 0 ? "bytes=" + from + "-" : "bytes=" + from + "-" + (toExclusive - 1);
            return client.getObject(b -> b.bucket(bucket).key(key).range(from == 0 && toExclusive < 0 ? null : range));
        } catch (NoSuchKeyException e) {
            throw new FileNotFoundException("No such object: s3://" + bucket + "/" + key);
        } catch (SdkException e) {
            throw failure("get", bucket, key, e);
        }
    }

    /**
     * Writes a whole object in one request.
     *
     * @param ifAbsent create only: {@code If-None-Match: *}, which the store evaluates atomically, so of two
     *                 writers of one key exactly one succeeds (with {@link S3Settings#singleWriter()}: a HEAD,
     *                 then an unconditional write)
     * @throws FileAlreadyExistsException when {@code ifAbsent} and the key exists
     */
    public void put(String bucket, String key, byte[] bytes, boolean ifAbsent) throws IOException {
        boolean conditional = ifAbsent && !settings.singleWriter();
        if (ifAbsent && settings.singleWriter() && head(bucket, key).isPresent()) {
            throw new FileAlreadyExistsException("s3://" + bucket + "/" + key);
        }
        try {
            client.putObject(b -> b.bucket(bucket).key(key).contentLength((long) bytes.length)
                    .ifNoneMatch(conditional ? "*" : null), RequestBody.fromBytes(bytes));
        } catch (SdkException e) {
            throw failure("put", bucket, key, e);
        }
    }

    /** Starts a multipart upload; returns its upload id. */
    String startMultipart(String bucket, String key) throws IOException {
        try {
            return client.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        } catch (SdkException e) {
            throw failure("create multipart upload", bucket, key, e);
        }
    }

    /** Uploads part {@code number} (1-based) of a multipart upload. */
    CompletedPart uploadPart(String bucket, String key, String uploadId, int number, byte[] bytes, int length) throws IOException {
        try {
            String etag = client.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                    .contentLength((long) length), RequestBody.fromByteBuffer(java.nio.ByteBuffer.wrap(bytes, 0, length))).eTag();
            return CompletedPart.builder().partNumber(number).eTag(etag).build();
        } catch (SdkException e) {
            throw failure("upload part " + number + " of", bucket, key, e);
        }
    }

    /**
     * Completes a multipart upload: only now does the object exist, whole. With {@code ifAbsent} the completion is
     * conditional ({@code If-None-Match: *}) like {@link #put}.
     */
    void completeMultipart(String bucket, String key, String uploadId, List<CompletedPart> parts, boolean ifAbsent) throws IOException {
        boolean conditional = ifAbsent && !settings.singleWriter();
        if (ifAbsent && settings.singleWriter() && head(bucket, key).isPresent()) {
            throw new FileAlreadyExistsException("s3://" + bucket + "/" + key);
        }
        try {
            client.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts)).ifNoneMatch(conditional ? "*" : null));
        } catch (SdkException e) {
            throw failure("complete multipart upload of", bucket, key, e);
        }
    }

    /** Abandons a multipart upload (its parts are deleted); failures are left to the bucket's lifecycle rule. */
    void abortMultipart(String bucket, String key, String uploadId) {
        try {
            client.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } catch (SdkException e) {
            // An upload that is never completed is never visible; the lifecycle rule
            // AbortIncompleteMultipartUpload reclaims its parts.
        }
    }

    /** Deletes an object (no error if it does not exist). */
    public void delete(String bucket, String key) throws IOException {
        try {
            client.deleteObject(b -> b.bucket(bucket).key(key));
        } catch (SdkException e) {
            throw failure("delete", bucket, key, e);
        }
    }

    /**
     * Proves that the store evaluates {@code If-None-Match: *} on a write: creates a probe object under
     * {@code <prefix>/_tideline/}, then creates it again, which must be refused; deletes it. Skipped under
     * {@link S3Settings#singleWriter()}.
     *
     * @throws TidelineException (NEEDS_OPERATOR) when the second create succeeded or the store answered the
     *                           header with 501 Not Implemented, naming {@value S3Settings#SINGLE_WRITER_PROPERTY}; (RETRYABLE) when the
     *                           store could not be reached or refused the probe for another reason
     */
    public void verifyConditionalWrites(String bucket, String prefix) {
        if (settings.singleWriter()) {
            return;
        }
        String key = (prefix.isEmpty() ? "" : prefix + "/") + "_tideline/conditional-write-probe-" + UUID.randomUUID();
        String where = "s3://" + bucket + "/" + key + settings.endpoint().map(e -> " at " + e).orElse("");
        byte[] probe = "probe".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            try {
                put(bucket, key, probe, true);
            } catch (IOException e) {
                if (e.getCause() instanceof AwsServiceException s && s.statusCode() == 501) {
                    throw notHonoured(where, "it refused the header (" + s.awsErrorDetails().errorCode() + ", HTTP " + s.statusCode() + ")");
                }
                throw e;
            }
            try {
                put(bucket, key, probe, true);
                throw notHonoured(where, "a second create of the same key succeeded");
            } catch (FileAlreadyExistsException expected) {
                // the store refused the second writer: commits are exclusive
            }
        } catch (IOException e) {
            throw new TidelineException(TidelineException.Kind.RETRYABLE, "Could not check conditional writes on the warehouse (" + where
                    + "): " + e.getMessage(), "Check the endpoint, the credentials and that the bucket exists", e);
        } finally {
            try {
                delete(bucket, key);
            } catch (IOException ignored) {
                // a leftover probe object is harmless
            }
        }
    }

    private static TidelineException notHonoured(String where, String why) {
        return new TidelineException(TidelineException.Kind.NEEDS_OPERATOR,
                "The object store does not honour conditional writes (If-None-Match: *) for " + where + ": " + why
                        + ". Two writers of one Delta log version could then both commit, and one commit would be lost",
                "Use a store that supports conditional writes (AWS S3, MinIO, Cloudflare R2, Google Cloud Storage, Ceph RGW "
                        + "Squid or later). Only if exactly one apply-service replica ever writes this warehouse, set "
                        + S3Settings.SINGLE_WRITER_PROPERTY + "=true (TIDELINE_S3_SINGLE_WRITER=true)");
    }

    private static IOException failure(String operation, String bucket, String key, SdkException e) {
        String where = "s3://" + bucket + "/" + key;
        if (e instanceof AwsServiceException s) {
            int status = s.statusCode();
            if (status == 412 || status == 409 && "ConditionalRequestConflict".equals(code(s))) {
                // 412: the key exists; 409: another conditional write of it is in flight (AWS). Either way this
                // writer lost the race, which Kernel handles as a concurrent commit.
                FileAlreadyExistsException taken = new FileAlreadyExistsException(where);
                taken.initCause(e);
                return taken;
            }
            if (status == 404 && "NoSuchKey".equals(code(s))) {
                FileNotFoundException missing = new FileNotFoundException("No such object: " + where);
                missing.initCause(e);
                return missing;
            }
            return new IOException("S3 " + operation + " " + where + " failed: HTTP " + status + " " + code(s) + ": "
                    + s.awsErrorDetails().errorMessage(), e);
        }
        return new IOException("S3 " + operation + " " + where + " failed: " + e.getMessage(), e);
    }

    private static String code(AwsServiceException e) {
        return e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
    }

    private static long millis(Instant t) {
        return t == null ? 0 : t.toEpochMilli();
    }
}
