/** True when the addon is built and the C library can return freed memory (glibc). */
export declare const available: boolean;
/** Why the addon could not be loaded, or null. */
export declare const loadError: Error | null;
/**
 * Returns the whole free pages of every allocator arena to the operating system
 * (glibc's `malloc_trim(0)`). Reports whether any memory was released; false where unavailable.
 */
export declare function trim(): boolean;
