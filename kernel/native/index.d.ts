/** True when the addon is built and the C library can return freed memory (glibc). */
export declare const available: boolean;
/** The error that kept the addon from loading, or null. */
export declare const loadError: Error | null;
/**
 * Returns the whole free pages of every allocator arena to the operating system
 * (glibc's `malloc_trim(0)`). Returns whether any memory was released, and false where unavailable.
 */
export declare function trim(): boolean;
/**
 * Starts a V8 garbage collection that shrinks the heap, young generation included, through a
 * moderate memory-pressure notification. The collection finishes in later event-loop tasks.
 * Returns false where the addon is unavailable.
 */
export declare function reduceHeap(): boolean;
