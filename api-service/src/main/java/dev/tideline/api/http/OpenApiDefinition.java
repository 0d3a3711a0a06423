package dev.tideline.api.http;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** The OpenAPI description: every endpoint needs the bearer token ({@code /q/openapi}, Swagger UI at {@code /q/swagger-ui}). */
@OpenAPIDefinition(info = @Info(title = "Tideline API", version = "0.1.0",
        description = "Databricks-shaped REST API: connections, pipelines, tables, database instances and catalogs, synced tables."
                + " Errors are {error_code, message}."),
        security = @SecurityRequirement(name = "bearer"))
@SecurityScheme(securitySchemeName = "bearer", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "the token configured as tideline.api.token")
public class OpenApiDefinition extends Application {
}
