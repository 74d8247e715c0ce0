/**
 * Preloaded by tests/run.mjs. uvu runs `before`/`after` hooks inside a try/finally whose `return`
 * drops their error: a file whose set-up fails reports "0 / N" and nothing else. Print the error.
 */
const uvu = require('uvu');

function loud(t) {
  for (const kind of ['before', 'after']) {
    const original = t[kind];
    const wrapped = (fn) =>
      original(async (state) => {
        try {
          await fn(state);
        } catch (err) {
          console.error(`test.${kind} hook failed:`, err);
          throw err;
        }
      });
    wrapped.each = original.each;
    t[kind] = wrapped;
  }
  return t;
}

loud(uvu.test);
const suite = uvu.suite;
uvu.suite = (...args) => loud(suite(...args));
