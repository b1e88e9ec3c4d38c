'use strict';
// Loads the compiled addon. Where it was not built, `trim` and `reduceHeap` do nothing and return false.
let addon = null;
let loadError = null;
try {
  addon = require('./build/Release/mify_native.node');
} catch (error) {
  loadError = error;
}

module.exports = {
  available: addon !== null && addon.trimSupported === true,
  loadError,
  trim: () => (addon ? addon.trim() : false),
  reduceHeap: () => (addon ? addon.reduceHeap() : false),
};
