package dev.tideline.delta;

import java.util.Objects;
import java.util.Optional;

/**
 * How an {@code s3://} warehouse is reached. Credentials are not here: they come from the AWS SDK's default chain
 * (environment {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY}, Java system properties, web identity
 * token, {@code ~/.aws} profile {@code AWS_PROFILE}, container and instance roles), so that a Kubernetes Secret,
 * IRSA or a workload identity works without a Tideline setting.
 *
 * @param endpoint        an S3-compatible endpoint ({@code http://127.0.0.1:9000} for MinIO, R2's account URL,
 *                        {@code https://storage.googleapis.com} for GCS); empty: AWS S3 itself (or the SDK's own
 *                        {@code AWS_ENDPOINT_URL_S3})
 * @param region          the signing region; empty: {@code AWS_REGION} ({@code aws.region}) or the profile's,
 *                        else {@code us-east-1} (what most S3-compatible stores accept); never the EC2 metadata
 *                        service
 * @param pathStyleAccess address buckets as {@code endpoint/bucket/key} instead of {@code bucket.endpoint/key}
 *                        (MinIO, S3Proxy, Ceph RGW without wildcard DNS)
 * @param singleWriter    the store does not honour {@code If-None-Match: *}, and the operator asserts that only
 *                        one writer (one apply-service replica) ever commits to this warehouse: commits are then a
 *                        check followed by a write, which is exclusive only under that assertion
 * @param partSizeBytes   files larger than this are uploaded in parts of this size (multipart upload); also the
 *                        most a file being written holds in memory. At least 5 MiB (S3's minimum part size)
 * @param maxAttempts     attempts per request, retries with exponential backoff and jitter on throttling
 *                        (503 SlowDown) and transient errors
 */
public record S3Settings(Optional<String> endpoint, Optional<String> region, boolean pathStyleAccess,
                         boolean singleWriter, long partSizeBytes, int maxAttempts) {

    /** S3's minimum size of a part other than the last. */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    /** Default part size: 16 MiB (a 128 MiB data file in 8 parts). */
    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;
    /** Default attempts per request. */
    public static final int DEFAULT_MAX_ATTEMPTS = 10;
    /** The property that overrides the start-up check of conditional writes (see {@link #singleWriter}). */
    public static final String SINGLE_WRITER_PROPERTY = "tideline.s3.single-writer";

    public S3Settings {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(region, "region");
        endpoint = endpoint.filter(e -> !e.isBlank());
        region = region.filter(r -> !r.isBlank());
        if (partSizeBytes < MIN_PART_SIZE) {
            throw new IllegalArgumentException("tideline.s3.part-size-bytes must be >= " + MIN_PART_SIZE + " (S3's minimum part size) (was "
                    + partSizeBytes + ")");
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("tideline.s3.max-attempts must be >= 1 (was " + maxAttempts + ")");
        }
    }

    /** AWS S3 with the SDK's defaults, virtual-hosted addressing, conditional writes required. */
    public static S3Settings defaults() {
        return new S3Settings(Optional.empty(), Optional.empty(), false, false, DEFAULT_PART_SIZE, DEFAULT_MAX_ATTEMPTS);
    }

    /**
     * An S3-compatible store at {@code endpoint} the way most self-hosted ones want it (MinIO, Ceph RGW, S3Proxy):
     * path-style addressing, region {@code us-east-1}.
     */
    public static S3Settings compatible(String endpoint) {
        return defaults().withEndpoint(endpoint).withPathStyleAccess(true).withRegion("us-east-1");
    }

    public S3Settings withEndpoint(String url) {
        return new S3Settings(Optional.ofNullable(url), region, pathStyleAccess, singleWriter, partSizeBytes, maxAttempts);
    }

    public S3Settings withRegion(String name) {
        return new S3Settings(endpoint, Optional.ofNullable(name), pathStyleAccess, singleWriter, partSizeBytes, maxAttempts);
    }

    public S3Settings withPathStyleAccess(boolean enabled) {
        return new S3Settings(endpoint, region, enabled, singleWriter, partSizeBytes, maxAttempts);
    }

    public S3Settings withSingleWriter(boolean enabled) {
        return new S3Settings(endpoint, region, pathStyleAccess, enabled, partSizeBytes, maxAttempts);
    }

    public S3Settings withPartSizeBytes(long bytes) {
        return new S3Settings(endpoint, region, pathStyleAccess, singleWriter, bytes, maxAttempts);
    }

    public S3Settings withMaxAttempts(int attempts) {
        return new S3Settings(endpoint, region, pathStyleAccess, singleWriter, partSizeBytes, attempts);
    }
}
