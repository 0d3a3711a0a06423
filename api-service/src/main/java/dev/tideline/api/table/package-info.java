/**
 * Unity-Catalog-style catalogs, schemas and tables, read-only, from the Delta tables in the warehouse (their
 * schema read straight from {@code _delta_log}).
 */
package dev.tideline.api.table;
