/**
 * The only package of Tideline that uses Delta Kernel's internal classes ({@code io.delta.kernel.internal}),
 * behind {@link dev.tideline.delta.kernel.KernelInternals}; Tideline-shaped types for what those classes
 * carry ({@link dev.tideline.delta.kernel.AddedFile}, {@link dev.tideline.delta.kernel.DeletionVectorRef},
 * {@link dev.tideline.delta.kernel.DeletionVectorBitmap}). Written against the Kernel version pinned in
 * the parent pom; re-check this package on every Kernel upgrade. {@code KernelImportRuleTest} keeps main
 * code elsewhere off the internal packages.
 */
package dev.tideline.delta.kernel;
