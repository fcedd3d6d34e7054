'use strict';
// Polling with a deadline, for conditions no event announces (a process's
// state seen over HTTP, kubectl's output). Shared by every simulator suite.

// Polls an async predicate every `every` ms until it returns a truthy value
// or the deadline passes (then throws, naming what was awaited).
async function waitFor(what, pred, ms = 10000, every = 10) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await pred();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} (last: ${last && last.message ? last.message : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, every));
  }
}

module.exports = {waitFor};
