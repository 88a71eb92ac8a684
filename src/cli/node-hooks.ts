// Loaded with `node --import` before every CLI script. The Worker's modules import each other
// without file extensions, as the bundler allows; Node needs one, so a relative import that
// Node cannot find is tried again with `.ts`.

import { registerHooks } from "node:module";

function isRelativeWithoutExtension(specifier: string): boolean {
  return /^\.{1,2}\//.test(specifier) && !/\.[cm]?[jt]s$/.test(specifier);
}

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!isRelativeWithoutExtension(specifier)) throw error;
      return nextResolve(`${specifier}.ts`, context);
    }
  },
});
