/**
 * The names Tideline gives things in NATS (streams, subjects, KV buckets and keys), the one reversible
 * identifier encoding they share, and the validation of resource ids.
 */
package dev.tideline.core.naming;
