package dev.tideline.delta;

import java.util.Locale;

/**
 * An object location {@code s3://bucket/key} (or {@code s3a://bucket/key}) split into bucket and key. The scheme
 * is kept so that a path handed back to Kernel is spelled as Kernel gave it.
 *
 * @param scheme {@code s3} or {@code s3a}
 * @param bucket the bucket name
 * @param key    the object key, no leading slash; empty for the bucket itself
 */
record S3Path(String scheme, String bucket, String key) {

    /** Parses {@code s3://bucket[/key]}; trailing slashes of the key are dropped. */
    static S3Path parse(String location) {
        int colon = location.indexOf("://");
        if (colon <= 0) {
            throw new IllegalArgumentException("not an s3:// location: " + location);
        }
        String scheme = location.substring(0, colon).toLowerCase(Locale.ROOT);
        if (!scheme.equals("s3") && !scheme.equals("s3a")) {
            throw new IllegalArgumentException("not an s3:// location: " + location);
        }
        String rest = location.substring(colon + 3);
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        while (key.endsWith("/")) {
            key = key.substring(0, key.length() - 1);
        }
        if (bucket.isEmpty()) {
            throw WarehouseLocation.invalid(location, "an s3:// location needs a bucket: s3://bucket/prefix");
        }
        return new S3Path(scheme, bucket, key);
    }

    /** The same bucket and scheme, another key. */
    S3Path withKey(String otherKey) {
        return new S3Path(scheme, bucket, otherKey);
    }

    /** The key of the "directory" holding this object: everything before the last slash ("" at the top). */
    String parentKey() {
        int slash = key.lastIndexOf('/');
        return slash < 0 ? "" : key.substring(0, slash);
    }

    /** The last segment of the key. */
    String name() {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** The location as a URI string. */
    String uri() {
        return key.isEmpty() ? scheme + "://" + bucket : scheme + "://" + bucket + "/" + key;
    }

    @Override
    public String toString() {
        return uri();
    }
}
