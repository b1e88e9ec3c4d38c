/** Kernel version; extensions declare the range they support in `engines.mify`. */
export const KERNEL_VERSION = '1.0.0';
