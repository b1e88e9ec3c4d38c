'use strict';
// Loads the compiled addon. Where it was not built, `trim` does nothing and reports false.
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
};
