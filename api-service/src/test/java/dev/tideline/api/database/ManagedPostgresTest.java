package dev.tideline.api.database;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tideline.api.ApiConfig;
import dev.tideline.api.http.ApiException;
import dev.tideline.api.http.ErrorCode;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

class ManagedPostgresTest {

    @Test
    void theLocalStacksTargetUrlGivesHostPortAndCredentials() {
        ManagedPostgres pg = ManagedPostgres.from(config("jdbc:postgresql://127.0.0.1:54321/postgres?user=postgres&password=s3cr%26t", null, null))
                .orElseThrow();
        assertEquals("127.0.0.1", pg.host());
        assertEquals(54321, pg.port());
        assertEquals("postgres", pg.user());
        assertEquals("s3cr&t", pg.password());
        assertEquals(Map.of("host", "127.0.0.1", "port", "54321", "user", "postgres"), pg.options());
        assertFalse(pg.toString().contains("s3cr"), "never printed: " + pg);
    }

    @Test
    void credentialsMayComeFromTheirOwnPropertiesAndTlsOptionsAreKept() {
        ManagedPostgres pg = ManagedPostgres.from(config("jdbc:postgresql://db.example.com/x?sslmode=require", "admin", "pw")).orElseThrow();
        assertEquals(5432, pg.port());
        assertEquals("admin", pg.user());
        assertEquals("pw", pg.password());
        assertEquals("require", pg.options().get("sslmode"));
    }

    @Test
    void unsetOrBlankMeansNoServer() {
        assertTrue(ManagedPostgres.from(config(null, null, null)).isEmpty());
        assertTrue(ManagedPostgres.from(config(" ", "u", null)).isEmpty());
    }

    @Test
    void aMalformedUrlOrAMissingUserStopsTheServiceNamingThePropertyButNotThePassword() {
        IllegalArgumentException url = assertThrows(IllegalArgumentException.class,
                () -> ManagedPostgres.from(config("mysql://h/db?password=hunter2", null, null)));
        assertTrue(url.getMessage().startsWith("tideline.api.database-instances.postgres-url"), url.getMessage());
        assertFalse(url.getMessage().contains("hunter2"));
        IllegalArgumentException user = assertThrows(IllegalArgumentException.class,
                () -> ManagedPostgres.from(config("jdbc:postgresql://h:5432/postgres", null, null)));
        assertTrue(user.getMessage().contains("postgres-user"), user.getMessage());
    }

    @Test
    void withoutAServerAnInstanceWithoutConnectionNameIs400NamingTheFieldAndBothFixes() {
        ApiException e = assertThrows(ApiException.class, () -> InstanceProvisioner.requireServer(Optional.empty()));
        assertEquals(ErrorCode.INVALID_PARAMETER_VALUE, e.code());
        assertTrue(e.getMessage().startsWith("connection_name: is required"), e.getMessage());
        assertTrue(e.getMessage().contains("tideline.api.database-instances.postgres-url"), e.getMessage());
        assertTrue(e.getMessage().contains("POSTGRESQL connection"), e.getMessage());
    }

    @Test
    void managedConnectionsAreNamedAfterTheirInstance() {
        assertEquals("lakebase__my-instance", ManagedPostgres.connectionName("my-instance"));
        assertEquals(Optional.of("my-instance"), ManagedPostgres.instanceOf("lakebase__my-instance"));
        assertTrue(ManagedPostgres.instanceOf("target_pg").isEmpty());
        assertNull(ManagedPostgres.instanceOf(null).orElse(null));
    }

    static ApiConfig.DatabaseInstances config(String url, String user, String password) {
        return new ApiConfig.DatabaseInstances() {
            @Override
            public Optional<String> postgresUrl() {
                return Optional.ofNullable(url);
            }

            @Override
            public Optional<String> postgresUser() {
                return Optional.ofNullable(user);
            }

            @Override
            public Optional<String> postgresPassword() {
                return Optional.ofNullable(password);
            }
        };
    }
}
