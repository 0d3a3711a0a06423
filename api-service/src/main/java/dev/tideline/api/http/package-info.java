/**
 * What every endpoint shares: the bearer token, Databricks-shaped errors and error codes, request body parsing,
 * field naming rules, token pagination, the JSON style and the discovery and OpenAPI documents.
 */
package dev.tideline.api.http;
