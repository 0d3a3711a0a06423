/**
 * Unity-Catalog-style connections to Postgres ({@code /api/2.1/unity-catalog/connections}); passwords are sealed
 * with {@code tideline.secrets.key} and never shown.
 */
package dev.tideline.api.connection;
