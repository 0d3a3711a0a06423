/** Connecting a service to NATS: the client options and the one retry schedule every service uses. */
package dev.tideline.control.nats;
