/** The control plane: specs, status, KV stores and watchers, secrets. */
package dev.tideline.control;
