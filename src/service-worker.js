// Backend Fundamentals: the stand-in for the offline service worker in a book that plain
// `mdbook build` or `mdbook serve` wrote. `cargo xtask build` replaces this file in book/ with
// the real worker (xtask/src/service-worker.js and its precache manifest).
//
// It caches nothing and answers no request. Its one job is to retire a real worker that a static
// serve of the built book left on the same origin (say http://127.0.0.1:3000, then
// `mdbook serve` on the same port): the browser checks the registered worker's script on every
// visit, finds this one, and installs it at once; it deletes the book's offline caches and takes
// over the pages the old worker controlled, which reload (theme/offline.js, on
// `controllerchange`) from the network, so live reload is not hidden behind a stale cache.

"use strict";

self.addEventListener("install", (event) => {
    event.waitUntil(self.skipWaiting());
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        (async () => {
            const prefix = `bf-offline:${new URL(self.registration.scope).pathname}:`;
            const stale = (await caches.keys()).filter((name) => name.startsWith(prefix));
            await Promise.all(stale.map((name) => caches.delete(name)));
        })(),
    );
});
