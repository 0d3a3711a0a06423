/**
 * Postgres values into Java: the text and binary forms pgoutput sends, arrays, dates and times, intervals, and
 * the values Java types cannot hold (infinity, unchanged TOAST). Pure.
 */
package dev.tideline.core.value;
