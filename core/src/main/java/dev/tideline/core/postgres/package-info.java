/** What Postgres' answers mean to Tideline: the SQLSTATE policy table every service classifies errors with. */
package dev.tideline.core.postgres;
